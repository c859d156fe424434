import {
  AuthApiError,
  AuthRetryableFetchError,
  isAuthSessionMissingError,
  isAuthWeakPasswordError,
} from "@supabase/supabase-js";
import { decodeProtectedHeader, jwtVerify } from "jose";
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { client, newUser, serviceClient, sql, stackInfo } from "./clients.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PASSWORD = "correct-horse-battery-staple";

function email(prefix: string): string {
  return `${prefix}-${randomUUID()}@example.test`;
}

async function claimsOf(token: string): Promise<Record<string, unknown>> {
  const { payload } = await jwtVerify(token, new TextEncoder().encode(stackInfo().jwtSecret));
  return payload as Record<string, unknown>;
}

/** Moves a session's refresh tokens back in time, past any reuse interval (instead of waiting). */
async function ageRefreshTokens(sessionId: string): Promise<void> {
  const db = await sql();
  try {
    await db.query(
      `update auth.refresh_tokens set updated_at = now() - interval '1 hour' where session_id = $1`,
      [sessionId],
    );
  } finally {
    await db.end();
  }
}

describe("signUp()", () => {
  it("returns a session whose user and JWT claims match GoTrue when the email is new", async () => {
    const address = email("Signup-Case");
    const before = Math.floor(Date.now() / 1000);
    const { data, error } = await client().auth.signUp({
      email: address,
      password: PASSWORD,
      options: { data: { display_name: "Ada" } },
    });
    expect(error).toBeNull();
    const session = data.session!;
    const user = data.user!;
    expect(session.token_type).toBe("bearer");
    expect(session.expires_in).toBeGreaterThan(3500);
    expect(session.expires_at).toBeGreaterThanOrEqual(before + 3599);
    expect(session.refresh_token).toMatch(/^[a-z0-9]{12}$/);

    expect(user.id).toMatch(UUID);
    expect(user.aud).toBe("authenticated");
    expect(user.role).toBe("authenticated");
    expect(user.email).toBe(address.toLowerCase());
    expect(user.phone).toBe("");
    expect(user.email_confirmed_at).toBeTruthy();
    expect(user.app_metadata).toEqual({ provider: "email", providers: ["email"] });
    expect(user.user_metadata).toMatchObject({ display_name: "Ada", email_verified: true });
    expect(user.identities).toHaveLength(1);
    expect(user.identities![0]).toMatchObject({ provider: "email", id: user.id, user_id: user.id });
    expect(user.is_anonymous).toBe(false);
    expect(user).not.toHaveProperty("invited_at");

    expect(decodeProtectedHeader(session.access_token)).toEqual({ alg: "HS256", typ: "JWT" });
    const claims = await claimsOf(session.access_token);
    expect(claims).toMatchObject({
      iss: `${stackInfo().url}/auth/v1`,
      sub: user.id,
      aud: "authenticated",
      email: address.toLowerCase(),
      phone: "",
      role: "authenticated",
      aal: "aal1",
      is_anonymous: false,
      app_metadata: { provider: "email", providers: ["email"] },
      user_metadata: { display_name: "Ada" },
    });
    expect(claims["session_id"]).toMatch(UUID);
    expect(claims["amr"]).toEqual([{ method: "password", timestamp: expect.any(Number) }]);
    expect(Number(claims["exp"]) - Number(claims["iat"])).toBe(3600);
    expect(claims["exp"]).toBe(session.expires_at);
  });

  it("fails with user_already_exists (422) when the email is taken, whatever its case", async () => {
    const user = await newUser("dup");
    const { data, error } = await client().auth.signUp({ email: user.email.toUpperCase(), password: PASSWORD });
    expect(data.session).toBeNull();
    expect(error).toBeInstanceOf(AuthApiError);
    expect(error).toMatchObject({ status: 422, code: "user_already_exists", message: "User already registered" });
  });

  it("fails with AuthWeakPasswordError (422, reason length) when the password is too short", async () => {
    const { error } = await client().auth.signUp({ email: email("weak"), password: "12345" });
    expect(isAuthWeakPasswordError(error)).toBe(true);
    expect(error).toMatchObject({ status: 422, code: "weak_password", reasons: ["length"] });
    expect(error!.message).toBe("Password should be at least 6 characters.");
  });

  it("fails with validation_failed (400) when the email is malformed", async () => {
    const { error } = await client().auth.signUp({ email: "not-an-email", password: PASSWORD });
    expect(error).toMatchObject({ status: 400, code: "validation_failed" });
  });

  it("fails with a retryable 500 and stores nothing when a trigger on auth.users raises", async () => {
    const db = await sql();
    const address = email("trigger");
    try {
      await db.query(`
        create or replace function public.auth_test_refuse_signup() returns trigger
        language plpgsql as $$
        begin
          if new.raw_user_meta_data ->> 'refuse' = 'yes' then raise exception 'refused by test trigger'; end if;
          return new;
        end $$;
        drop trigger if exists auth_test_refuse_signup on auth.users;
        create trigger auth_test_refuse_signup after insert on auth.users
          for each row execute function public.auth_test_refuse_signup();`);
      const { data, error } = await client().auth.signUp({
        email: address,
        password: PASSWORD,
        options: { data: { refuse: "yes" } },
      });
      expect(data.session).toBeNull();
      expect(error).toBeInstanceOf(AuthRetryableFetchError);
      expect(error!.status).toBe(500);
      const rows = await db.query(`select 1 from auth.users where email = $1`, [address]);
      expect(rows.rowCount).toBe(0);
    } finally {
      await db.query(`drop trigger if exists auth_test_refuse_signup on auth.users;
                      drop function if exists public.auth_test_refuse_signup();`);
      await db.end();
    }
  });
});

describe("signInWithPassword()", () => {
  it("returns a new session when the password is right", async () => {
    const user = await newUser("signin");
    const { data, error } = await client().auth.signInWithPassword({ email: user.email, password: user.password });
    expect(error).toBeNull();
    expect(data.user!.id).toBe(user.id);
    expect(data.user!.last_sign_in_at).toBeTruthy();
    const claims = await claimsOf(data.session!.access_token);
    const first = await claimsOf(user.accessToken);
    expect(claims["sub"]).toBe(user.id);
    expect(claims["session_id"]).not.toBe(first["session_id"]);
  });

  it("fails with invalid_credentials (400) when the password is wrong or the email unknown", async () => {
    const user = await newUser("badpw");
    for (const attempt of [
      { email: user.email, password: "wrong-password" },
      { email: email("nobody"), password: PASSWORD },
    ]) {
      const { data, error } = await client().auth.signInWithPassword(attempt);
      expect(data.session).toBeNull();
      expect(error).toBeInstanceOf(AuthApiError);
      expect(error).toMatchObject({ status: 400, code: "invalid_credentials", message: "Invalid login credentials" });
    }
  });

  it("signs in a seeded user whose password pgcrypto hashed with crypt(pw, gen_salt('bf'))", async () => {
    const db = await sql();
    const address = email("seeded");
    try {
      await db.query(
        `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                                 raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
         values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', $1,
                 extensions.crypt('seed-password', extensions.gen_salt('bf')), now(),
                 '{"provider":"email","providers":["email"]}', '{}', now(), now())`,
        [address],
      );
    } finally {
      await db.end();
    }
    const { data, error } = await client().auth.signInWithPassword({ email: address, password: "seed-password" });
    expect(error).toBeNull();
    expect(data.user!.email).toBe(address);
  });
});

describe("refresh_token grant", () => {
  it("rotates the refresh token and returns a working access token", async () => {
    const user = await newUser("refresh");
    const { data: signedIn } = await user.client.auth.getSession();
    const first = signedIn.session!.refresh_token;
    const { data, error } = await client().auth.refreshSession({ refresh_token: first });
    expect(error).toBeNull();
    expect(data.session!.refresh_token).not.toBe(first);
    expect(data.session!.refresh_token).toMatch(/^[a-z0-9]{12}$/);
    const { data: got, error: getError } = await client().auth.getUser(data.session!.access_token);
    expect(getError).toBeNull();
    expect(got.user!.id).toBe(user.id);
    const before = await claimsOf(user.accessToken);
    expect((await claimsOf(data.session!.access_token))["session_id"]).toBe(before["session_id"]);
  });

  it("returns the current token when the previous one is reused, and revokes the session when an older one is reused after the interval", async () => {
    const user = await newUser("reuse");
    const { data: s0 } = await user.client.auth.getSession();
    const a = s0.session!.refresh_token;
    const sessionId = String((await claimsOf(user.accessToken))["session_id"]);

    const b = (await client().auth.refreshSession({ refresh_token: a })).data.session!.refresh_token;
    // The client lost the answer and retries with A: GoTrue hands back B, not a new token.
    const again = await client().auth.refreshSession({ refresh_token: a });
    expect(again.error).toBeNull();
    expect(again.data.session!.refresh_token).toBe(b);

    const c = (await client().auth.refreshSession({ refresh_token: b })).data.session!.refresh_token;
    expect(c).not.toBe(b);
    await ageRefreshTokens(sessionId);
    const reused = await client().auth.refreshSession({ refresh_token: a });
    expect(reused.data.session).toBeNull();
    expect(reused.error).toMatchObject({ status: 400, code: "refresh_token_already_used" });

    // The whole family is revoked: once past the interval the current token fails too.
    await ageRefreshTokens(sessionId);
    const current = await client().auth.refreshSession({ refresh_token: c });
    expect(current.error).toMatchObject({ status: 400, code: "refresh_token_already_used" });
  });

  it("fails with refresh_token_not_found (400) for an unknown token", async () => {
    const { error } = await client().auth.refreshSession({ refresh_token: "abcdefghijkl" });
    expect(error).toMatchObject({ status: 400, code: "refresh_token_not_found" });
  });
});

describe("getUser()", () => {
  it("returns the token's user", async () => {
    const user = await newUser("getuser");
    const { data, error } = await user.client.auth.getUser();
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ id: user.id, email: user.email, aud: "authenticated", is_anonymous: false });
  });

  it("fails with bad_jwt (403) for the anon key, which has no sub", async () => {
    const { error } = await client().auth.getUser(stackInfo().anonKey);
    expect(error).toMatchObject({ status: 403, code: "bad_jwt" });
  });

  it("getClaims() returns the verified claims of the session", async () => {
    const user = await newUser("claims");
    const { data, error } = await user.client.auth.getClaims();
    expect(error).toBeNull();
    expect(data!.claims).toMatchObject({ sub: user.id, role: "authenticated", aud: "authenticated" });
  });
});

describe("updateUser()", () => {
  it("merges user_metadata and changes the password", async () => {
    const user = await newUser("update");
    const { data, error } = await user.client.auth.updateUser({ data: { theme: "dark" }, password: "another-password-1" });
    expect(error).toBeNull();
    expect(data.user!.user_metadata).toMatchObject({ theme: "dark", email_verified: true });
    const old = await client().auth.signInWithPassword({ email: user.email, password: user.password });
    expect(old.error).toMatchObject({ code: "invalid_credentials" });
    const fresh = await client().auth.signInWithPassword({ email: user.email, password: "another-password-1" });
    expect(fresh.error).toBeNull();
  });
});

describe("signOut()", () => {
  it("makes getUser(oldJwt) report a missing session after a global sign-out", async () => {
    const user = await newUser("signout");
    const other = await client().auth.signInWithPassword({ email: user.email, password: user.password });
    const { data: s } = await user.client.auth.getSession();
    const refreshToken = s.session!.refresh_token;
    const { error } = await user.client.auth.signOut();
    expect(error).toBeNull();
    for (const token of [user.accessToken, other.data.session!.access_token]) {
      const result = await client().auth.getUser(token);
      expect(result.data.user).toBeNull();
      expect(isAuthSessionMissingError(result.error)).toBe(true);
    }
    const refreshed = await client().auth.refreshSession({ refresh_token: refreshToken });
    expect(refreshed.error).toMatchObject({ code: "refresh_token_not_found" });
  });

  it("ends only the current session with scope local", async () => {
    const user = await newUser("signout-local");
    const other = await client().auth.signInWithPassword({ email: user.email, password: user.password });
    expect((await user.client.auth.signOut({ scope: "local" })).error).toBeNull();
    expect(isAuthSessionMissingError((await client().auth.getUser(user.accessToken)).error)).toBe(true);
    const still = await client().auth.getUser(other.data.session!.access_token);
    expect(still.error).toBeNull();
    expect(still.data.user!.id).toBe(user.id);
  });
});

describe("signInAnonymously()", () => {
  it("returns a session for a new anonymous user with is_anonymous in user and JWT", async () => {
    const { data, error } = await client().auth.signInAnonymously();
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ is_anonymous: true, email: "", phone: "", role: "authenticated" });
    expect(data.user!.identities).toEqual([]);
    const claims = await claimsOf(data.session!.access_token);
    expect(claims).toMatchObject({ is_anonymous: true, sub: data.user!.id, email: "" });
    expect(claims["amr"]).toEqual([{ method: "anonymous", timestamp: expect.any(Number) }]);
  });

  it("turns into a permanent email user when the anonymous user sets an email", async () => {
    const anon = client();
    const { data } = await anon.auth.signInAnonymously();
    const address = email("converted");
    const updated = await anon.auth.updateUser({ email: address });
    expect(updated.error).toBeNull();
    expect(updated.data.user).toMatchObject({ id: data.user!.id, email: address, is_anonymous: false });
    expect((await anon.auth.updateUser({ password: PASSWORD })).error).toBeNull();
    const signedIn = await client().auth.signInWithPassword({ email: address, password: PASSWORD });
    expect(signedIn.data.user?.id).toBe(data.user!.id);
  });
});

describe("auth.admin", () => {
  it("creates, lists and deletes users with the service_role key", async () => {
    const admin = serviceClient().auth.admin;
    const address = email("admin");
    const created = await admin.createUser({
      email: address,
      password: PASSWORD,
      email_confirm: true,
      user_metadata: { name: "Grace" },
    });
    expect(created.error).toBeNull();
    const id = created.data.user!.id;
    expect(created.data.user).toMatchObject({ email: address, user_metadata: { name: "Grace" } });
    expect(created.data.user!.email_confirmed_at).toBeTruthy();

    const listed = await admin.listUsers({ page: 1, perPage: 1000 });
    expect(listed.error).toBeNull();
    expect(listed.data.users.map((u) => u.id)).toContain(id);
    expect("total" in listed.data ? listed.data.total : 0).toBeGreaterThanOrEqual(1);

    const signedIn = await client().auth.signInWithPassword({ email: address, password: PASSWORD });
    expect(signedIn.error).toBeNull();

    const deleted = await admin.deleteUser(id);
    expect(deleted.error).toBeNull();
    const gone = await admin.getUserById(id);
    expect(gone.error).toMatchObject({ status: 404, code: "user_not_found" });
    const stale = await client().auth.getUser(signedIn.data.session!.access_token);
    expect(stale.error).toMatchObject({ status: 403, code: "user_not_found" });
  });

  it("works with the opaque secret key too", async () => {
    const { data, error } = await client(stackInfo().secretKey).auth.admin.listUsers({ page: 1, perPage: 1 });
    expect(error).toBeNull();
    expect(data.users.length).toBeLessThanOrEqual(1);
  });

  it("fails with not_admin (403) for the anon key and for a user's token", async () => {
    const anonResult = await client().auth.admin.listUsers();
    expect(anonResult.error).toMatchObject({ status: 403, code: "not_admin" });
    const user = await newUser("notadmin");
    const userResult = await client(user.accessToken).auth.admin.createUser({ email: email("x"), password: PASSWORD });
    expect(userResult.error).toMatchObject({ status: 403, code: "not_admin" });
  });
});

describe("unsupported flows", () => {
  it("signInWithOtp() and resetPasswordForEmail() fail with not_supported_locally (422) instead of a silent success", async () => {
    const otp = await client().auth.signInWithOtp({ email: email("otp") });
    expect(otp.error).toMatchObject({ status: 422, code: "not_supported_locally" });
    const reset = await client().auth.resetPasswordForEmail(email("reset"));
    expect(reset.error).toMatchObject({ status: 422, code: "not_supported_locally" });
  });
});

describe("/auth/v1 plumbing", () => {
  let url: string;
  beforeAll(() => {
    url = `${stackInfo().url}/auth/v1`;
  });

  it("serves an empty JWKS, health and settings", async () => {
    const headers = { apikey: stackInfo().anonKey };
    const jwks = await fetch(`${url}/.well-known/jwks.json`, { headers });
    expect(jwks.status).toBe(200);
    expect(await jwks.json()).toEqual({ keys: [] });
    const health = await fetch(`${url}/health`, { headers });
    expect(await health.json()).toMatchObject({ name: "GoTrue" });
    const settings = await fetch(`${url}/settings`, { headers });
    expect(await settings.json()).toMatchObject({
      external: { email: true, anonymous_users: true },
      mailer_autoconfirm: true,
      disable_signup: false,
    });
  });

  it("signs up despite an X-Forwarded-For that is not an IP address", async () => {
    const res = await fetch(`${url}/signup`, {
      method: "POST",
      headers: { apikey: stackInfo().anonKey, "content-type": "application/json", "x-forwarded-for": "1.2.3, cafe" },
      body: JSON.stringify({ email: email("forwarded"), password: "correct-horse-battery-staple" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ access_token: expect.any(String) });
  });

  it("answers 404, not 500, when an admin user id has a malformed percent-escape", async () => {
    const res = await fetch(`${url}/admin/users/%E0%A4%A`, {
      headers: { apikey: stackInfo().serviceRoleKey, "x-supabase-api-version": "2024-01-01" },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: "validation_failed" });
  });

  it("echoes X-Supabase-Api-Version with {code,message}, and uses the legacy body without it", async () => {
    const body = JSON.stringify({ email: email("nobody"), password: "whatever-pw" });
    const base = { apikey: stackInfo().anonKey, "content-type": "application/json" };
    const modern = await fetch(`${url}/token?grant_type=password`, {
      method: "POST",
      headers: { ...base, "x-supabase-api-version": "2024-01-01" },
      body,
    });
    expect(modern.status).toBe(400);
    expect(modern.headers.get("x-supabase-api-version")).toBe("2024-01-01");
    expect(await modern.json()).toEqual({ code: "invalid_credentials", message: "Invalid login credentials" });
    const legacy = await fetch(`${url}/token?grant_type=password`, { method: "POST", headers: base, body });
    expect(legacy.headers.get("x-supabase-api-version")).toBeNull();
    expect(await legacy.json()).toEqual({ code: 400, error_code: "invalid_credentials", msg: "Invalid login credentials" });
  });
});
