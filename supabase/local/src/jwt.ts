import { jwtVerify, SignJWT, type JWTPayload } from "jose";

/** Claims every project JWT we accept carries; other claims pass through untouched. */
export interface ProjectClaims extends JWTPayload {
  role: string;
  sub?: string;
}

/** Raised when a bearer token is missing, malformed, badly signed or expired. */
export class JwtError extends Error {
  constructor(message: string, readonly expired = false) {
    super(message);
    this.name = "JwtError";
  }
}

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Signs `claims` as an HS256 JWT without a `kid`, as the CLI's default key does. */
export async function signJwt(claims: Record<string, unknown>, secret: string): Promise<string> {
  return await new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key(secret));
}

/**
 * Verifies an HS256 token's signature and `exp` (only those, like PostgREST) and returns its
 * claims. Throws {@link JwtError} naming what was wrong.
 */
export async function verifyJwt(token: string, secret: string): Promise<ProjectClaims> {
  if (token.split(".").length !== 3) {
    throw new JwtError(`Expected 3 parts in JWT; got ${token.split(".").length}`);
  }
  try {
    const { payload } = await jwtVerify(token, key(secret), { algorithms: ["HS256"] });
    if (typeof payload.role !== "string" || payload.role === "") {
      throw new JwtError("JWT has no role claim");
    }
    return payload as ProjectClaims;
  } catch (error) {
    if (error instanceof JwtError) throw error;
    const code = (error as { code?: string }).code;
    if (code === "ERR_JWT_EXPIRED") throw new JwtError("JWT expired", true);
    throw new JwtError(`invalid JWT: ${(error as Error).message}`);
  }
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim();
}
