import { sendJson } from "../http.ts";
import type { Surface, SurfaceContext } from "../surface.ts";
import { createUser, deleteUser, getUserById, listUsers, updateUserById } from "./admin.ts";
import type { AuthContext, AuthHandler } from "./context.ts";
import { API_VERSION_HEADER, AuthHttpError, AuthOAuthError, sendAuthError, wantsApi2024 } from "./errors.ts";
import { logout } from "./logout.ts";
import { health, jwks, settings } from "./meta.ts";
import { loadAuthSettings, type AuthSettings } from "./settings.ts";
import { signup } from "./signup.ts";
import { token } from "./token.ts";
import { getUser, updateUser } from "./user.ts";

export type { AuthSettings } from "./settings.ts";

interface Route {
  method: string;
  pattern: RegExp;
  handler: AuthHandler;
}

const ROUTES: Route[] = [
  { method: "GET", pattern: /^\/health$/, handler: health },
  { method: "GET", pattern: /^\/settings$/, handler: settings },
  { method: "GET", pattern: /^\/\.well-known\/jwks\.json$/, handler: jwks },
  { method: "POST", pattern: /^\/signup$/, handler: signup },
  { method: "POST", pattern: /^\/token$/, handler: token },
  { method: "GET", pattern: /^\/user$/, handler: getUser },
  { method: "PUT", pattern: /^\/user$/, handler: updateUser },
  { method: "POST", pattern: /^\/logout$/, handler: logout },
  { method: "GET", pattern: /^\/admin\/users$/, handler: listUsers },
  { method: "POST", pattern: /^\/admin\/users$/, handler: createUser },
  { method: "GET", pattern: /^\/admin\/users\/(?<id>[^/]+)$/, handler: getUserById },
  { method: "PUT", pattern: /^\/admin\/users\/(?<id>[^/]+)$/, handler: updateUserById },
  { method: "DELETE", pattern: /^\/admin\/users\/(?<id>[^/]+)$/, handler: deleteUser },
];

/**
 * GoTrue routes the local stack knows but cannot serve: they deliver email or SMS, or talk to
 * external identity providers. They answer 422 not_supported_locally rather than a bare 404.
 */
const UNSUPPORTED = /^\/(otp|magiclink|recover|resend|verify|invite|reauthenticate|authorize|callback|factors|sso|saml|passkeys|oauth|admin\/generate_link|admin\/sso|admin\/oauth|admin\/audit|user\/identities)(\/|$)/;

/**
 * `/auth/v1` — a GoTrue stand-in for the official clients (supabase-contracts.md §1): email and
 * password sign-up/sign-in, anonymous sign-in, refresh-token rotation with reuse detection,
 * `/user`, sign-out scopes, the admin user API and GoTrue's error bodies. Settings come from
 * `supabase/config.toml [auth]`; `overrides` replaces any of them (e.g. a shorter
 * `refreshTokenReuseInterval`). It queries as the superuser pool, as GoTrue is privileged.
 */
export function createAuthSurface(ctx: SurfaceContext, overrides: Partial<AuthSettings> = {}): Surface {
  const auth: AuthContext = {
    pool: ctx.pool,
    settings: loadAuthSettings(ctx.cfg, overrides),
    secret: ctx.cfg.jwtSecret,
    log: ctx.log,
  };
  return {
    prefix: "/auth/v1",
    async handle({ req, res, path, url }) {
      try {
        const clean = path.length > 1 ? path.replace(/\/+$/, "") : path;
        const matches = ROUTES.filter((r) => r.pattern.test(clean));
        if (matches.length === 0 && UNSUPPORTED.test(clean)) {
          throw new AuthHttpError(
            422,
            "not_supported_locally",
            `${clean} needs email or SMS delivery, MFA or an external identity provider, which the local stack does not provide`,
          );
        }
        if (matches.length === 0) throw new AuthHttpError(404, "not_found", "Not Found");
        const route = matches.find((r) => r.method === req.method);
        if (!route) throw new AuthHttpError(405, "method_not_allowed", `${req.method} is not allowed on ${clean}`);
        const params = { ...clean.match(route.pattern)?.groups };
        // A malformed escape stays as sent; the handler then refuses it as an invalid value.
        for (const [k, v] of Object.entries(params)) params[k] = decodeOr(v);
        const reply = await route.handler(auth, { req, url, params });
        const headers = { ...reply.headers, ...(wantsApi2024(req) ? { [API_VERSION_HEADER]: "2024-01-01" } : {}) };
        if (reply.body === undefined) {
          res.writeHead(reply.status, headers).end();
        } else {
          sendJson(res, reply.status, reply.body, headers);
        }
      } catch (error) {
        if (!(error instanceof AuthHttpError) && !(error instanceof AuthOAuthError)) {
          ctx.log(`auth: ${(error as Error).stack ?? String(error)}`);
        }
        sendAuthError(req, res, error);
      }
    },
  };
}

function decodeOr(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
