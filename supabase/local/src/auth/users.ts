import type { Queryable } from "./db.ts";

/** The `auth.users` columns the auth surface reads. */
export interface UserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  encrypted_password: string | null;
  email_confirmed_at: Date | null;
  invited_at: Date | null;
  confirmation_sent_at: Date | null;
  recovery_sent_at: Date | null;
  phone: string | null;
  phone_confirmed_at: Date | null;
  confirmed_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  created_at: Date | null;
  updated_at: Date | null;
  banned_until: Date | null;
  deleted_at: Date | null;
  is_anonymous: boolean;
}

/** One `auth.identities` row. */
export interface IdentityRow {
  id: string;
  provider_id: string;
  user_id: string;
  identity_data: Record<string, unknown>;
  provider: string;
  last_sign_in_at: Date | null;
  created_at: Date | null;
  updated_at: Date | null;
  email: string | null;
}

/** A user with its identities, as GoTrue loads it (`Eager()`). */
export interface LoadedUser extends UserRow {
  identities: IdentityRow[];
}

/** GoTrue's audience (`GOTRUE_JWT_AUD`); every user we create carries it. */
export const DEFAULT_AUD = "authenticated";
/** GoTrue's `GOTRUE_JWT_DEFAULT_GROUP_NAME`. */
export const DEFAULT_ROLE = "authenticated";
/** GoTrue still writes the nil instance id. */
export const NIL_INSTANCE = "00000000-0000-0000-0000-000000000000";

const USER_COLUMNS = `id, aud, role, email, encrypted_password, email_confirmed_at, invited_at,
  confirmation_sent_at, recovery_sent_at, phone, phone_confirmed_at, confirmed_at, last_sign_in_at,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at, banned_until, deleted_at, is_anonymous`;

async function withIdentities(db: Queryable, row: UserRow | undefined): Promise<LoadedUser | undefined> {
  if (!row) return undefined;
  const { rows } = await db.query<IdentityRow>(
    `select id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at, email
       from auth.identities where user_id = $1 order by created_at, id`,
    [row.id],
  );
  return { ...row, identities: rows };
}

/** The user with `id` (and its identities), or undefined. `forUpdate` locks the row. */
export async function findUserById(db: Queryable, id: string, forUpdate = false): Promise<LoadedUser | undefined> {
  const { rows } = await db.query<UserRow>(
    `select ${USER_COLUMNS} from auth.users where id = $1${forUpdate ? " for update" : ""}`,
    [id],
  );
  return await withIdentities(db, rows[0]);
}

/** GoTrue's FindUserByEmailAndAudience: case-insensitive, non-SSO users of `aud`. */
export async function findUserByEmail(db: Queryable, email: string, aud = DEFAULT_AUD): Promise<LoadedUser | undefined> {
  const { rows } = await db.query<UserRow>(
    `select ${USER_COLUMNS} from auth.users
      where lower(email) = lower($1) and aud = $2 and is_sso_user = false
      order by created_at limit 1`,
    [email, aud],
  );
  return await withIdentities(db, rows[0]);
}

/** GoTrue's FindUserByPhoneAndAudience. */
export async function findUserByPhone(db: Queryable, phone: string, aud = DEFAULT_AUD): Promise<LoadedUser | undefined> {
  const { rows } = await db.query<UserRow>(
    `select ${USER_COLUMNS} from auth.users where phone = $1 and aud = $2 limit 1`,
    [phone, aud],
  );
  return await withIdentities(db, rows[0]);
}

/** What a new `auth.users` row holds. */
export interface NewUser {
  id?: string;
  email?: string;
  phone?: string;
  /** A bcrypt hash, or undefined for no password (anonymous users). */
  passwordHash?: string;
  appMetadata: Record<string, unknown>;
  userMetadata: Record<string, unknown>;
  isAnonymous?: boolean;
  role?: string;
}

/**
 * Inserts a user the way GoTrue's signupNewUser does (one INSERT, so triggers on `auth.users`
 * see the metadata) and returns its id. Errors (a failing trigger, a duplicate) propagate.
 */
export async function insertUser(db: Queryable, user: NewUser): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into auth.users (instance_id, id, aud, role, email, phone, encrypted_password,
        raw_app_meta_data, raw_user_meta_data, is_anonymous, is_super_admin, created_at, updated_at)
     values ($1, coalesce($2::uuid, extensions.gen_random_uuid()), $3, $4, $5, $6, $7, $8, $9, $10, false, now(), now())
     returning id`,
    [
      NIL_INSTANCE,
      user.id ?? null,
      DEFAULT_AUD,
      user.role ?? DEFAULT_ROLE,
      user.email ?? null,
      user.phone ?? null,
      user.passwordHash ?? "",
      JSON.stringify(user.appMetadata),
      JSON.stringify(user.userMetadata),
      user.isAnonymous ?? false,
    ],
  );
  return rows[0]!.id;
}

/** Inserts an identity (`provider_id` = the user id for email and phone, as GoTrue does). */
export async function insertIdentity(
  db: Queryable,
  userId: string,
  provider: string,
  identityData: Record<string, unknown>,
): Promise<void> {
  await db.query(
    `insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
     values ($1, $4, $2, $3, now(), now(), now())`,
    [userId, JSON.stringify(identityData), provider, userId],
  );
}

/** GoTrue's User.Confirm: sets `email_confirmed_at` and `user_metadata.email_verified = true`. */
export async function confirmEmail(db: Queryable, userId: string): Promise<void> {
  await db.query(
    `update auth.users
        set email_confirmed_at = now(), confirmation_token = '', updated_at = now(),
            raw_user_meta_data = coalesce(raw_user_meta_data, '{}'::jsonb) || '{"email_verified": true}'::jsonb
      where id = $1`,
    [userId],
  );
}

/** GoTrue's User.ConfirmPhone. */
export async function confirmPhone(db: Queryable, userId: string): Promise<void> {
  await db.query(
    `update auth.users set phone_confirmed_at = now(), confirmation_token = '', updated_at = now() where id = $1`,
    [userId],
  );
}

/**
 * Merges `updates` into a metadata column like GoTrue's UpdateUserMetaData/UpdateAppMetaData:
 * keys with a null value are removed, others set.
 */
export async function mergeMetadata(
  db: Queryable,
  userId: string,
  column: "raw_user_meta_data" | "raw_app_meta_data",
  updates: Record<string, unknown>,
): Promise<void> {
  const set = Object.fromEntries(Object.entries(updates).filter(([, v]) => v !== null));
  const remove = Object.entries(updates).filter(([, v]) => v === null).map(([k]) => k);
  // The column name comes from the closed union above, never from a request.
  await db.query(
    `update auth.users set ${column} = (coalesce(${column}, '{}'::jsonb) || $2::jsonb) - $3::text[], updated_at = now()
      where id = $1`,
    [userId, JSON.stringify(set), remove],
  );
}

/** True when the user may not sign in now (`banned_until` in the future). */
export function isBanned(user: UserRow): boolean {
  return user.banned_until !== null && user.banned_until.getTime() > Date.now();
}

function iso(date: Date | null): string | undefined {
  return date ? date.toISOString() : undefined;
}

/** An identity as GoTrue serialises it (`identity_id` is the row id, `id` the provider id). */
export function identityJson(identity: IdentityRow): Record<string, unknown> {
  return omitUndefined({
    identity_id: identity.id,
    id: identity.provider_id,
    user_id: identity.user_id,
    identity_data: identity.identity_data,
    provider: identity.provider,
    last_sign_in_at: iso(identity.last_sign_in_at),
    created_at: iso(identity.created_at),
    updated_at: iso(identity.updated_at),
    email: identity.email ?? undefined,
  });
}

/**
 * A user as GoTrue's models.User marshals it: `email`/`phone` are "" when unset, null
 * timestamps are omitted, field order follows the Go struct. A missing role or aud (a hand-made
 * seed row) is reported as `authenticated`, which is what every API role check expects.
 */
export function userJson(user: LoadedUser): Record<string, unknown> {
  return omitUndefined({
    id: user.id,
    aud: user.aud || DEFAULT_AUD,
    role: user.role || DEFAULT_ROLE,
    email: user.email ?? "",
    email_confirmed_at: iso(user.email_confirmed_at),
    invited_at: iso(user.invited_at),
    phone: user.phone ?? "",
    phone_confirmed_at: iso(user.phone_confirmed_at),
    confirmation_sent_at: iso(user.confirmation_sent_at),
    confirmed_at: iso(user.confirmed_at),
    recovery_sent_at: iso(user.recovery_sent_at),
    last_sign_in_at: iso(user.last_sign_in_at),
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    identities: user.identities.map(identityJson),
    created_at: iso(user.created_at) ?? new Date(0).toISOString(),
    updated_at: iso(user.updated_at) ?? new Date(0).toISOString(),
    banned_until: iso(user.banned_until),
    deleted_at: iso(user.deleted_at),
    is_anonymous: user.is_anonymous,
  });
}

function omitUndefined(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}
