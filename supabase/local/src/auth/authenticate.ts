import type { IncomingMessage } from "node:http";
import { bearerToken, JwtError, verifyJwt, type ProjectClaims } from "../jwt.ts";
import type { Queryable } from "./db.ts";
import { AuthHttpError, badRequest, forbidden } from "./errors.ts";
import { findSession, type SessionRow } from "./sessions.ts";
import { findUserById, isBanned, type LoadedUser } from "./users.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/** The verified bearer of a request. */
export interface Caller {
  claims: ProjectClaims & { session_id?: string };
  user?: LoadedUser;
  session?: SessionRow;
}

/**
 * GoTrue's extractBearerToken + parseJWTClaims: a missing bearer is 401 no_authorization, a bad
 * signature or an expired token 403 bad_jwt.
 */
export async function verifyBearer(req: IncomingMessage, secret: string): Promise<Caller["claims"]> {
  const token = bearerToken(req.headers.authorization);
  if (!token) {
    throw new AuthHttpError(401, "no_authorization", "This endpoint requires a valid Bearer token");
  }
  try {
    return await verifyJwt(token, secret);
  } catch (error) {
    const reason = error instanceof JwtError && error.expired ? "token has invalid claims: token is expired" : (error as Error).message;
    throw forbidden("bad_jwt", `invalid JWT: unable to parse or verify signature, ${reason}`);
  }
}

/**
 * GoTrue's maybeLoadUserOrSession: the token must name an existing user (`sub`) and, when it
 * carries a `session_id`, a live session — after sign-out the token is refused with 403
 * session_not_found, which supabase-js reports as AuthSessionMissingError.
 */
export async function loadCaller(db: Queryable, claims: Caller["claims"]): Promise<Required<Pick<Caller, "user">> & Caller> {
  if (!claims.sub) throw forbidden("bad_jwt", "invalid claim: missing sub claim");
  if (!UUID.test(claims.sub)) throw badRequest("bad_jwt", "invalid claim: sub claim must be a UUID");
  const user = await findUserById(db, claims.sub);
  if (!user) throw forbidden("user_not_found", "User from sub claim in JWT does not exist");
  let session: SessionRow | undefined;
  const sid = claims.session_id;
  if (typeof sid === "string" && sid !== "" && sid !== NIL_UUID) {
    if (!UUID.test(sid)) throw forbidden("bad_jwt", "invalid claim: session_id claim must be a UUID");
    session = await findSession(db, sid);
    if (!session) throw forbidden("session_not_found", "Session from session_id claim in JWT does not exist");
  }
  return { claims, user, ...(session ? { session } : {}) };
}

/** GoTrue's requireAuthentication: a valid user token with a live session, not banned. */
export async function requireAuthentication(
  db: Queryable,
  req: IncomingMessage,
  secret: string,
): Promise<Required<Pick<Caller, "user">> & Caller> {
  const caller = await loadCaller(db, await verifyBearer(req, secret));
  if (isBanned(caller.user)) throw forbidden("user_banned", "User is banned");
  return caller;
}

/**
 * GoTrue's requireAdminCredentials: a valid token whose `role` is an admin role (service_role);
 * a token tied to a session must still have it. Anything else is 403 not_admin.
 */
export async function requireAdmin(
  db: Queryable,
  req: IncomingMessage,
  options: { secret: string; adminRoles: string[] },
): Promise<Caller> {
  const claims = await verifyBearer(req, options.secret);
  if (typeof claims.session_id === "string" && claims.session_id !== "" && claims.session_id !== NIL_UUID) {
    await loadCaller(db, claims);
  }
  if (!options.adminRoles.includes(claims.role)) throw forbidden("not_admin", "User not allowed");
  return { claims };
}
