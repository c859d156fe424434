import { describe, expect, it } from "vitest";
import { defaultConfig } from "../config.ts";
import { passwordStrengthError } from "./password.ts";
import { loadAuthSettings, PASSWORD_REQUIREMENTS } from "./settings.ts";

describe("loadAuthSettings()", () => {
  it("reads the project's config.toml: anonymous sign-ins on, auto-confirm, 10 s reuse interval", () => {
    const s = loadAuthSettings(defaultConfig({ apiPort: 54999 }));
    expect(s).toMatchObject({
      jwtIssuer: "http://127.0.0.1:54999/auth/v1",
      jwtExpiry: 3600,
      anonymousEnabled: true,
      mailerAutoconfirm: true,
      minimumPasswordLength: 6,
      refreshTokenReuseInterval: 10,
    });
  });

  it("lets overrides win over config.toml", () => {
    expect(loadAuthSettings(defaultConfig(), { refreshTokenReuseInterval: 0 }).refreshTokenReuseInterval).toBe(0);
  });
});

describe("passwordStrengthError()", () => {
  const base = loadAuthSettings(defaultConfig());
  it("gives reason length when the password is shorter than the minimum", () => {
    expect(passwordStrengthError("12345", base)?.extra).toEqual({ weak_password: { reasons: ["length"] } });
    expect(passwordStrengthError("123456", base)).toBeUndefined();
  });
  it("gives reason characters when a required character set is missing", () => {
    const strict = { ...base, requiredCharacters: PASSWORD_REQUIREMENTS["lower_upper_letters_digits"]! };
    expect(passwordStrengthError("alllowercase1", strict)?.extra).toEqual({ weak_password: { reasons: ["characters"] } });
    expect(passwordStrengthError("Mixed1case", strict)).toBeUndefined();
  });
  it("is a 400 validation_failed when the password exceeds bcrypt's 72 characters", () => {
    expect(passwordStrengthError("x".repeat(73), base)).toMatchObject({ status: 400, code: "validation_failed" });
  });
});
