import path from "node:path";
import { apiUrl, type StackConfig } from "../config.ts";
import { readTomlScalars } from "../toml.ts";

/** The GoTrue settings the local auth surface honours (names follow `config.toml [auth]`). */
export interface AuthSettings {
  /** `iss` of access tokens. CLI default: the API URL + `/auth/v1`. */
  jwtIssuer: string;
  /** Access-token lifetime in seconds. */
  jwtExpiry: number;
  /** `enable_signup`: false refuses every sign-up (422 signup_disabled). */
  enableSignup: boolean;
  /** `[auth.email] enable_signup`. */
  emailEnabled: boolean;
  /** `[auth.sms] enable_signup`: phone sign-ups (auto-confirmed only; no SMS is ever sent). */
  phoneEnabled: boolean;
  /** `enable_anonymous_sign_ins`. */
  anonymousEnabled: boolean;
  /** Not `[auth.email] enable_confirmations`: sign-up returns a session at once. */
  mailerAutoconfirm: boolean;
  /** Not `[auth.sms] enable_confirmations`. */
  smsAutoconfirm: boolean;
  /** `minimum_password_length` (GoTrue never goes below 6). */
  minimumPasswordLength: number;
  /** Character sets of `password_requirements`; each must occur at least once. */
  requiredCharacters: string[];
  /** `enable_refresh_token_rotation`: reuse outside the interval revokes the whole session. */
  refreshTokenRotation: boolean;
  /** `refresh_token_reuse_interval` in seconds (CLI default 10). */
  refreshTokenReuseInterval: number;
  /** JWT roles allowed on `/admin` (GoTrue's `GOTRUE_JWT_ADMIN_ROLES`). */
  adminRoles: string[];
}

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
const SYMBOLS = "!@#$%^&*()_+-=[]{};'\\:\"|<>?,./`~";

/** `password_requirements` values → GoTrue's required character sets. */
export const PASSWORD_REQUIREMENTS: Record<string, string[]> = {
  "": [],
  letters_digits: [LOWER + UPPER, DIGITS],
  lower_upper_letters_digits: [LOWER, UPPER, DIGITS],
  lower_upper_letters_digits_symbols: [LOWER, UPPER, DIGITS, SYMBOLS],
};

/**
 * Settings from the project's `config.toml` (CLI defaults where a key is absent), with the
 * stack config deciding issuer and expiry, then `overrides`. Throws RangeError on a
 * `password_requirements` value GoTrue would also refuse.
 */
export function loadAuthSettings(cfg: StackConfig, overrides: Partial<AuthSettings> = {}): AuthSettings {
  const toml = readTomlScalars(path.join(cfg.supabaseDir, "config.toml"));
  const auth = toml["auth"] ?? {};
  const email = toml["auth.email"] ?? {};
  const sms = toml["auth.sms"] ?? {};
  const bool = (v: unknown, fallback: boolean) => (typeof v === "boolean" ? v : fallback);
  const num = (v: unknown, fallback: number) => (typeof v === "number" ? v : fallback);
  const requirement = typeof auth["password_requirements"] === "string" ? auth["password_requirements"] : "";
  const requiredCharacters = PASSWORD_REQUIREMENTS[requirement];
  if (!requiredCharacters) {
    throw new RangeError(
      `config.toml auth.password_requirements must be one of ${Object.keys(PASSWORD_REQUIREMENTS)
        .map((k) => JSON.stringify(k))
        .join(", ")}; got ${JSON.stringify(requirement)}`,
    );
  }
  const issuer = typeof auth["jwt_issuer"] === "string" && auth["jwt_issuer"] ? auth["jwt_issuer"] : undefined;
  return {
    jwtIssuer: issuer ?? `${apiUrl(cfg)}/auth/v1`,
    jwtExpiry: cfg.jwtExpiry,
    enableSignup: bool(auth["enable_signup"], true),
    emailEnabled: bool(email["enable_signup"], true),
    phoneEnabled: bool(sms["enable_signup"], false),
    anonymousEnabled: bool(auth["enable_anonymous_sign_ins"], false),
    mailerAutoconfirm: !bool(email["enable_confirmations"], false),
    smsAutoconfirm: !bool(sms["enable_confirmations"], false),
    minimumPasswordLength: Math.max(6, num(auth["minimum_password_length"], 6)),
    requiredCharacters,
    refreshTokenRotation: bool(auth["enable_refresh_token_rotation"], true),
    refreshTokenReuseInterval: num(auth["refresh_token_reuse_interval"], 10),
    adminRoles: ["service_role", "supabase_admin"],
    ...overrides,
  };
}
