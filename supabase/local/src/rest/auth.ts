/**
 * PostgREST's request authentication: the bearer JWT's signature and `exp` only; no token or no
 * `role` claim means the anonymous role.
 */
import { bearerToken, JwtError, verifyHs256 } from "../jwt.ts";
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

/** PostgREST's words for each way a token fails. */
function refusal(error: JwtError): PgrstError {
  switch (error.reason) {
    case "expired":
      return jwtError("PGRST303", "JWT expired");
    case "malformed":
      return jwtError("PGRST301", error.message);
    case "signature":
      return jwtError("PGRST301", "JWSError JWSInvalidSignature");
    default:
      return jwtError("PGRST301", `JWSError ${error.detail}`);
  }
}

/**
 * Verifies `Authorization: Bearer <jwt>` with the project secret (HS256). Throws 401 PGRST303
 * "JWT expired" or 401 PGRST301 for any other problem.
 */
export async function authenticate(authorization: string | undefined, secret: string): Promise<RequestAuth> {
  const token = bearerToken(authorization);
  if (!token) return { role: "anon", claims: { role: "anon" } };
  try {
    const payload = await verifyHs256(token, secret);
    const role = typeof payload.role === "string" && payload.role !== "" ? payload.role : "anon";
    return { role, claims: payload as Record<string, unknown> };
  } catch (error) {
    if (error instanceof JwtError) throw refusal(error);
    throw error;
  }
}
