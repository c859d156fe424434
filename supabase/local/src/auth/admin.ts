import { randomBytes } from "node:crypto";
import { requireAdmin } from "./authenticate.ts";
import type { AuthContext, AuthHandler, AuthRequest } from "./context.ts";
import { sqlState, transaction } from "./db.ts";
import { badRequest, internal, notFound, unprocessable } from "./errors.ts";
import { hashPassword, MAX_PASSWORD_LENGTH } from "./password.ts";
import {
  confirmEmail,
  confirmPhone,
  findUserByEmail,
  findUserById,
  findUserByPhone,
  insertIdentity,
  insertUser,
  mergeMetadata,
  userJson,
  DEFAULT_AUD,
  type IdentityRow,
  type LoadedUser,
  type UserRow,
} from "./users.ts";
import { objectParam, readParams, stringParam, validateEmail, validatePhone, type Params } from "./validate.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function admin(ctx: AuthContext, request: AuthRequest): Promise<void> {
  await requireAdmin(ctx.pool, request.req, { secret: ctx.secret, adminRoles: ctx.settings.adminRoles });
}

/**
 * `GET /admin/users?page=&per_page=&filter=` (GoTrue's adminUsers): newest first, 50 a page by
 * default, `{users, aud}` with `X-Total-Count` and a `Link` header (rel next/last) that
 * supabase-js parses into nextPage/lastPage/total.
 */
export const listUsers: AuthHandler = async (ctx, request) => {
  await admin(ctx, request);
  const { url } = request;
  const page = pageNumber(url.searchParams.get("page"), 1);
  const perPage = pageNumber(url.searchParams.get("per_page"), 50);
  const filter = url.searchParams.get("filter") ?? "";
  const like = `%${filter.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const where = `aud = $1 and ($2 = '' or email ilike $3 or raw_user_meta_data->>'full_name' ilike $3)`;
  const count = await ctx.pool.query<{ n: string }>(`select count(*)::text as n from auth.users where ${where}`, [
    DEFAULT_AUD,
    filter,
    like,
  ]);
  const total = Number(count.rows[0]?.n ?? 0);
  const { rows } = await ctx.pool.query<UserRow>(
    `select id, aud, role, email, encrypted_password, email_confirmed_at, invited_at, confirmation_sent_at,
            recovery_sent_at, phone, phone_confirmed_at, confirmed_at, last_sign_in_at, raw_app_meta_data,
            raw_user_meta_data, created_at, updated_at, banned_until, deleted_at, is_anonymous
       from auth.users where ${where}
      order by created_at desc, id desc limit $4 offset $5`,
    [DEFAULT_AUD, filter, like, perPage, (page - 1) * perPage],
  );
  const identities = await ctx.pool.query<IdentityRow>(
    `select id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at, email
       from auth.identities where user_id = any($1::uuid[]) order by created_at, id`,
    [rows.map((r) => r.id)],
  );
  const users: LoadedUser[] = rows.map((r) => ({
    ...r,
    identities: identities.rows.filter((i) => i.user_id === r.id),
  }));
  return {
    status: 200,
    body: { users: users.map(userJson), aud: DEFAULT_AUD },
    headers: { Link: linkHeader(url, page, perPage, total), "X-Total-Count": String(total) },
  };
};

function pageNumber(raw: string | null, fallback: number): number {
  if (raw === null || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw badRequest("validation_failed", `Bad Pagination Parameters: ${JSON.stringify(raw)} is not a number`);
  return Math.max(1, Number(raw));
}

// GoTrue's addPaginationHeaders: path-relative URLs with the query keys sorted.
function linkHeader(url: URL, page: number, perPage: number, total: number): string {
  const totalPages = Math.ceil(total / perPage);
  const link = (p: number) => {
    const q = new URLSearchParams(url.searchParams);
    q.set("page", String(p));
    q.sort();
    return `</admin/users?${q.toString()}>`;
  };
  let header = "";
  if (totalPages > page) header += `${link(page + 1)}; rel="next", `;
  return `${header}${link(totalPages)}; rel="last"`;
}

/** `GET /admin/users/<id>`. */
export const getUserById: AuthHandler = async (ctx, request) => {
  await admin(ctx, request);
  return { status: 200, body: userJson(await loadUser(ctx, request.params["id"] ?? "")) };
};

async function loadUser(ctx: AuthContext, id: string): Promise<LoadedUser> {
  if (!UUID.test(id)) throw notFound("validation_failed", "user_id must be an UUID");
  const user = await findUserById(ctx.pool, id);
  if (!user) throw notFound("user_not_found", "User not found");
  return user;
}

/**
 * `POST /admin/users` (GoTrue's adminUserCreate): email and/or phone, `password` (or none: a
 * random one) or `password_hash` (bcrypt), `email_confirm`, `phone_confirm`, `user_metadata`,
 * `app_metadata`, `role`, `ban_duration`, `id`. No password policy, as in GoTrue.
 */
export const createUser: AuthHandler = async (ctx, request) => {
  await admin(ctx, request);
  const params = await readParams(request.req);
  const rawEmail = stringParam(params, "email");
  const rawPhone = stringParam(params, "phone");
  if (rawEmail === "" && rawPhone === "") {
    throw badRequest("validation_failed", "Cannot create a user without either an email or phone");
  }
  const providers: string[] = [];
  let email: string | undefined;
  let phone: string | undefined;
  if (rawEmail !== "") {
    email = validateEmail(rawEmail);
    if (await findUserByEmail(ctx.pool, email)) {
      throw unprocessable("email_exists", "A user with this email address has already been registered");
    }
    providers.push("email");
  }
  if (rawPhone !== "") {
    phone = validatePhone(rawPhone);
    if (await findUserByPhone(ctx.pool, phone)) {
      throw unprocessable("phone_exists", "Phone number already registered by another user");
    }
    providers.push("phone");
  }
  const passwordHash = await adminPasswordHash(params);
  const id = stringParam(params, "id");
  if (id !== "" && !UUID.test(id)) throw badRequest("validation_failed", "ID must conform to the uuid v4 format");
  const banUntil = banDuration(params);
  const userId = await transaction(ctx.pool, async (tx) => {
    let newId: string;
    try {
      newId = await insertUser(tx, {
        ...(id ? { id } : {}),
        ...(email ? { email } : {}),
        ...(phone ? { phone } : {}),
        passwordHash,
        appMetadata: { provider: providers[0], providers },
        userMetadata: objectParam(params, "user_metadata") ?? {},
        ...(stringParam(params, "role") ? { role: stringParam(params, "role") } : {}),
      });
    } catch (error) {
      if (sqlState(error) === "23505") throw unprocessable("email_exists", "A user with this email address has already been registered");
      ctx.log(`auth: admin create user failed: ${(error as Error).message}`);
      throw internal("Database error creating new user");
    }
    if (email) await insertIdentity(tx, newId, "email", { sub: newId, email, email_verified: false, phone_verified: false });
    if (phone) await insertIdentity(tx, newId, "phone", { sub: newId, phone, email_verified: false, phone_verified: false });
    await applyAdminUpdates(tx, newId, params, banUntil);
    return newId;
  });
  return { status: 200, body: userJson((await findUserById(ctx.pool, userId))!) };
};

/**
 * `PUT /admin/users/<id>` (GoTrue's adminUserUpdate, common fields): email, phone, password,
 * user_metadata, app_metadata, role, email_confirm, phone_confirm, ban_duration.
 */
export const updateUserById: AuthHandler = async (ctx, request) => {
  await admin(ctx, request);
  const user = await loadUser(ctx, request.params["id"] ?? "");
  const params = await readParams(request.req);
  const email = stringParam(params, "email") === "" ? undefined : validateEmail(stringParam(params, "email"));
  const phone = stringParam(params, "phone") === "" ? undefined : validatePhone(stringParam(params, "phone"));
  if (email && email !== user.email) {
    const other = await findUserByEmail(ctx.pool, email);
    if (other && other.id !== user.id) throw unprocessable("email_exists", "A user with this email address has already been registered");
  }
  const hasPassword = params["password"] !== undefined || params["password_hash"] !== undefined;
  const passwordHash = hasPassword ? await adminPasswordHash(params) : undefined;
  const banUntil = banDuration(params);
  await transaction(ctx.pool, async (tx) => {
    if (email && email !== user.email) {
      await tx.query(`update auth.users set email = $2, updated_at = now() where id = $1`, [user.id, email]);
    }
    if (phone && phone !== user.phone) {
      await tx.query(`update auth.users set phone = $2, updated_at = now() where id = $1`, [user.id, phone]);
    }
    if (passwordHash !== undefined) {
      await tx.query(`update auth.users set encrypted_password = $2, updated_at = now() where id = $1`, [user.id, passwordHash]);
    }
    await applyAdminUpdates(tx, user.id, params, banUntil);
  });
  return { status: 200, body: userJson((await findUserById(ctx.pool, user.id))!) };
};

async function applyAdminUpdates(
  tx: import("./db.ts").Queryable,
  userId: string,
  params: Params,
  banUntil: Date | null | undefined,
): Promise<void> {
  const role = stringParam(params, "role");
  if (role) await tx.query(`update auth.users set role = $2 where id = $1`, [userId, role]);
  const userMetadata = objectParam(params, "user_metadata");
  if (userMetadata) await mergeMetadata(tx, userId, "raw_user_meta_data", userMetadata);
  const appMetadata = objectParam(params, "app_metadata");
  if (appMetadata) await mergeMetadata(tx, userId, "raw_app_meta_data", appMetadata);
  if (params["email_confirm"] === true) await confirmEmail(tx, userId);
  if (params["phone_confirm"] === true) await confirmPhone(tx, userId);
  if (banUntil !== undefined) {
    await tx.query(`update auth.users set banned_until = $2 where id = $1`, [userId, banUntil]);
    if (banUntil) await tx.query(`delete from auth.sessions where user_id = $1`, [userId]);
  }
}

async function adminPasswordHash(params: Params): Promise<string> {
  const password = stringParam(params, "password");
  const hash = stringParam(params, "password_hash");
  if (password !== "" && hash !== "") {
    throw badRequest("validation_failed", "Only a password or a password hash should be provided");
  }
  if (hash !== "") {
    if (!/^\$2[aby]\$\d\d\$.{53}$/.test(hash)) throw badRequest("validation_failed", "Invalid password hash: only bcrypt hashes are supported locally");
    return hash;
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw badRequest("validation_failed", "bcrypt: password length exceeds 72 bytes");
  }
  return await hashPassword(password !== "" ? password : randomBytes(32).toString("base64url"));
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };

/** `ban_duration` as Go's time.ParseDuration reads it ("24h", "1h30m"); "none" lifts a ban. */
function banDuration(params: Params): Date | null | undefined {
  const raw = stringParam(params, "ban_duration");
  if (raw === "") return undefined;
  if (raw === "none") return null;
  const parts = [...raw.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== raw) {
    throw badRequest("validation_failed", `invalid format for ban duration: time: invalid duration ${JSON.stringify(raw)}`);
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
  return new Date(Date.now() + ms);
}

/**
 * `DELETE /admin/users/<id>` (GoTrue's adminUserDelete): removes the user (identities and
 * sessions cascade); with `should_soft_delete` it keeps an anonymised row with `deleted_at`.
 * Answers `{}`.
 */
export const deleteUser: AuthHandler = async (ctx, request) => {
  await admin(ctx, request);
  const user = await loadUser(ctx, request.params["id"] ?? "");
  const params = await readParams(request.req);
  await transaction(ctx.pool, async (tx) => {
    if (params["should_soft_delete"] === true) {
      if (user.deleted_at) return;
      await tx.query(
        `update auth.users set deleted_at = now(), email = null, phone = null, encrypted_password = '',
                raw_app_meta_data = '{}'::jsonb, raw_user_meta_data = '{}'::jsonb, updated_at = now()
          where id = $1`,
        [user.id],
      );
      await tx.query(`delete from auth.identities where user_id = $1`, [user.id]);
      await tx.query(`delete from auth.sessions where user_id = $1`, [user.id]);
      return;
    }
    try {
      await tx.query(`delete from auth.users where id = $1`, [user.id]);
    } catch (error) {
      ctx.log(`auth: deleting user ${user.id} failed: ${(error as Error).message}`);
      throw internal("Database error deleting user");
    }
  });
  return { status: 200, body: {} };
};
