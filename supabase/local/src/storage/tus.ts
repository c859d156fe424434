import { randomUUID } from "node:crypto";
import fsp from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import path from "node:path";
import { FileStore } from "@tus/file-store";
import { Server, Upload } from "@tus/server";
import type pg from "pg";
import type { StackConfig } from "../config.ts";
import type { RequestClaims } from "../db.ts";
import { header } from "../http.ts";
import { callerOf, requestClaims, type Caller } from "./auth.ts";
import { fsyncFile, hashFile } from "./blobs.ts";
import { cacheControlOf, sizeLimit } from "./body.ts";
import type { StorageCall } from "./context.ts";
import { ERRORS, fromPgError, sendStorageError, StorageError } from "./errors.ts";
import { checkBucketId, checkKey, normalizeKey, type BlobLayout } from "./paths.ts";
import { checkCanUpload, checkMime, commitObject, findBucket, objectMetadata, type ObjectTarget } from "./store.ts";

/** Where tus-js-client / Uppy talk TUS 1.0.0 to hosted Storage. */
export const TUS_PATH = "/storage/v1/upload/resumable";

/** Unfinished uploads expire after a day (hosted's default), then are swept. */
const EXPIRATION_MS = 24 * 60 * 60 * 1000;

/** How long a finished upload still answers HEAD with its full offset (so a retrying client sees "done"). */
const FINISHED_MEMORY_MS = 10 * 60 * 1000;

/** Per-request facts, keyed by the node request (the hooks only get srvx's wrapper). */
interface TusRequestState {
  caller: Caller;
  claims: RequestClaims;
  /** Upload-Metadata of a creation request, captured by the naming function. */
  metadata?: Record<string, string | null>;
}

/**
 * A FileStore that remembers uploads it just turned into objects: their bytes were moved out
 * of the store, yet a HEAD (or @tus/server's own post-create lookup) must still see them as
 * complete rather than missing.
 */
class FinishingFileStore extends FileStore {
  private readonly finished = new Map<string, Upload>();

  markFinished(upload: Upload): void {
    this.finished.set(upload.id, new Upload({ ...upload, offset: upload.size ?? upload.offset }));
    setTimeout(() => this.finished.delete(upload.id), FINISHED_MEMORY_MS).unref();
  }

  override async getUpload(id: string): Promise<Upload> {
    return this.finished.get(id) ?? (await super.getUpload(id));
  }
}

function nodeRequest(req: unknown): IncomingMessage {
  const r = req as { runtime?: { node?: { req?: IncomingMessage } }; node?: { req?: IncomingMessage } };
  const node = r.runtime?.node?.req ?? r.node?.req;
  if (!node) throw new TypeError("expected a Node.js request behind the TUS request");
  return node;
}

/** The resumable-upload endpoint: @tus/server + @tus/file-store with hosted Storage's rules. */
export class TusEndpoint {
  private readonly state = new WeakMap<IncomingMessage, TusRequestState>();
  private readonly store: FinishingFileStore;
  private readonly server: Server;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: { cfg: StackConfig; pool: pg.Pool; layout: BlobLayout; log: (line: string) => void },
  ) {
    this.store = new FinishingFileStore({
      directory: deps.layout.tusDir,
      expirationPeriodInMilliseconds: EXPIRATION_MS,
    });
    this.server = new Server({
      path: TUS_PATH,
      datastore: this.store,
      // Kept the same as what the gateway answers to preflights.
      allowedHeaders: ["authorization", "x-upsert", "upload-expires", "apikey", "x-signature", "x-client-info"],
      namingFunction: (req, metadata) => this.name(nodeRequest(req), metadata),
      // The bucket's limit, also enforced while bytes stream in (deferred-length uploads too).
      maxSize: (req, id) => this.maxSizeOf(nodeRequest(req), req.method, id),
      onIncomingRequest: (req, id) => this.authorizeRequest(nodeRequest(req), req.method, id),
      onUploadCreate: (req, upload) => this.onCreate(upload),
      onUploadFinish: (req, upload) => this.onFinish(nodeRequest(req), upload),
      onResponseError: (_req, error) => this.renderError(error),
    });
  }

  /** Sweeps expired unfinished uploads now and every hour. */
  async start(): Promise<void> {
    await fsp.mkdir(this.deps.layout.tusDir, { recursive: true });
    const sweep = () =>
      void this.server.cleanUpExpiredUploads().catch((error: unknown) => {
        this.deps.log(`storage: sweeping expired uploads failed: ${String(error)}`);
      });
    sweep();
    this.sweeper = setInterval(sweep, 60 * 60 * 1000);
    this.sweeper.unref();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  /** Handles `…/upload/resumable[/<id>]`; the gateway keeps `req.url` whole, which @tus/server needs. */
  async handle(call: StorageCall): Promise<void> {
    const { req, res } = call;
    let caller: Caller;
    try {
      caller = await callerOf(req, this.deps.cfg.jwtSecret);
    } catch (error) {
      if (error instanceof StorageError) {
        sendStorageError(res, error, req.method === "HEAD");
        return;
      }
      throw error;
    }
    const upsert = header(req, "x-upsert") === "true";
    this.state.set(req, {
      caller,
      claims: requestClaims(caller, req, upsert ? "storage.object.upload_update" : "storage.object.upload", call.path),
    });
    await this.server.handle(req, res);
  }

  private stateOf(req: IncomingMessage): TusRequestState {
    const state = this.state.get(req);
    if (!state) throw ERRORS.invalidJwt();
    return state;
  }

  /** Upload ids are server-chosen UUIDs (also the object's version); bucket and name stay in the metadata. */
  private name(req: IncomingMessage, metadata: Record<string, string | null> | undefined): string {
    if (!metadata?.bucketName || !metadata.objectName) {
      throw new StorageError(400, "InvalidRequest", "Metadata header is required (bucketName, objectName)");
    }
    this.stateOf(req).metadata = metadata;
    return randomUUID();
  }

  private async targetOf(req: IncomingMessage, method: string, id: string): Promise<ObjectTarget> {
    const state = this.stateOf(req);
    const metadata = method === "POST" ? state.metadata : (await this.store.getUpload(id)).metadata;
    return {
      bucketId: checkBucketId(metadata?.bucketName ?? ""),
      name: checkKey(normalizeKey(metadata?.objectName ?? "")),
      owner: state.caller.sub,
      upsert: header(req, "x-upsert") === "true",
    };
  }

  private async maxSizeOf(req: IncomingMessage, method: string, id: string | null): Promise<number> {
    if (!id || method === "HEAD" || method === "GET" || method === "OPTIONS") return 0;
    try {
      const metadata = method === "POST" ? this.stateOf(req).metadata : (await this.store.getUpload(id)).metadata;
      return sizeLimit(await findBucket(this.deps.pool, metadata?.bucketName ?? ""));
    } catch {
      return 0; // unknown upload or bucket: the request fails on its own checks
    }
  }

  /**
   * Hosted's rule: every request but HEAD/OPTIONS must pass the upload permission test (as the
   * caller, rolled back) — creation is refused before anything is written. Creation also
   * checks the bucket, the key and the declared length against the bucket's limit.
   */
  private async authorizeRequest(req: IncomingMessage, method: string, id: string): Promise<void> {
    if (method === "HEAD" || method === "OPTIONS" || method === "GET") return;
    const target = await this.targetOf(req, method, id);
    if (method === "POST") {
      const bucket = await findBucket(this.deps.pool, target.bucketId);
      const length = Number(header(req, "upload-length") ?? NaN);
      if (Number.isFinite(length) && length > sizeLimit(bucket)) throw ERRORS.entityTooLarge();
    }
    await checkCanUpload(this.deps.pool, this.stateOf(req).claims, target);
  }

  /** Normalises `cacheControl` and checks `contentType` against the bucket, as hosted does. */
  private async onCreate(upload: Upload): Promise<{ metadata?: Upload["metadata"] }> {
    const metadata = { ...(upload.metadata ?? {}) };
    const bucket = await findBucket(this.deps.pool, metadata.bucketName ?? "");
    metadata.cacheControl = cacheControlOf(metadata.cacheControl);
    if (metadata.contentType) checkMime(bucket, metadata.contentType);
    return { metadata };
  }

  /**
   * The last byte arrived: check again, then row + bytes into place in one step
   * ({@link commitObject}). A failure removes the upload entirely, so a retry starts over
   * instead of believing it is done.
   */
  private async onFinish(req: IncomingMessage, upload: Upload): Promise<{ headers: Record<string, string> }> {
    const file = path.join(this.deps.layout.tusDir, upload.id);
    try {
      const target = await this.targetOf(req, "PATCH", upload.id);
      const bucket = await findBucket(this.deps.pool, target.bucketId);
      const { md5, size } = await hashFile(file);
      if (size > sizeLimit(bucket)) throw ERRORS.entityTooLarge();
      const mimetype = upload.metadata?.contentType || "application/octet-stream";
      checkMime(bucket, mimetype);
      await checkCanUpload(this.deps.pool, this.stateOf(req).claims, target);
      await fsyncFile(file);
      let userMetadata: Record<string, unknown> | null = null;
      try {
        const parsed: unknown = JSON.parse(upload.metadata?.metadata ?? "null");
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) userMetadata = parsed as Record<string, unknown>;
      } catch {
        // Hosted ignores unparsable custom metadata.
      }
      await commitObject(this.deps.pool, this.deps.layout, target, {
        file,
        metadata: objectMetadata({
          md5,
          size,
          mimetype,
          cacheControl: upload.metadata?.cacheControl ?? "no-cache",
        }),
        userMetadata,
      });
      this.store.markFinished(upload);
      return { headers: { "Tus-Complete": "1" } };
    } finally {
      await fsp.rm(file, { force: true });
      await this.store.configstore.delete(upload.id).catch(() => {});
    }
  }

  private renderError(error: Error | { status_code: number; body: string }) {
    const mapped = fromPgError(error);
    if (mapped instanceof StorageError) return { status_code: mapped.status, body: mapped.message };
    if (!("status_code" in error)) this.deps.log(`storage: TUS error: ${(error as Error).stack ?? String(error)}`);
    return undefined;
  }
}
