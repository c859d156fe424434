import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { serviceClient, stackInfo } from "./clients.ts";
import { clientWithToken, mintedUser, objectRows, ownFolderBucket, storageUser } from "./storage-fixtures.ts";
import { signJwt } from "../src/jwt.ts";

/** Files of a bucket on disk (the stack keeps bytes under `<stateDir>/storage/<bucket>/`). */
async function filesOnDisk(bucket: string): Promise<string[]> {
  return await fs.readdir(path.join(stackInfo().stateDir, "storage", bucket)).catch(() => []);
}

/** Staging files left by uploads (must be none once a request is answered). */
/** When the running test started: staging files older than that belong to other tests. */
let testStarted = 0;
beforeEach(() => {
  testStarted = Date.now();
});

/**
 * Staging files written since this test started that are still there once in-flight uploads had
 * up to 5 s to finish. Other test files upload into the same stack at the same time, so the
 * folder is rarely empty; a file this test left behind never goes away. The server learns of a
 * dead client connection asynchronously, with no event a test could await, hence the polling.
 */
async function stagingFiles(): Promise<string[]> {
  const dir = path.join(stackInfo().stateDir, "storage", "#tmp");
  const recent = async () => {
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    const stats = await Promise.all(
      names.map(async (n) => ({ n, mtime: (await fs.stat(path.join(dir, n)).catch(() => null))?.mtimeMs })),
    );
    return stats.filter((s) => s.mtime !== undefined && s.mtime >= testStarted).map((s) => s.n);
  };
  const deadline = Date.now() + 5_000;
  let left = await recent();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = await recent();
  }
  return left;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("storage objects", () => {
  it("upload() stores a Blob in the user's folder and download() returns the same bytes", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const bytes = new TextEncoder().encode("hello storage");
    const { data, error } = await user.client.storage
      .from(bucket)
      .upload(`${user.id}/notes/hello.txt`, new Blob([bytes], { type: "text/plain" }));
    expect(error).toBeNull();
    expect(data).toMatchObject({ path: `${user.id}/notes/hello.txt`, fullPath: `${bucket}/${user.id}/notes/hello.txt` });
    expect(data?.id).toMatch(/^[0-9a-f-]{36}$/);

    const download = await user.client.storage.from(bucket).download(`${user.id}/notes/hello.txt`);
    expect(download.error).toBeNull();
    expect(new Uint8Array(await download.data!.arrayBuffer())).toEqual(bytes);
    expect(download.data!.type).toBe("text/plain");

    const rows = await objectRows(bucket);
    expect(rows).toEqual([{ name: `${user.id}/notes/hello.txt`, owner: user.id, version: expect.any(String) }]);
    expect(await filesOnDisk(bucket)).toEqual([rows[0]!.version]);
  });

  it("upload() of a raw body keeps content type, cache control and custom metadata; info() shows them", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const key = `${user.id}/data.json`;
    const body = Buffer.from(JSON.stringify({ a: 1 }));
    const up = await user.client.storage.from(bucket).upload(key, body, {
      contentType: "application/json",
      cacheControl: "60",
      metadata: { source: "test" },
    });
    expect(up.error).toBeNull();
    const info = await user.client.storage.from(bucket).info(key);
    expect(info.error).toBeNull();
    expect(info.data).toMatchObject({
      name: key,
      bucketId: bucket,
      size: body.length,
      contentType: "application/json",
      cacheControl: "max-age=60",
      etag: `"${createHash("md5").update(body).digest("hex")}"`,
      metadata: { source: "test" },
    });
    const listed = await user.client.storage.from(bucket).list(user.id);
    expect(listed.data?.[0]?.metadata).toMatchObject({
      size: body.length,
      mimetype: "application/json",
      cacheControl: "max-age=60",
      contentLength: body.length,
      httpStatusCode: 200,
    });
  });

  it("upload() into another user's folder fails with 403 and writes no row and no file", async () => {
    const bucket = await ownFolderBucket();
    const [alice, mallory] = [await storageUser(), await storageUser()];
    const { error } = await mallory.client.storage
      .from(bucket)
      .upload(`${alice.id}/evil.txt`, new Blob(["x".repeat(10_000)]));
    expect(error).toMatchObject({
      name: "StorageApiError",
      status: 400,
      statusCode: "403",
      message: "new row violates row-level security policy",
    });
    expect(await objectRows(bucket)).toEqual([]);
    expect(await filesOnDisk(bucket)).toEqual([]);
    expect(await stagingFiles()).toEqual([]);
  });

  it("upload() to a bucket without policies is refused for users (RLS on, no default policies)", async () => {
    const bucket = await ownFolderBucket({ policies: false });
    const user = await storageUser();
    const { error } = await user.client.storage.from(bucket).upload(`${user.id}/a.txt`, "a");
    expect(error).toMatchObject({ statusCode: "403" });
    expect(await objectRows(bucket)).toEqual([]);
  });

  it("upload() of an existing path fails with 409 unless upsert; update() replaces the bytes", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const store = user.client.storage.from(bucket);
    const key = `${user.id}/file.txt`;
    expect((await store.upload(key, "one")).error).toBeNull();
    const before = await objectRows(bucket);
    const dup = await store.upload(key, "two");
    expect(dup.error).toMatchObject({ status: 400, statusCode: "409", message: "The resource already exists" });
    expect(await (await store.download(key)).data!.text()).toBe("one");

    expect((await store.upload(key, "three", { upsert: true })).error).toBeNull();
    expect(await (await store.download(key)).data!.text()).toBe("three");
    expect((await store.update(key, "four")).error).toBeNull();
    expect(await (await store.download(key)).data!.text()).toBe("four");
    // One row, one file: replaced versions are deleted from disk.
    const after = await objectRows(bucket);
    expect(after).toHaveLength(1);
    expect(after[0]!.version).not.toBe(before[0]!.version);
    expect(await filesOnDisk(bucket)).toEqual([after[0]!.version]);
  });

  it("download() of a missing object, or one RLS hides, fails with 404", async () => {
    const bucket = await ownFolderBucket();
    const [alice, bob] = [await storageUser(), await storageUser()];
    await alice.client.storage.from(bucket).upload(`${alice.id}/secret.txt`, "secret");
    const missing = await alice.client.storage.from(bucket).download(`${alice.id}/nope.txt`);
    expect(missing.error).toMatchObject({ status: 400, statusCode: "404", message: "Object not found" });
    const hidden = await bob.client.storage.from(bucket).download(`${alice.id}/secret.txt`);
    expect(hidden.error).toMatchObject({ statusCode: "404" });
    const info = await bob.client.storage.from(bucket).info(`${alice.id}/secret.txt`);
    expect(info.error).toMatchObject({ statusCode: "404" });
  });

  it("exists() is true for a visible object and false for a missing one", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    await user.client.storage.from(bucket).upload(`${user.id}/here.txt`, "x");
    expect((await user.client.storage.from(bucket).exists(`${user.id}/here.txt`)).data).toBe(true);
    expect((await user.client.storage.from(bucket).exists(`${user.id}/gone.txt`)).data).toBe(false);
  });

  it("paths with spaces, unicode and stray slashes round-trip decoded and normalised", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const up = await user.client.storage.from(bucket).upload(`/${user.id}//my folder/résumé ü.txt/`, "unicode");
    expect(up.error).toBeNull();
    expect(up.data?.path).toBe(`${user.id}/my folder/résumé ü.txt`);
    expect((await objectRows(bucket)).map((r) => r.name)).toEqual([`${user.id}/my folder/résumé ü.txt`]);
    const down = await user.client.storage.from(bucket).download(`${user.id}/my folder/résumé ü.txt`);
    expect(await down.data?.text()).toBe("unicode");
  });

  it("upload() of a caller FormData (file first, fields after) and of a 20 MB Blob keeps every byte", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const form = new FormData();
    form.append("file", new Blob(["form bytes"], { type: "application/json" }), "x.json");
    form.append("metadata", JSON.stringify({ via: "form" }));
    const viaForm = await user.client.storage.from(bucket).upload(`${user.id}/form.json`, form, { cacheControl: "120" });
    expect(viaForm.error).toBeNull();
    const info = await user.client.storage.from(bucket).info(`${user.id}/form.json`);
    expect(info.data).toMatchObject({ contentType: "application/json", cacheControl: "max-age=120", size: 10, metadata: { via: "form" } });

    const big = new Uint8Array(20 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) % 251;
    expect((await user.client.storage.from(bucket).upload(`${user.id}/big.bin`, new Blob([big]))).error).toBeNull();
    const down = await user.client.storage.from(bucket).download(`${user.id}/big.bin`);
    expect(sha256(new Uint8Array(await down.data!.arrayBuffer()))).toBe(sha256(big));
  });

  it("upload() of a stream without a length is cut at the bucket limit with 413 and nothing kept", async () => {
    const bucket = await ownFolderBucket({ fileSizeLimit: 64 * 1024 });
    const user = await storageUser();
    const chunk = new Uint8Array(16 * 1024);
    const over = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 64; i++) controller.enqueue(chunk); // 1 MB
        controller.close();
      },
    });
    const refused = await user.client.storage.from(bucket).upload(`${user.id}/stream.bin`, over, { contentType: "application/octet-stream" });
    expect(refused.error).toMatchObject({ status: 400, statusCode: "413" });
    const under = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(chunk);
        controller.close();
      },
    });
    expect((await user.client.storage.from(bucket).upload(`${user.id}/ok.bin`, under)).error).toBeNull();
    expect((await objectRows(bucket)).map((r) => r.name)).toEqual([`${user.id}/ok.bin`]);
    expect(await filesOnDisk(bucket)).toHaveLength(1);
    expect(await stagingFiles()).toEqual([]);
  });

  it("upload() whose client dies mid-body leaves no row and no staging file", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const dying = new ReadableStream<Uint8Array>({
      async pull(controller) {
        controller.enqueue(new Uint8Array(256 * 1024));
        await new Promise((resolve) => setTimeout(resolve, 20));
        controller.error(new Error("client crashed"));
      },
    });
    const { error } = await user.client.storage.from(bucket).upload(`${user.id}/half.bin`, dying);
    expect(error).not.toBeNull();
    expect(await stagingFiles()).toEqual([]);
    expect(await objectRows(bucket)).toEqual([]);
    expect(await filesOnDisk(bucket)).toEqual([]);
  });

  it("upload() with upsert, run concurrently on one key, leaves one row and one file", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const key = `${user.id}/same.txt`;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => user.client.storage.from(bucket).upload(key, `v${i}`, { upsert: true })),
    );
    expect(results.map((r) => r.error)).toEqual(results.map(() => null));
    const rows = await objectRows(bucket);
    expect(rows).toHaveLength(1);
    expect(await filesOnDisk(bucket)).toEqual([rows[0]!.version]);
  });

  it("upload() with an invalid key fails with 400 InvalidKey", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const { error } = await user.client.storage.from(bucket).upload(`${user.id}/brace{x}.txt`, "x");
    expect(error).toMatchObject({ statusCode: "400" });
    expect(error?.message).toMatch(/Invalid key/);
  });
});

describe("storage list", () => {
  it("list() returns direct children with folders as {name, id: null, metadata: null}", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const store = user.client.storage.from(bucket);
    for (const key of ["a.txt", "B.txt", "docs/one.txt", "docs/two.txt", "Photos/x/y.png", "c.txt"]) {
      expect((await store.upload(`${user.id}/${key}`, key)).error).toBeNull();
    }
    const { data, error } = await store.list(user.id);
    expect(error).toBeNull();
    expect(data!.map((e) => e.name)).toEqual(["a.txt", "B.txt", "c.txt", "docs", "Photos"]);
    const docs = data!.find((e) => e.name === "docs")!;
    expect(docs).toMatchObject({ id: null, metadata: null, updated_at: null });
    expect(data!.find((e) => e.name === "a.txt")!.id).toMatch(/^[0-9a-f-]{36}$/);

    // The prefix is a folder: `docs` lists inside it, not the siblings starting with "docs".
    expect((await store.list(`${user.id}/docs`)).data!.map((e) => e.name)).toEqual(["one.txt", "two.txt"]);
    expect((await store.list(`${user.id}/Photos`)).data!.map((e) => e.name)).toEqual(["x"]);
    // limit/offset, sort order, search (case-insensitive).
    expect((await store.list(user.id, { limit: 2, offset: 1 })).data!.map((e) => e.name)).toEqual(["B.txt", "c.txt"]);
    expect((await store.list(user.id, { sortBy: { column: "name", order: "desc" } })).data!.map((e) => e.name)).toEqual([
      "Photos", "docs", "c.txt", "B.txt", "a.txt",
    ]);
    expect((await store.list(user.id, { search: "b" })).data!.map((e) => e.name)).toEqual(["B.txt"]);
    expect((await store.list(user.id.toUpperCase())).data!.length).toBe(5);
  });

  it("list() only shows what the caller's policies allow", async () => {
    const bucket = await ownFolderBucket();
    const [alice, bob] = [await storageUser(), await storageUser()];
    await alice.client.storage.from(bucket).upload(`${alice.id}/a.txt`, "a");
    await bob.client.storage.from(bucket).upload(`${bob.id}/b.txt`, "b");
    const root = await alice.client.storage.from(bucket).list();
    expect(root.data!.map((e) => e.name)).toEqual([alice.id]);
    expect((await alice.client.storage.from(bucket).list(bob.id)).data).toEqual([]);
    const all = await serviceClient().storage.from(bucket).list();
    expect(all.data!.map((e) => e.name).sort()).toEqual([alice.id, bob.id].sort());
  });
});

describe("storage remove, move and copy", () => {
  it("remove() deletes the caller's objects and returns them, [] for ones RLS hides", async () => {
    const bucket = await ownFolderBucket();
    const [alice, bob] = [await storageUser(), await storageUser()];
    await alice.client.storage.from(bucket).upload(`${alice.id}/1.txt`, "1");
    await alice.client.storage.from(bucket).upload(`${alice.id}/2.txt`, "2");
    const denied = await bob.client.storage.from(bucket).remove([`${alice.id}/1.txt`]);
    expect(denied).toEqual({ data: [], error: null });
    expect(await objectRows(bucket)).toHaveLength(2);

    const removed = await alice.client.storage.from(bucket).remove([`${alice.id}/1.txt`, `${alice.id}/2.txt`, `${alice.id}/none`]);
    expect(removed.error).toBeNull();
    expect(removed.data!.map((r) => r.name).sort()).toEqual([`${alice.id}/1.txt`, `${alice.id}/2.txt`]);
    expect(await objectRows(bucket)).toEqual([]);
    expect(await filesOnDisk(bucket)).toEqual([]);
  });

  it("move() renames within and across buckets; copy() duplicates; both respect policies", async () => {
    const bucket = await ownFolderBucket();
    const other = await ownFolderBucket();
    const [alice, bob] = [await storageUser(), await storageUser()];
    const store = alice.client.storage.from(bucket);
    await store.upload(`${alice.id}/from.txt`, "moving");
    expect((await store.move(`${alice.id}/from.txt`, `${alice.id}/sub/to.txt`)).error).toBeNull();
    expect((await store.download(`${alice.id}/from.txt`)).error).toMatchObject({ statusCode: "404" });
    expect(await (await store.download(`${alice.id}/sub/to.txt`)).data!.text()).toBe("moving");

    const copied = await store.copy(`${alice.id}/sub/to.txt`, `${alice.id}/copy.txt`);
    expect(copied).toEqual({ data: { path: `${bucket}/${alice.id}/copy.txt` }, error: null });
    expect(await (await store.download(`${alice.id}/copy.txt`)).data!.text()).toBe("moving");

    const across = await store.move(`${alice.id}/copy.txt`, `${alice.id}/moved.txt`, { destinationBucket: other });
    expect(across.error).toBeNull();
    expect(await (await alice.client.storage.from(other).download(`${alice.id}/moved.txt`)).data!.text()).toBe("moving");
    expect(await filesOnDisk(other)).toHaveLength(1);

    // Into someone else's folder: refused, nothing changes.
    const foreign = await store.move(`${alice.id}/sub/to.txt`, `${bob.id}/stolen.txt`);
    expect(foreign.error).toMatchObject({ statusCode: "403" });
    const foreignCopy = await store.copy(`${alice.id}/sub/to.txt`, `${bob.id}/stolen.txt`);
    expect(foreignCopy.error).toMatchObject({ statusCode: "403" });
    expect((await objectRows(bucket)).map((r) => r.name)).toEqual([`${alice.id}/sub/to.txt`]);
    expect(await filesOnDisk(bucket)).toHaveLength(1);
    // Bob cannot move Alice's object at all.
    expect((await bob.client.storage.from(bucket).move(`${alice.id}/sub/to.txt`, `${bob.id}/x.txt`)).error).toMatchObject({
      statusCode: "404",
    });
  });
});

describe("storage signed URLs", () => {
  it("createSignedUrl() gives a URL that downloads without a session, then expires", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    const key = `${user.id}/signed file.txt`;
    await user.client.storage.from(bucket).upload(key, "signed bytes");
    const { data, error } = await user.client.storage.from(bucket).createSignedUrl(key, 3);
    expect(error).toBeNull();
    const first = await fetch(data!.signedUrl);
    expect(first.status).toBe(200);
    expect(await first.text()).toBe("signed bytes");
    const ranged = await fetch(data!.signedUrl, { headers: { Range: "bytes=7-11" } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("content-range")).toBe("bytes 7-11/12");
    expect(await ranged.text()).toBe("bytes");

    // Token expiry has one-second granularity and no event announces it: poll with a deadline.
    const deadline = Date.now() + 10_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await fetch(data!.signedUrl)).status;
    }
    expect(status).toBe(400);

    const forOther = await (await storageUser()).client.storage.from(bucket).createSignedUrl(key, 60);
    expect(forOther.error).toMatchObject({ statusCode: "404" });
    const tampered = data!.signedUrl.replace("signed%20file.txt", "other.txt");
    expect((await fetch(tampered)).status).toBe(400);
  });

  it("createSignedUrls() signs visible paths and reports the others", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    await user.client.storage.from(bucket).upload(`${user.id}/a.txt`, "A");
    const { data, error } = await user.client.storage
      .from(bucket)
      .createSignedUrls([`${user.id}/a.txt`, `${user.id}/missing.txt`], 60);
    expect(error).toBeNull();
    expect(data![0]).toMatchObject({ path: `${user.id}/a.txt`, error: null });
    expect(await (await fetch(data![0]!.signedUrl!)).text()).toBe("A");
    expect(data![1]).toMatchObject({ path: `${user.id}/missing.txt`, signedUrl: null });
    expect(data![1]!.error).toMatch(/does not exist/);
  });

  it("createSignedUploadUrl() + uploadToSignedUrl() store the object as the signer; foreign folders are refused", async () => {
    const bucket = await ownFolderBucket();
    const [alice, bob] = [await storageUser(), await storageUser()];
    const store = alice.client.storage.from(bucket);
    const signed = await store.createSignedUploadUrl(`${alice.id}/via-signed.txt`);
    expect(signed.error).toBeNull();
    expect(signed.data!.signedUrl).toContain(`token=${signed.data!.token}`);
    // Anyone holding the token may upload (anon client here).
    const anon = clientWithToken(stackInfo().anonKey);
    const up = await anon.storage.from(bucket).uploadToSignedUrl(`${alice.id}/via-signed.txt`, signed.data!.token, new Blob(["signed upload"]));
    expect(up.error).toBeNull();
    expect(up.data?.fullPath).toBe(`${bucket}/${alice.id}/via-signed.txt`);
    expect(await objectRows(bucket)).toEqual([{ name: `${alice.id}/via-signed.txt`, owner: alice.id, version: expect.any(String) }]);
    // The token is bound to its path.
    const elsewhere = await anon.storage.from(bucket).uploadToSignedUrl(`${alice.id}/other.txt`, signed.data!.token, "x");
    expect(elsewhere.error).toMatchObject({ statusCode: "400" });

    const foreign = await bob.client.storage.from(bucket).createSignedUploadUrl(`${alice.id}/bob.txt`);
    expect(foreign.error).toMatchObject({ statusCode: "403" });
  });
});

describe("storage bucket limits and public buckets", () => {
  it("upload() over the bucket's file_size_limit fails with 413 and leaves nothing", async () => {
    const bucket = await ownFolderBucket({ fileSizeLimit: 1024 });
    const user = await storageUser();
    const big = await user.client.storage.from(bucket).upload(`${user.id}/big.bin`, new Blob([new Uint8Array(2048)]));
    expect(big.error).toMatchObject({ status: 400, statusCode: "413" });
    const raw = await user.client.storage.from(bucket).upload(`${user.id}/big-raw.bin`, Buffer.alloc(4096));
    expect(raw.error).toMatchObject({ statusCode: "413" });
    expect((await user.client.storage.from(bucket).upload(`${user.id}/small.bin`, new Blob([new Uint8Array(1024)]))).error).toBeNull();
    expect((await objectRows(bucket)).map((r) => r.name)).toEqual([`${user.id}/small.bin`]);
    expect(await filesOnDisk(bucket)).toHaveLength(1);
    expect(await stagingFiles()).toEqual([]);
  });

  it("upload() of a mime type the bucket does not allow fails with 415; type/* patterns match", async () => {
    const bucket = await ownFolderBucket({ allowedMimeTypes: ["image/*", "application/json"] });
    const user = await storageUser();
    const store = user.client.storage.from(bucket);
    const text = await store.upload(`${user.id}/a.txt`, new Blob(["x"], { type: "text/plain" }));
    expect(text.error).toMatchObject({ statusCode: "415" });
    expect(text.error?.message).toBe("mime type text/plain is not supported");
    expect((await store.upload(`${user.id}/a.png`, new Blob(["png"], { type: "image/png" }))).error).toBeNull();
    expect((await store.upload(`${user.id}/a.json`, "{}", { contentType: "application/json" })).error).toBeNull();
    expect((await objectRows(bucket)).length).toBe(2);
  });

  it("getPublicUrl() serves objects of public buckets without a session, never of private ones", async () => {
    const pub = await ownFolderBucket({ public: true });
    const priv = await ownFolderBucket();
    const user = await storageUser();
    await user.client.storage.from(pub).upload(`${user.id}/open.txt`, "public bytes");
    await user.client.storage.from(priv).upload(`${user.id}/closed.txt`, "private bytes");
    const open = await fetch(user.client.storage.from(pub).getPublicUrl(`${user.id}/open.txt`).data.publicUrl);
    expect(open.status).toBe(200);
    expect(await open.text()).toBe("public bytes");
    const closed = await fetch(user.client.storage.from(priv).getPublicUrl(`${user.id}/closed.txt`).data.publicUrl);
    expect(closed.status).toBe(400);
    expect(await closed.json()).toMatchObject({ statusCode: "404" });
  });
});

describe("storage auth", () => {
  it("requests with an expired or forged JWT fail with InvalidJWT", async () => {
    const bucket = await ownFolderBucket();
    const user = await mintedUser(-10);
    const expired = await user.client.storage.from(bucket).upload(`${user.id}/x.txt`, "x");
    expect(expired.error).toMatchObject({ status: 400, statusCode: "400", message: "jwt expired" });
    const forged = await signJwt({ sub: user.id, role: "authenticated", exp: 2e9 }, "another-secret-another-secret-another");
    const bad = await clientWithToken(forged).storage.from(bucket).list(user.id);
    expect(bad.error).toMatchObject({ statusCode: "400" });
    expect(await objectRows(bucket)).toEqual([]);
  });

  it("upload() with a signed JWT whose role is not an API role is refused and stores nothing", async () => {
    const bucket = await ownFolderBucket();
    const owner = await storageUser();
    const superuser = await signJwt({ sub: owner.id, role: "postgres", exp: 2e9 }, stackInfo().jwtSecret);
    const { error } = await clientWithToken(superuser).storage.from(bucket).upload(`someone-else/x.txt`, "x");
    expect(error).toMatchObject({ statusCode: "400" });
    expect(await objectRows(bucket)).toEqual([]);
  });

  it("the anon role sees nothing in a private bucket", async () => {
    const bucket = await ownFolderBucket();
    const user = await storageUser();
    await user.client.storage.from(bucket).upload(`${user.id}/x.txt`, "x");
    const anon = clientWithToken(stackInfo().anonKey).storage.from(bucket);
    expect((await anon.list(user.id)).data).toEqual([]);
    expect((await anon.download(`${user.id}/x.txt`)).error).toMatchObject({ statusCode: "404" });
    expect((await anon.upload(`${user.id}/y.txt`, "y")).error).toMatchObject({ statusCode: "403" });
  });
});

describe("storage buckets", () => {
  it("the service role creates, reads, lists, updates, empties and deletes buckets", async () => {
    const admin = serviceClient().storage;
    const id = `svc-${crypto.randomUUID().slice(0, 8)}`;
    expect(await admin.createBucket(id, { public: false, fileSizeLimit: "1MB", allowedMimeTypes: ["text/plain"] })).toEqual({
      data: { name: id },
      error: null,
    });
    expect((await admin.createBucket(id)).error).toMatchObject({ statusCode: "409" });
    const got = await admin.getBucket(id);
    expect(got.data).toMatchObject({ id, name: id, public: false, file_size_limit: 1024 * 1024, allowed_mime_types: ["text/plain"] });
    expect((await admin.listBuckets()).data!.map((b) => b.id)).toContain(id);
    expect((await admin.updateBucket(id, { public: true, fileSizeLimit: null })).error).toBeNull();
    expect((await admin.getBucket(id)).data).toMatchObject({ public: true, file_size_limit: null });

    expect((await admin.from(id).upload("a.txt", "a", { contentType: "text/plain" })).error).toBeNull();
    expect((await admin.deleteBucket(id)).error).toMatchObject({ statusCode: "409" });
    expect((await admin.emptyBucket(id)).error).toBeNull();
    expect(await filesOnDisk(id)).toEqual([]);
    expect((await admin.deleteBucket(id)).error).toBeNull();
    expect((await admin.getBucket(id)).error).toMatchObject({ statusCode: "404", message: "Bucket not found" });
  });

  it("a user cannot create buckets (no policy on storage.buckets) and sees none", async () => {
    const user = await storageUser();
    const { error } = await user.client.storage.createBucket(`user-${user.id.slice(0, 8)}`);
    expect(error).toMatchObject({ statusCode: "403" });
    expect((await user.client.storage.listBuckets()).data).toEqual([]);
  });

  it("upload() into a missing bucket fails with 404 Bucket not found", async () => {
    const user = await storageUser();
    const { error } = await user.client.storage.from("no-such-bucket").upload(`${user.id}/a.txt`, "a");
    expect(error).toMatchObject({ statusCode: "404", message: "Bucket not found" });
  });
});
