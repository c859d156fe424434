import type { AuthHandler } from "./context.ts";
import { transaction } from "./db.ts";
import { badRequest, unprocessable } from "./errors.ts";
import { passwordStrengthError, verifyPassword } from "./password.ts";
import { refreshGrant } from "./refresh.ts";
import { issueSession } from "./tokens.ts";
import { findUserByEmail, findUserByPhone, isBanned } from "./users.ts";
import { readParams, stringParam, validatePhone, type Params } from "./validate.ts";
import type { AuthContext } from "./context.ts";
import type { IncomingMessage } from "node:http";

const INVALID_LOGIN = "Invalid login credentials";

/** `POST /token?grant_type=password|refresh_token` (GoTrue's Token endpoint). */
export const token: AuthHandler = async (ctx, { req, url }) => {
  const grantType = url.searchParams.get("grant_type") ?? "";
  const params = await readParams(req);
  switch (grantType) {
    case "password":
      return { status: 200, body: await passwordGrant(ctx, req, params) };
    case "refresh_token":
      return { status: 200, body: await refreshGrant(ctx, req, stringParam(params, "refresh_token")) };
    default:
      // GoTrue answers unknown (and unsupported: id_token, pkce, web3) grants this way.
      throw badRequest("invalid_credentials", "unsupported_grant_type");
  }
};

/**
 * GoTrue's ResourceOwnerPasswordGrant: the same 400 invalid_credentials for an unknown address,
 * a user without a password and a wrong password; email_not_confirmed only after the password
 * matched. A password that no longer meets the policy still signs in, with `weak_password`.
 */
async function passwordGrant(ctx: AuthContext, req: IncomingMessage, params: Params) {
  const email = stringParam(params, "email");
  const phone = stringParam(params, "phone");
  const password = stringParam(params, "password");
  const { settings } = ctx;
  if (email !== "" && phone !== "") {
    throw badRequest("validation_failed", "Only an email address or phone number should be provided on login.");
  }
  let user;
  if (email !== "") {
    if (!settings.emailEnabled) throw unprocessable("email_provider_disabled", "Email logins are disabled");
    user = await findUserByEmail(ctx.pool, email);
  } else if (phone !== "") {
    let formatted: string;
    try {
      formatted = validatePhone(phone);
    } catch {
      throw badRequest("invalid_credentials", INVALID_LOGIN);
    }
    user = await findUserByPhone(ctx.pool, formatted);
  } else {
    throw badRequest("validation_failed", "missing email or phone");
  }
  if (!user || !user.encrypted_password) throw badRequest("invalid_credentials", INVALID_LOGIN);
  if (isBanned(user)) throw badRequest("user_banned", "User is banned");
  if (!(await verifyPassword(password, user.encrypted_password))) {
    throw badRequest("invalid_credentials", INVALID_LOGIN);
  }
  const weak = passwordStrengthError(password, settings);
  if (email !== "" && !user.email_confirmed_at) throw badRequest("email_not_confirmed", "Email not confirmed");
  if (phone !== "" && !user.phone_confirmed_at) throw badRequest("phone_not_confirmed", "Phone not confirmed");
  const session = await transaction(ctx.pool, (tx) =>
    issueSession(tx, user.id, "password", { req, settings, secret: ctx.secret }),
  );
  if (weak?.code === "weak_password") {
    const reasons = (weak.extra["weak_password"] as { reasons: string[] }).reasons;
    session.weak_password = { message: weak.message, reasons };
  }
  return session;
}
