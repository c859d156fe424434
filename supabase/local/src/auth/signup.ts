import { randomUUID } from "node:crypto";
import type { AuthHandler } from "./context.ts";
import { sqlState, transaction } from "./db.ts";
import { AuthHttpError, badRequest, internal, unprocessable } from "./errors.ts";
import { hashPassword, passwordStrengthError } from "./password.ts";
import { issueSession } from "./tokens.ts";
import {
  confirmEmail,
  confirmPhone,
  findUserByEmail,
  findUserById,
  findUserByPhone,
  insertIdentity,
  insertUser,
  userJson,
  DEFAULT_AUD,
} from "./users.ts";
import { objectParam, readParams, stringParam, validateEmail, validatePhone } from "./validate.ts";

const USER_EXISTS = "User already registered";

/**
 * `POST /signup` (GoTrue's api.go route + Signup + SignupAnonymously): without email and phone
 * it is an anonymous sign-in; otherwise an email (or phone) sign-up. The user, its identity and
 * (when auto-confirmed) its first session are written in ONE transaction, so a failing trigger on
 * `auth.users` leaves nothing behind and answers 500 "Database error saving new user".
 */
export const signup: AuthHandler = async (ctx, { req }) => {
  const params = await readParams(req);
  const email = stringParam(params, "email");
  const phone = stringParam(params, "phone");
  const data = objectParam(params, "data") ?? {};
  const { settings } = ctx;
  const issue = { req, settings, secret: ctx.secret };

  if (email === "" && phone === "") {
    if (!settings.anonymousEnabled) {
      throw unprocessable("anonymous_provider_disabled", "Anonymous sign-ins are disabled");
    }
    if (!settings.enableSignup) throw unprocessable("signup_disabled", "Signups not allowed for this instance");
    const session = await transaction(ctx.pool, async (tx) => {
      let id: string;
      try {
        id = await insertUser(tx, { appMetadata: {}, userMetadata: data, isAnonymous: true });
      } catch (error) {
        ctx.log(`auth: anonymous sign-up failed: ${(error as Error).message}`);
        throw internal("Database error creating anonymous user");
      }
      return await issueSession(tx, id, "anonymous", issue);
    });
    return { status: 200, body: session };
  }

  if (!settings.enableSignup) throw unprocessable("signup_disabled", "Signups not allowed for this instance");
  const password = stringParam(params, "password");
  if (password === "") throw badRequest("validation_failed", "Signup requires a valid password");
  const weak = passwordStrengthError(password, settings);
  if (weak) throw weak;
  if (email !== "" && phone !== "") {
    throw badRequest("validation_failed", "Only an email address or phone number should be provided on signup.");
  }

  const provider = email !== "" ? "email" : "phone";
  let address: string;
  let autoconfirm: boolean;
  if (provider === "email") {
    if (!settings.emailEnabled) throw badRequest("email_provider_disabled", "Email signups are disabled");
    address = validateEmail(email);
    autoconfirm = settings.mailerAutoconfirm;
  } else {
    if (!settings.phoneEnabled) throw badRequest("phone_provider_disabled", "Phone signups are disabled");
    address = validatePhone(phone);
    autoconfirm = settings.smsAutoconfirm;
  }

  const existing =
    provider === "email" ? await findUserByEmail(ctx.pool, address) : await findUserByPhone(ctx.pool, address);
  if (existing) return userExists(autoconfirm, provider, address, data);

  // Hash outside the transaction, as GoTrue does: bcrypt is slow.
  const passwordHash = await hashPassword(password);
  const result = await transaction(ctx.pool, async (tx) => {
    let id: string;
    try {
      id = await insertUser(tx, {
        ...(provider === "email" ? { email: address } : { phone: address }),
        passwordHash,
        appMetadata: { provider, providers: [provider] },
        userMetadata: data,
      });
    } catch (error) {
      if (sqlState(error) === "23505") throw new UserExists();
      ctx.log(`auth: sign-up failed: ${(error as Error).message}`);
      throw internal("Database error saving new user");
    }
    const identityData: Record<string, unknown> = {
      sub: id,
      ...(provider === "email" ? { email: address } : { phone: address }),
      email_verified: false,
      phone_verified: false,
    };
    for (const [key, value] of Object.entries(data)) if (!(key in identityData)) identityData[key] = value;
    await insertIdentity(tx, id, provider, identityData);
    if (!autoconfirm) {
      // A confirmation would be sent here; the local stack sends no email or SMS.
      await tx.query(`update auth.users set confirmation_sent_at = now() where id = $1`, [id]);
      const user = await findUserById(tx, id);
      return { user: userJson(user!) };
    }
    try {
      await (provider === "email" ? confirmEmail(tx, id) : confirmPhone(tx, id));
    } catch (error) {
      ctx.log(`auth: confirming a new user failed: ${(error as Error).message}`);
      throw internal("Database error updating user");
    }
    return { session: await issueSession(tx, id, "password", issue) };
  }).catch((error: unknown) => {
    if (error instanceof UserExists) return { exists: true as const };
    throw error;
  });
  if ("exists" in result) return userExists(autoconfirm, provider, address, data);
  return { status: 200, body: "session" in result ? result.session : result.user };
};

class UserExists extends Error {}

/**
 * GoTrue's answer for an address that is taken: 422 user_already_exists when sign-ups are
 * auto-confirmed; otherwise a look-alike fake user, so the API does not reveal who is registered.
 */
function userExists(autoconfirm: boolean, provider: string, address: string, data: Record<string, unknown>) {
  if (autoconfirm) throw new AuthHttpError(422, "user_already_exists", USER_EXISTS);
  const now = new Date().toISOString();
  return {
    status: 200,
    body: {
      id: randomUUID(),
      aud: DEFAULT_AUD,
      role: "",
      email: provider === "email" ? address : "",
      phone: provider === "phone" ? address : "",
      confirmation_sent_at: now,
      app_metadata: { provider, providers: [provider] },
      user_metadata: data,
      identities: [],
      created_at: now,
      updated_at: now,
      is_anonymous: false,
    },
  };
}
