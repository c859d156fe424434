import { requireAuthentication } from "./authenticate.ts";
import type { AuthHandler } from "./context.ts";
import { transaction } from "./db.ts";
import { badRequest } from "./errors.ts";
import { endSessions, type LogoutScope } from "./sessions.ts";

/**
 * `POST /logout?scope=global|local|others` (GoTrue's Logout): ends the caller's sessions (all,
 * this one, or all but this one) with their refresh tokens; 204. Access tokens of an ended
 * session are refused by `/user` from then on (session_not_found).
 */
export const logout: AuthHandler = async (ctx, { req, url }) => {
  const raw = url.searchParams.get("scope") ?? "";
  const scope: LogoutScope | undefined =
    raw === "" || raw === "global" ? "global" : raw === "local" || raw === "others" ? raw : undefined;
  if (!scope) throw badRequest("validation_failed", `Unsupported logout scope ${JSON.stringify(raw)}`);
  const caller = await requireAuthentication(ctx.pool, req, ctx.secret);
  await transaction(ctx.pool, (tx) => endSessions(tx, caller.user.id, caller.session?.id, scope));
  return { status: 204 };
};
