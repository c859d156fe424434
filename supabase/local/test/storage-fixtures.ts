import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { signJwt } from "../src/jwt.ts";
import { newUser, sql, stackInfo } from "./clients.ts";

/** A user with a storage-ready client (its JWT as Authorization, the anon key as apikey). */
export interface StorageUser {
  id: string;
  jwt: string;
  client: SupabaseClient;
}

/** A signed-up user (the stack's auth surface), its access token and its own client. */
export async function storageUser(): Promise<StorageUser> {
  const user = await newUser("storage");
  return { id: user.id, jwt: user.accessToken, client: user.client };
}

/**
 * A user whose token is minted here instead of by the auth surface: an `auth.users` row plus an
 * access-token-shaped JWT signed with the stack's secret, for lifetimes auth would not issue
 * (already expired).
 */
export async function mintedUser(ttlSeconds: number): Promise<StorageUser> {
  const id = randomUUID();
  const db = await sql();
  try {
    await db.query(
      `insert into auth.users (id, aud, role, email, created_at, updated_at)
       values ($1, 'authenticated', 'authenticated', $2, now(), now())`,
      [id, `storage-${id}@example.test`],
    );
  } finally {
    await db.end();
  }
  const now = Math.floor(Date.now() / 1000);
  const jwt = await signJwt(
    { sub: id, role: "authenticated", aud: "authenticated", iat: now, exp: now + ttlSeconds },
    stackInfo().jwtSecret,
  );
  return { id, jwt, client: clientWithToken(jwt) };
}

/** supabase-js with a fixed bearer token (how an RLS-authenticated server client is built). */
export function clientWithToken(jwt: string): SupabaseClient {
  return createClient(stackInfo().url, stackInfo().anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { headers: { Authorization: `Bearer ${jwt}` } },
    realtime: { transport: WebSocket as never },
  });
}

/** Options of {@link ownFolderBucket}. */
export interface BucketOptions {
  public?: boolean;
  fileSizeLimit?: number;
  allowedMimeTypes?: string[];
  /** Create the four "own folder" policies (default true). */
  policies?: boolean;
}

/**
 * Creates a uniquely named bucket as superuser and, unless told otherwise, the usual Supabase
 * policies for it: an authenticated user may select, insert, update and delete objects whose
 * first folder is their own user id. Returns the bucket id.
 */
export async function ownFolderBucket(options: BucketOptions = {}): Promise<string> {
  const id = `t-${randomUUID().slice(0, 8)}`;
  const db = await sql();
  try {
    await db.query(
      `insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
       values ($1, $1, $2, $3, $4)`,
      [id, options.public ?? false, options.fileSizeLimit ?? null, options.allowedMimeTypes ?? null],
    );
    if (options.policies ?? true) {
      const own = `bucket_id = '${id}' and (storage.foldername(name))[1] = (select auth.uid()::text)`;
      await db.query(`
        create policy "${id} users read own folder" on storage.objects for select to authenticated using (${own});
        create policy "${id} users add to own folder" on storage.objects for insert to authenticated with check (${own});
        create policy "${id} users update own folder" on storage.objects for update to authenticated using (${own}) with check (${own});
        create policy "${id} users delete from own folder" on storage.objects for delete to authenticated using (${own});
      `);
    }
  } finally {
    await db.end();
  }
  return id;
}

/** Rows of `storage.objects` for a bucket (superuser view). */
export async function objectRows(bucket: string): Promise<{ name: string; owner: string | null; version: string }[]> {
  const db = await sql();
  try {
    return (
      await db.query("select name, owner, version from storage.objects where bucket_id = $1 order by name", [bucket])
    ).rows;
  } finally {
    await db.end();
  }
}
