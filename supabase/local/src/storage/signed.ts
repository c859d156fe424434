import { withClaims } from "../db.ts";
import { readJson, sendJson } from "../http.ts";
import { JwtError, signJwt, verifyHs256 } from "../jwt.ts";
import { authorize, type StorageCall } from "./context.ts";
import { sendObject } from "./download.ts";
import { ERRORS } from "./errors.ts";
import { findVisibleObject } from "./objects.ts";
import { checkBucketId, checkKey, normalizeKey } from "./paths.ts";
import { checkCanUpload, findBucket } from "./store.ts";
import { storeUpload } from "./upload.ts";
import { header } from "../http.ts";
import type { ObjectRow } from "./store.ts";

/** Signed upload URLs live two hours, as on hosted Storage. */
const UPLOAD_URL_TTL_SECONDS = 2 * 60 * 60;

interface SignedPayload {
  url: string;
  owner?: string;
  upsert?: boolean;
}

function expiresInOf(body: { expiresIn?: unknown } | undefined): number {
  const value = Number(body?.expiresIn);
  if (!Number.isFinite(value) || value < 1) throw ERRORS.invalidParameter("expiresIn must be a number of seconds >= 1");
  return Math.floor(value);
}

async function sign(payload: SignedPayload, seconds: number, secret: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await signJwt({ ...payload, iat: now, exp: now + seconds }, secret);
}

/**
 * Verifies a signed-URL token, that it was issued for `url` and for this purpose: upload tokens
 * carry `upsert`, download tokens do not, so neither can stand in for the other.
 */
async function verifySigned(
  token: string | null,
  url: string,
  secret: string,
  purpose: "download" | "upload",
): Promise<SignedPayload> {
  if (!token) throw ERRORS.invalidSignature("Missing token");
  let payload: SignedPayload;
  try {
    payload = (await verifyHs256(token, secret)) as unknown as SignedPayload;
  } catch (error) {
    if (!(error instanceof JwtError)) throw error;
    throw ERRORS.invalidJwt(error.expired ? "jwt expired" : error.detail);
  }
  if (payload.url !== url || ("upsert" in payload) !== (purpose === "upload")) {
    throw ERRORS.invalidSignature();
  }
  return payload;
}

/** `POST /object/sign/<bucket>/<key>` `{expiresIn}` → `{signedURL}`; the caller must see it. */
export async function signObject(call: StorageCall, bucketId: string, key: string): Promise<void> {
  const body = (await readJson(call.req)) as { expiresIn?: unknown } | undefined;
  const seconds = expiresInOf(body);
  const name = normalizeKey(key);
  await findVisibleObject(call, "storage.object.sign", bucketId, name);
  const url = `${bucketId}/${name}`;
  const token = await sign({ url }, seconds, call.cfg.jwtSecret);
  sendJson(call.res, 200, { signedURL: `/object/sign/${url}?token=${token}` });
}

/** `POST /object/sign/<bucket>` `{expiresIn, paths}` → one `{error, path, signedURL}` per path. */
export async function signObjects(call: StorageCall, bucketId: string): Promise<void> {
  const body = (await readJson(call.req)) as { expiresIn?: unknown; paths?: unknown } | undefined;
  const seconds = expiresInOf(body);
  const paths = body?.paths;
  if (!Array.isArray(paths) || paths.some((p) => typeof p !== "string")) {
    throw ERRORS.invalidParameter("paths must be an array of object names");
  }
  const { claims } = await authorize(call, "storage.object.sign");
  const visible = await withClaims(
    call.pool,
    claims,
    async (client) =>
      (
        await client.query<Pick<ObjectRow, "name">>(
          "select name from storage.objects where bucket_id = $1 and name = any($2::text[])",
          [bucketId, paths],
        )
      ).rows,
    { readOnly: true },
  );
  const names = new Set(visible.map((r) => r.name));
  const result = [];
  for (const path of paths as string[]) {
    if (!names.has(path)) {
      result.push({ error: "Either the object does not exist or you do not have access to it", path, signedURL: null });
      continue;
    }
    const url = `${bucketId}/${path}`;
    const token = await sign({ url }, seconds, call.cfg.jwtSecret);
    result.push({ error: null, path, signedURL: `/object/sign/${url}?token=${token}` });
  }
  sendJson(call.res, 200, result);
}

/** `GET|HEAD /object/sign/<bucket>/<key>?token=…`: no JWT needed, the token is the grant. */
export async function downloadSigned(call: StorageCall, bucketId: string, key: string): Promise<void> {
  const name = normalizeKey(key);
  await verifySigned(call.url.searchParams.get("token"), `${bucketId}/${name}`, call.cfg.jwtSecret, "download");
  const { rows } = await call.pool.query<ObjectRow>(
    `select id, bucket_id, name, owner, owner_id, version, metadata, user_metadata, created_at, updated_at,
       last_accessed_at from storage.objects where bucket_id = $1 and name = $2`,
    [bucketId, name],
  );
  if (!rows[0]) throw ERRORS.noSuchKey();
  await sendObject(call, rows[0]);
}

/**
 * `POST /object/upload/sign/<bucket>/<key>` → `{url, token}`: the caller must be allowed to
 * write the object now (same test as an upload); the token carries owner and upsert.
 */
export async function signUpload(call: StorageCall, bucketId: string, key: string): Promise<void> {
  const { caller, claims } = await authorize(call, "storage.object.sign_upload");
  const target = {
    bucketId: checkBucketId(bucketId),
    name: checkKey(normalizeKey(key)),
    owner: caller.sub,
    upsert: header(call.req, "x-upsert") === "true",
  };
  await findBucket(call.pool, target.bucketId);
  await checkCanUpload(call.pool, claims, target);
  const url = `${target.bucketId}/${target.name}`;
  const token = await sign(
    { url, ...(caller.sub ? { owner: caller.sub } : {}), upsert: target.upsert },
    UPLOAD_URL_TTL_SECONDS,
    call.cfg.jwtSecret,
  );
  sendJson(call.res, 200, { url: `/object/upload/sign/${url}?token=${token}`, token });
}

/** `PUT /object/upload/sign/<bucket>/<key>?token=…`: uploads as the token's owner. */
export async function uploadSigned(call: StorageCall, bucketId: string, key: string): Promise<void> {
  const name = checkKey(normalizeKey(key));
  const payload = await verifySigned(call.url.searchParams.get("token"), `${bucketId}/${name}`, call.cfg.jwtSecret, "upload");
  await storeUpload(call, {
    bucketId: checkBucketId(bucketId),
    name,
    owner: payload.owner,
    upsert: payload.upsert === true,
  });
}
