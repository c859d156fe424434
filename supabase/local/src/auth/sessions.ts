import { randomInt } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { Queryable } from "./db.ts";

/** How a session was started; becomes the `amr` method. */
export type AuthMethod = "password" | "anonymous";

/** One `auth.sessions` row as the surface uses it. */
export interface SessionRow {
  id: string;
  user_id: string;
  created_at: Date;
  aal: string | null;
  not_after: Date | null;
}

/** One `auth.refresh_tokens` row. */
export interface RefreshTokenRow {
  id: string;
  token: string;
  user_id: string;
  revoked: boolean;
  updated_at: Date;
  parent: string | null;
  session_id: string | null;
}

/** An `amr` claim entry. */
export interface AmrEntry {
  method: string;
  timestamp: number;
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A new opaque refresh token in GoTrue's v1 format (`crypto.SecureAlphanumeric(12)`: 12 random
 * lower-case letters and digits, about 62 bits), which is what its refresh grant validates.
 */
export function newRefreshToken(): string {
  let token = "";
  for (let i = 0; i < 12; i++) token += ALPHABET[randomInt(ALPHABET.length)];
  return token;
}

/**
 * GoTrue's GetIPAddress: the first X-Forwarded-For entry when it is an IP address, else the
 * peer's address (a header value is client input and must not reach the `inet` cast unchecked).
 */
function clientIp(req: IncomingMessage): string | null {
  const forwarded = req.headers["x-forwarded-for"];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
  if (first && isIP(first)) return first;
  const peer = req.socket.remoteAddress;
  return peer && isIP(peer) ? peer : null;
}

/**
 * GoTrue's GrantAuthenticatedUser + AddClaimToSession: a new session (aal1), its first refresh
 * token and its `amr` claim, and the user's `last_sign_in_at`. Returns the session id and token.
 */
export async function startSession(
  db: Queryable,
  userId: string,
  method: AuthMethod,
  req: IncomingMessage,
): Promise<{ sessionId: string; refreshToken: string }> {
  const { rows } = await db.query<{ id: string }>(
    `insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip)
     values (extensions.gen_random_uuid(), $1, now(), now(), 'aal1', $2, $3::inet) returning id`,
    [userId, req.headers["user-agent"] ?? null, clientIp(req)],
  );
  const sessionId = rows[0]!.id;
  await db.query(
    `insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
     values (extensions.gen_random_uuid(), $1, now(), now(), $2)`,
    [sessionId, method],
  );
  const refreshToken = await insertRefreshToken(db, { userId, sessionId, parent: null });
  await db.query(`update auth.users set last_sign_in_at = now() where id = $1`, [userId]);
  return { sessionId, refreshToken };
}

/** Inserts a live refresh token for `sessionId` (child of `parent` when rotating). */
export async function insertRefreshToken(
  db: Queryable,
  t: { userId: string; sessionId: string; parent: string | null },
): Promise<string> {
  const token = newRefreshToken();
  await db.query(
    `insert into auth.refresh_tokens (token, user_id, revoked, created_at, updated_at, parent, session_id)
     values ($1, $2, false, now(), now(), $3, $4)`,
    [token, t.userId, t.parent, t.sessionId],
  );
  return token;
}

/** The session with `id`, or undefined (signed out, or the user was deleted). */
export async function findSession(db: Queryable, id: string, forUpdate = false): Promise<SessionRow | undefined> {
  const { rows } = await db.query<SessionRow>(
    `select id, user_id, created_at, aal, not_after from auth.sessions where id = $1${forUpdate ? " for update" : ""}`,
    [id],
  );
  return rows[0];
}

/** The session's `amr` entries, oldest first (GoTrue's CalculateAALAndAMR for aal1 sessions). */
export async function sessionAmr(db: Queryable, sessionId: string): Promise<AmrEntry[]> {
  const { rows } = await db.query<{ method: string; ts: string }>(
    `select authentication_method as method, extract(epoch from updated_at)::bigint::text as ts
       from auth.mfa_amr_claims where session_id = $1 order by updated_at desc`,
    [sessionId],
  );
  return rows.map((r) => ({ method: r.method, timestamp: Number(r.ts) }));
}

/** Which sessions a sign-out ends. */
export type LogoutScope = "global" | "local" | "others";

/** GoTrue's Logout / LogoutSession / LogoutAllExceptMe (refresh tokens go with their session). */
export async function endSessions(
  db: Queryable,
  userId: string,
  sessionId: string | undefined,
  scope: LogoutScope,
): Promise<void> {
  if (sessionId && scope === "local") {
    await db.query(`delete from auth.sessions where id = $1`, [sessionId]);
  } else if (sessionId && scope === "others") {
    await db.query(`delete from auth.sessions where user_id = $1 and id <> $2`, [userId, sessionId]);
  } else {
    await db.query(`delete from auth.sessions where user_id = $1`, [userId]);
  }
}
