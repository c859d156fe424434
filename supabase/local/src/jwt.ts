import { jwtVerify, SignJWT, type JWTPayload } from "jose";

/** Claims every project JWT we accept carries; other claims pass through untouched. */
export interface ProjectClaims extends JWTPayload {
  role: string;
  sub?: string;
}

/** Why a token was refused: wrong shape, past `exp`, bad signature, or anything else. */
export type JwtFailure = "malformed" | "expired" | "signature" | "invalid";

/** Raised when a bearer token is missing, malformed, badly signed or expired. */
export class JwtError extends Error {
  constructor(
    message: string,
    readonly reason: JwtFailure = "invalid",
    /** The verifier's own words (jose's message), for surfaces that echo them. */
    readonly detail: string = message,
  ) {
    super(message);
    this.name = "JwtError";
  }

  /** True when the token was well formed and signed but is past its `exp`. */
  get expired(): boolean {
    return this.reason === "expired";
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
 * Verifies an HS256 token's shape, signature and `exp` (only those, like PostgREST and the
 * functions runtime) and returns its payload. Every other `alg`, `none` included, is refused.
 * Throws {@link JwtError} saying why.
 */
export async function verifyHs256(token: string, secret: string): Promise<JWTPayload> {
  const parts = token.split(".").length;
  if (parts !== 3) throw new JwtError(`Expected 3 parts in JWT; got ${parts}`, "malformed");
  try {
    return (await jwtVerify(token, key(secret), { algorithms: ["HS256"] })).payload;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const detail = (error as Error).message;
    if (code === "ERR_JWT_EXPIRED") throw new JwtError("JWT expired", "expired", detail);
    const reason = code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" ? "signature" : "invalid";
    throw new JwtError(`invalid JWT: ${detail}`, reason, detail);
  }
}

/**
 * {@link verifyHs256} plus a non-empty `role` claim, which every project JWT (keys and user
 * tokens) carries. Returns the claims; throws {@link JwtError} naming what was wrong.
 */
export async function verifyJwt(token: string, secret: string): Promise<ProjectClaims> {
  const payload = await verifyHs256(token, secret);
  if (typeof payload.role !== "string" || payload.role === "") throw new JwtError("JWT has no role claim");
  return payload as ProjectClaims;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim();
}
