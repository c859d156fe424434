import { decodeJwt } from "jose";
import { translateKey } from "../gateway.ts";
import type { StackConfig } from "../config.ts";
import { JwtError, verifyJwt } from "../jwt.ts";
import type { Subscriber } from "./channel.ts";

/** A join or token refresh refused; `reason` is sent as `"InvalidJWTToken: <reason>"`. */
export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidTokenError";
  }
}

/**
 * The token a join or `access_token` push stands for: a missing token or an `sb_` key means the
 * connection's token, except that the project's own opaque keys map to their JWTs.
 */
export function effectiveToken(cfg: StackConfig, sent: unknown, connectionToken: string): string {
  if (typeof sent !== "string" || sent === "") return connectionToken;
  if (sent.startsWith("sb_")) {
    const translated = translateKey(cfg, sent);
    return translated === sent ? connectionToken : translated;
  }
  return sent;
}

/**
 * Verifies a subscriber token (HS256 with the project secret, not expired, with `role` and
 * `exp` as Realtime requires) and returns the identity RLS will run as.
 */
export async function subscriberFor(cfg: StackConfig, token: string): Promise<Subscriber> {
  try {
    const claims = await verifyJwt(token, cfg.jwtSecret);
    if (typeof claims.exp !== "number") throw new InvalidTokenError("Fields `role` and `exp` are required in JWT");
    return { token, role: claims.role, claims: claims as Record<string, unknown> };
  } catch (error) {
    if (error instanceof InvalidTokenError) throw error;
    if (error instanceof JwtError && error.expired) {
      let ago = 0;
      try {
        const exp = decodeJwt(token).exp;
        if (typeof exp === "number") ago = Math.max(0, Math.floor(Date.now() / 1000) - exp);
      } catch {
        // keep 0
      }
      throw new InvalidTokenError(`Token has expired ${ago} seconds ago`);
    }
    throw new InvalidTokenError((error as Error).message);
  }
}
