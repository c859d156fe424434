import type { IncomingMessage } from "node:http";
import { signJwt } from "../jwt.ts";
import type { Queryable } from "./db.ts";
import { internal } from "./errors.ts";
import { sessionAmr, startSession, type AuthMethod } from "./sessions.ts";
import type { AuthSettings } from "./settings.ts";
import { DEFAULT_AUD, DEFAULT_ROLE, findUserById, userJson, type LoadedUser } from "./users.ts";

/** The session object GoTrue returns (AccessTokenResponse). */
export interface TokenResponse {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  expires_at: number;
  refresh_token: string;
  user: Record<string, unknown>;
  weak_password?: { message: string; reasons: string[] };
}

/**
 * Signs a user access token with GoTrue's claim set and order (`iss sub aud exp iat email phone
 * app_metadata user_metadata role aal amr session_id is_anonymous`), HS256 with the project
 * secret. `aud` is a string, not an array. Returns the token and its `exp`.
 */
export async function signAccessToken(
  user: LoadedUser,
  sessionId: string,
  amr: { method: string; timestamp: number }[],
  options: { settings: AuthSettings; secret: string },
): Promise<{ token: string; expiresAt: number }> {
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + options.settings.jwtExpiry;
  const claims = {
    iss: options.settings.jwtIssuer,
    sub: user.id,
    aud: user.aud || DEFAULT_AUD,
    exp,
    iat,
    email: user.email ?? "",
    phone: user.phone ?? "",
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    role: user.role || DEFAULT_ROLE,
    aal: "aal1",
    amr,
    session_id: sessionId,
    is_anonymous: user.is_anonymous,
  };
  return { token: await signJwt(claims, options.secret), expiresAt: exp };
}

/** Builds the session JSON for a signed token. */
export function tokenResponse(
  user: LoadedUser,
  signed: { token: string; expiresAt: number },
  refreshToken: string,
): TokenResponse {
  return {
    access_token: signed.token,
    token_type: "bearer",
    expires_in: Math.max(1, signed.expiresAt - Math.floor(Date.now() / 1000)),
    expires_at: signed.expiresAt,
    refresh_token: refreshToken,
    user: userJson(user),
  };
}

/**
 * GoTrue's IssueRefreshToken inside the caller's transaction: starts a session for `userId`,
 * reloads the user (triggers may have changed it) and signs its first access token.
 */
export async function issueSession(
  db: Queryable,
  userId: string,
  method: AuthMethod,
  options: { req: IncomingMessage; settings: AuthSettings; secret: string },
): Promise<TokenResponse> {
  const { sessionId, refreshToken } = await startSession(db, userId, method, options.req);
  const user = await findUserById(db, userId);
  if (!user) throw internal("Database error granting user");
  const amr = await sessionAmr(db, sessionId);
  const signed = await signAccessToken(user, sessionId, amr, options);
  return tokenResponse(user, signed, refreshToken);
}
