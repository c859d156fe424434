import type { IncomingMessage } from "node:http";
import type { AuthContext } from "./context.ts";
import { CommitWithError, transaction } from "./db.ts";
import { AuthOAuthError, badRequest } from "./errors.ts";
import { findSession, insertRefreshToken, sessionAmr, type RefreshTokenRow } from "./sessions.ts";
import { signAccessToken, tokenResponse, type TokenResponse } from "./tokens.ts";
import { findUserById, isBanned } from "./users.ts";

const NOT_FOUND = "Invalid Refresh Token: Refresh Token Not Found";

/**
 * GoTrue's refresh_token grant (v1 tokens, `tokens.Service.RefreshTokenGrant`), under row locks:
 * - a live token is revoked and replaced by a child token (rotation);
 * - a revoked token that is the parent of the session's current token returns that current
 *   token (the client lost the previous answer);
 * - another revoked token is accepted within `refreshTokenReuseInterval` seconds of its
 *   revocation; later, the session's whole token family is revoked (committed) and the answer is
 *   400 refresh_token_already_used.
 */
export async function refreshGrant(
  ctx: AuthContext,
  req: IncomingMessage,
  refreshToken: string,
): Promise<TokenResponse> {
  if (refreshToken === "") throw new AuthOAuthError("invalid_request", "refresh_token required");
  if (!/^[a-z0-9]{12}$/.test(refreshToken)) throw badRequest("validation_failed", "Refresh token is not valid");
  const { settings } = ctx;
  return await transaction(ctx.pool, async (tx) => {
    const { rows } = await tx.query<RefreshTokenRow & { reuse_expired: boolean }>(
      `select id, token, user_id, revoked, updated_at, parent, session_id,
              updated_at + make_interval(secs => $2) < now() as reuse_expired
         from auth.refresh_tokens where token = $1 for update`,
      [refreshToken, settings.refreshTokenReuseInterval],
    );
    const token = rows[0];
    if (!token) throw badRequest("refresh_token_not_found", NOT_FOUND);
    const session = token.session_id ? await findSession(tx, token.session_id, true) : undefined;
    if (!session) {
      await tx.query(`delete from auth.refresh_tokens where id = $1`, [token.id]);
      throw new CommitWithError(badRequest("session_not_found", "Invalid Refresh Token: No Valid Session Found"));
    }
    const user = await findUserById(tx, session.user_id);
    if (!user) throw badRequest("refresh_token_not_found", NOT_FOUND);
    if (isBanned(user)) throw badRequest("user_banned", "Invalid Refresh Token: User Banned");
    if (session.not_after && session.not_after.getTime() < Date.now()) {
      throw badRequest("session_expired", "Invalid Refresh Token: Session Expired");
    }

    let issued: string | undefined;
    if (token.revoked) {
      const active = await tx.query<{ token: string; parent: string | null }>(
        `select token, parent from auth.refresh_tokens
          where session_id = $1 and revoked = false order by id desc limit 1`,
        [session.id],
      );
      const current = active.rows[0];
      if (current && current.parent === token.token) {
        issued = current.token;
      } else if (token.reuse_expired) {
        if (settings.refreshTokenRotation) {
          await tx.query(
            `update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = $1 and revoked = false`,
            [session.id],
          );
        }
        ctx.log(`auth: refresh token reused after the reuse interval; session ${session.id} revoked`);
        throw new CommitWithError(badRequest("refresh_token_already_used", "Invalid Refresh Token: Already Used"));
      }
    }
    if (issued === undefined) {
      await tx.query(`update auth.refresh_tokens set revoked = true, updated_at = now() where id = $1`, [token.id]);
      issued = await insertRefreshToken(tx, { userId: user.id, sessionId: session.id, parent: token.token });
    }
    await tx.query(`update auth.sessions set refreshed_at = now(), updated_at = now() where id = $1`, [session.id]);
    const amr = await sessionAmr(tx, session.id);
    const signed = await signAccessToken(user, session.id, amr, { settings, secret: ctx.secret });
    return tokenResponse(user, signed, issued);
  });
}
