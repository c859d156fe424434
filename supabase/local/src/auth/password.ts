import bcrypt from "bcryptjs";
import { AuthHttpError, badRequest } from "./errors.ts";
import type { AuthSettings } from "./settings.ts";

/** bcrypt's input limit; GoTrue refuses longer passwords. */
export const MAX_PASSWORD_LENGTH = 72;

/** GoTrue's default bcrypt cost. */
const COST = 10;

/**
 * Hashes `password` with bcrypt (cost 10). bcryptjs writes `$2b$`; GoTrue (Go) and pgcrypto's
 * `crypt(…, gen_salt('bf'))` write `$2a$`, the same algorithm for passwords under 255 bytes, so
 * the prefix is normalised to `$2a$` for SQL that verifies with `crypt()`.
 */
export async function hashPassword(password: string): Promise<string> {
  const hash = await bcrypt.hash(password, COST);
  return hash.replace(/^\$2b\$/, "$2a$");
}

/** True when `password` matches a bcrypt `hash` (`$2a$`, `$2b$` or `$2y$`); false for no hash. */
export async function verifyPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  if (!hash || !/^\$2[aby]\$\d\d\$/.test(hash)) return false;
  return await bcrypt.compare(password, hash);
}

/**
 * Checks `password` like GoTrue's checkPasswordStrength: over 72 characters is a 400
 * validation_failed; too short or missing a required character set is a 422 weak_password
 * carrying `weak_password.reasons` (`length`, `characters`). Returns the error, or undefined.
 */
export function passwordStrengthError(password: string, settings: AuthSettings): AuthHttpError | undefined {
  if (password.length > MAX_PASSWORD_LENGTH) {
    return badRequest("validation_failed", `Password cannot be longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
  const reasons: string[] = [];
  const messages: string[] = [];
  if (password.length < settings.minimumPasswordLength) {
    reasons.push("length");
    messages.push(`Password should be at least ${settings.minimumPasswordLength} characters.`);
  }
  const sets = settings.requiredCharacters;
  if (sets.some((set) => set !== "" && ![...set].some((ch) => password.includes(ch)))) {
    reasons.push("characters");
    messages.push(`Password should contain at least one character of each: ${sets.join(", ")}.`);
  }
  if (reasons.length === 0) return undefined;
  return new AuthHttpError(422, "weak_password", messages.join(" "), { weak_password: { reasons } });
}
