import { describe, expect, it } from "vitest";
import { functionSettings } from "./functions/settings.ts";
import { parseTomlScalars } from "./toml.ts";

describe("parseTomlScalars()", () => {
  it("reads booleans, numbers and strings per section and skips comments and arrays", () => {
    const toml = parseTomlScalars(`
      # top
      [auth]
      enabled = true
      jwt_expiry = 3_600 # one hour
      site_url = "http://x#y"
      additional_redirect_urls = ["a", "b"]
      [auth.email]
      enable_confirmations = false
    `);
    expect(toml).toEqual({
      auth: { enabled: true, jwt_expiry: 3600, site_url: "http://x#y" },
      "auth.email": { enable_confirmations: false },
    });
  });
});

describe("functionSettings()", () => {
  it("reads [functions.<name>] tables, quoted or spaced, and ignores other tables and arrays of tables", () => {
    const settings = functionSettings(
      parseTomlScalars(`
        [functions.hook]
        verify_jwt = false # a comment
        [ functions . "quoted" ]
        enabled = false
        entrypoint = "./functions/other/index.ts"
        [[functions.hook.routes]]
        verify_jwt = true
        [functions.hook.secrets]
        enabled = true
      `),
    );
    expect(Object.fromEntries(settings)).toEqual({
      hook: { verifyJwt: false, enabled: true },
      quoted: { verifyJwt: true, enabled: false, entrypoint: "./functions/other/index.ts" },
    });
  });
});
