import { describe, expect, it } from "vitest";
import { defaultConfig } from "./config.ts";
import { resolveAuthorization, translateKey } from "./gateway.ts";

const cfg = defaultConfig();

describe("resolveAuthorization()", () => {
  it("keeps a JWT Authorization header when one is present", () => {
    expect(resolveAuthorization(cfg, "Bearer user.jwt.here", cfg.anonKey)).toBe("Bearer user.jwt.here");
  });
  it("turns the secret key into the service_role JWT when Authorization is absent", () => {
    expect(resolveAuthorization(cfg, undefined, cfg.secretKey)).toBe(`Bearer ${cfg.serviceRoleKey}`);
  });
  it("replaces an sb_ bearer with the JWT its apikey stands for", () => {
    expect(resolveAuthorization(cfg, `Bearer ${cfg.publishableKey}`, cfg.publishableKey)).toBe(
      `Bearer ${cfg.anonKey}`,
    );
  });
  it("uses an unknown apikey raw and gives nothing without any key", () => {
    expect(resolveAuthorization(cfg, undefined, "raw")).toBe("Bearer raw");
    expect(resolveAuthorization(cfg, undefined, undefined)).toBeUndefined();
  });
});

describe("translateKey()", () => {
  it("maps the publishable key to the anon JWT and leaves JWTs alone", () => {
    expect(translateKey(cfg, cfg.publishableKey)).toBe(cfg.anonKey);
    expect(translateKey(cfg, cfg.anonKey)).toBe(cfg.anonKey);
  });
});
