import type { IncomingMessage } from "node:http";
import type { RequestClaims } from "../db.ts";
import { headerRecord } from "../http.ts";
import { bearerToken, JwtError, verifyJwt, type ProjectClaims } from "../jwt.ts";
import { ERRORS } from "./errors.ts";

/** Who is calling: the verified JWT claims and the database role they map to. */
export interface Caller {
  role: string;
  /** `sub` of the JWT (the future object owner), when there is one. */
  sub?: string;
  claims: ProjectClaims;
  /** The raw bearer token, exposed to SQL as `request.jwt` like hosted Storage does. */
  token: string;
}

/**
 * Verifies the request's bearer token (the gateway already turned `apikey`/`sb_` keys into
 * JWTs). Hosted Storage refuses requests without a valid JWT on every non-public route with
 * `InvalidJWT`; so do we.
 */
export async function callerOf(req: IncomingMessage, jwtSecret: string): Promise<Caller> {
  const token = bearerToken(req.headers.authorization);
  if (!token) throw ERRORS.invalidJwt("headers must have required property 'authorization'");
  try {
    const claims = await verifyJwt(token, jwtSecret);
    return { role: claims.role, sub: typeof claims.sub === "string" ? claims.sub : undefined, claims, token };
  } catch (error) {
    if (error instanceof JwtError) throw ERRORS.invalidJwt(error.expired ? "jwt expired" : error.message);
    throw error;
  }
}

/** Storage operation names exposed to policies as `storage.operation`. */
export type StorageOperation =
  | "storage.object.upload"
  | "storage.object.upload_update"
  | "storage.object.download"
  | "storage.object.info"
  | "storage.object.list"
  | "storage.object.delete"
  | "storage.object.move"
  | "storage.object.copy"
  | "storage.object.sign"
  | "storage.object.sign_upload"
  | "storage.bucket.list"
  | "storage.bucket.get"
  | "storage.bucket.create"
  | "storage.bucket.update"
  | "storage.bucket.delete"
  | "storage.bucket.empty";

/**
 * The transaction-local settings hosted Storage sets before every query: role, the legacy
 * `request.jwt.claim.*` pair, full claims, headers, method, path and `storage.operation`.
 */
export function requestClaims(
  caller: Caller,
  req: IncomingMessage,
  operation: StorageOperation,
  path: string,
): RequestClaims {
  return {
    role: caller.role,
    claims: caller.claims,
    headers: headerRecord(req),
    method: req.method ?? "",
    path,
    settings: {
      "request.jwt": caller.token,
      "request.jwt.claim.role": caller.role,
      "request.jwt.claim.sub": caller.sub ?? "",
      "storage.operation": operation,
      "storage.allow_delete_query": "true",
    },
  };
}
