/**
 * PostgREST's request authentication: the bearer JWT's signature and `exp` only; no token or no
 * `role` claim means the anonymous role.
 */
import { jwtVerify } from "jose";
import { bearerToken } from "../jwt.ts";
import { PgrstError } from "./errors.ts";

/** The role to switch to and the claims exposed as `request.jwt.claims`. */
export interface RequestAuth {
  role: string;
  claims: Record<string, unknown>;
}

function jwtError(code: string, message: string): PgrstError {
  return new PgrstError(401, code, message, {
    headers: { "WWW-Authenticate": `Bearer error="invalid_token", error_description="${message}"` },
  });
}

/**
 * Verifies `Authorization: Bearer <jwt>` with the project secret (HS256). Throws 401 PGRST303
 * "JWT expired" or 401 PGRST301 for any other problem.
 */
export async function authenticate(authorization: string | undefined, secret: string): Promise<RequestAuth> {
  const token = bearerToken(authorization);
  if (!token) return { role: "anon", claims: { role: "anon" } };
  const parts = token.split(".").length;
  if (parts !== 3) throw jwtError("PGRST301", `Expected 3 parts in JWT; got ${parts}`);
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ["HS256"] });
    const role = typeof payload.role === "string" && payload.role !== "" ? payload.role : "anon";
    return { role, claims: payload as Record<string, unknown> };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_JWT_EXPIRED") throw jwtError("PGRST303", "JWT expired");
    if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") throw jwtError("PGRST301", "JWSError JWSInvalidSignature");
    throw jwtError("PGRST301", `JWSError ${(error as Error).message}`);
  }
}
