import type { AuthHandler } from "./context.ts";

/** `GET /health` (GoTrue's HealthCheck). */
export const health: AuthHandler = async () => ({
  status: 200,
  body: { version: "local", name: "GoTrue", description: "GoTrue is a user registration and authentication API" },
});

/** `GET /settings` (GoTrue's Settings): which providers are on; only email/phone/anonymous exist here. */
export const settings: AuthHandler = async (ctx) => {
  const s = ctx.settings;
  const external: Record<string, boolean> = { anonymous_users: s.anonymousEnabled, email: s.emailEnabled, phone: s.phoneEnabled };
  for (const name of [
    "apple", "azure", "bitbucket", "discord", "facebook", "snapchat", "figma", "fly", "github", "gitlab",
    "google", "keycloak", "kakao", "linkedin", "linkedin_oidc", "notion", "spotify", "slack", "slack_oidc",
    "workos", "twitch", "twitter", "zoom",
  ]) {
    external[name] = false;
  }
  return {
    status: 200,
    body: {
      external,
      disable_signup: !s.enableSignup,
      mailer_autoconfirm: s.mailerAutoconfirm,
      phone_autoconfirm: s.smsAutoconfirm,
      sms_provider: "",
      saml_enabled: false,
      saml_private_key_next_configured: false,
      passkeys_enabled: false,
    },
  };
};

/**
 * `GET /.well-known/jwks.json`: the public signing keys. The local stack signs with the HS256
 * secret only, which is never published, so the list is empty (supabase-js then verifies through
 * `GET /user`).
 */
export const jwks: AuthHandler = async () => ({
  status: 200,
  body: { keys: [] },
  headers: { "Cache-Control": "public, max-age=600" },
});
