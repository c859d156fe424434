import { requireAuthentication } from "./authenticate.ts";
import type { AuthHandler } from "./context.ts";
import { sqlState, transaction } from "./db.ts";
import { badRequest, forbidden, internal, unprocessable } from "./errors.ts";
import { hashPassword, passwordStrengthError, verifyPassword } from "./password.ts";
import { findUserByEmail, findUserById, insertIdentity, mergeMetadata, userJson, DEFAULT_AUD } from "./users.ts";
import { objectParam, readParams, stringParam, validateEmail } from "./validate.ts";

/** `GET /user` (GoTrue's UserGet): the caller's user; the token's `aud` must be `authenticated`. */
export const getUser: AuthHandler = async (ctx, { req }) => {
  const caller = await requireAuthentication(ctx.pool, req, ctx.secret);
  const aud = Array.isArray(caller.claims.aud) ? caller.claims.aud[0] : caller.claims.aud;
  if (aud !== DEFAULT_AUD) throw badRequest("validation_failed", "Token audience doesn't match request audience");
  return { status: 200, body: userJson(caller.user) };
};

/**
 * `PUT /user` (GoTrue's UserUpdate), the parts that need no email or SMS:
 * - `data` merges into user_metadata (null values remove keys);
 * - `password` (policy-checked, must differ) ends the user's other sessions;
 * - `email` on an anonymous user converts it to a permanent, confirmed email user (GoTrue does
 *   this with auto-confirm); changing a permanent user's email or any phone needs a confirmation
 *   message the local stack cannot send, so it is refused with 422 validation_failed;
 * - `app_metadata` is for admins only (403 not_admin).
 */
export const updateUser: AuthHandler = async (ctx, { req }) => {
  const caller = await requireAuthentication(ctx.pool, req, ctx.secret);
  const params = await readParams(req);
  const user = caller.user;
  const email = stringParam(params, "email") === "" ? "" : validateEmail(stringParam(params, "email"));
  const phone = stringParam(params, "phone");
  const password = params["password"] === undefined || params["password"] === null ? undefined : stringParam(params, "password");
  const data = objectParam(params, "data");
  if (password !== undefined) {
    const weak = passwordStrengthError(password, ctx.settings);
    if (weak) throw weak;
  }
  if (objectParam(params, "app_metadata") !== undefined) {
    throw forbidden("not_admin", "Updating app_metadata requires admin privileges");
  }
  const changingEmail = email !== "" && email !== (user.email ?? "");
  if (user.is_anonymous && password && !changingEmail && !user.email) {
    throw unprocessable(
      "validation_failed",
      "Updating password of an anonymous user without an email or phone is not allowed",
    );
  }
  if (changingEmail) {
    if (await findUserByEmail(ctx.pool, email)) {
      throw unprocessable("email_exists", "A user with this email address has already been registered");
    }
    if (!(user.is_anonymous && ctx.settings.mailerAutoconfirm)) {
      throw unprocessable(
        "validation_failed",
        "Changing the email of a permanent user needs a confirmation email, which the local stack does not send",
      );
    }
  }
  if (phone !== "" && phone !== (user.phone ?? "")) {
    throw unprocessable("validation_failed", "Changing the phone number needs an SMS, which the local stack does not send");
  }
  if (password && (await verifyPassword(password, user.encrypted_password))) {
    throw unprocessable("same_password", "New password should be different from the old password.");
  }
  const passwordHash = password ? await hashPassword(password) : undefined;

  await transaction(ctx.pool, async (tx) => {
    if (changingEmail) {
      try {
        await tx.query(
          `update auth.users
              set email = $2, email_confirmed_at = now(), is_anonymous = false, updated_at = now(),
                  raw_app_meta_data = coalesce(raw_app_meta_data, '{}'::jsonb)
                    || '{"provider": "email", "providers": ["email"]}'::jsonb,
                  raw_user_meta_data = coalesce(raw_user_meta_data, '{}'::jsonb) || '{"email_verified": true}'::jsonb
            where id = $1`,
          [user.id, email],
        );
      } catch (error) {
        if (sqlState(error) === "23505") {
          throw unprocessable("email_exists", "A user with this email address has already been registered");
        }
        throw internal("Database error updating user");
      }
      await insertIdentity(tx, user.id, "email", { sub: user.id, email, email_verified: true, phone_verified: false });
    }
    if (passwordHash !== undefined) {
      await tx.query(`update auth.users set encrypted_password = $2, updated_at = now() where id = $1`, [
        user.id,
        passwordHash,
      ]);
      // GoTrue's UpdatePassword: a password change signs the user out everywhere else.
      if (caller.session) {
        await tx.query(`delete from auth.sessions where user_id = $1 and id <> $2`, [user.id, caller.session.id]);
      } else {
        await tx.query(`delete from auth.sessions where user_id = $1`, [user.id]);
      }
    }
    if (data) await mergeMetadata(tx, user.id, "raw_user_meta_data", data);
  });
  const updated = await findUserById(ctx.pool, user.id);
  return { status: 200, body: userJson(updated!) };
};
