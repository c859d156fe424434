import { ExportError, type ExportErrorInfo, isExportError } from "../../../../shared/errors.ts";
import { isChatGptConversation, normalizeChatGpt } from "../../../../shared/export/chatgpt.ts";
import { isClaudeConversation, normalizeClaude } from "../../../../shared/export/claude.ts";
import { JsonArraySplitter } from "../../../../shared/json/array-splitter.ts";
import { DEFAULT_LIMITS } from "../../../../shared/limits.ts";
import { MAX_RECORDED_ERRORS, READER_VERSION, SHARD_FORMAT_VERSION } from "../../../../shared/shards/manifest.ts";
import { CONVERSATION_MODEL_VERSION } from "../../../../shared/model/conversation.ts";
import { decodeUtf8 } from "../../../../shared/util/utf8.ts";
import { sha256Hex } from "../../../../shared/util/sha256.ts";
import { ZipStream } from "../../../../shared/zip/zip-stream.ts";
import type { TaskContext, TaskStep } from "../context.ts";
import { DEFAULT_SHARD_LIMITS, ShardWriter } from "../../../../shared/shards/shard-writer.ts";
import type { Conversation, Manifest, ShardEntry } from "../lib.ts";
import { TaskError } from "../types.ts";
import { shardFolder } from "./folder.ts";

/**
 * Largest uncompressed conversations file inside a ZIP the server normalizes. A ZIP entry cannot be
 * entered mid-stream, so every resumed step re-inflates the entry up to its checkpoint (~80 MB/s in
 * an Edge Function, measured 1.7 s CPU for a step at 90 MB); 64 MB keeps a step near 1.4 s.
 * Bigger ZIPs are normalized on the user's machine (web app or CLI) instead.
 */
export const SERVER_ZIP_ENTRY_LIMIT = 64 * 1024 * 1024;

/** Shard bounds: the shared defaults, so the server writes the very shards the browser would. */
export const SERVER_SHARD_LIMITS = { ...DEFAULT_SHARD_LIMITS };

const CONVERSATIONS_FILE = /^conversations(-\d+)?\.json$/i;
const encoder = new TextEncoder();
const OPEN = encoder.encode("[");

/** Custom instructions seen so far (deduplicated), kept in the checkpoint. */
interface CiRecord {
  aboutUser: string;
  aboutModel: string;
  first: string;
  last: string;
  conversations: number;
}

/** Where a normalize step resumes, and everything the manifest needs; saved with each heartbeat. */
export interface NormalizeCheckpoint {
  /** Index of the conversations file (ZIP entry order; 0 for a JSON export). */
  part: number;
  /** Decompressed byte offset in that part of the next conversation to read (0 = from the start). */
  offset: number;
  parts: string[];
  format: "chatgpt" | "claude" | null;
  conversations: number;
  messages: number;
  failed: number;
  empty: number;
  dateFrom: string | null;
  dateTo: string | null;
  shards: ShardEntry[];
  errors: ExportErrorInfo[];
  ci: CiRecord[];
  bytes: number;
}

function initial(): NormalizeCheckpoint {
  return {
    part: 0, offset: 0, parts: [], format: null, conversations: 0, messages: 0, failed: 0, empty: 0,
    dateFrom: null, dateTo: null, shards: [], errors: [], ci: [], bytes: 0,
  };
}

/** Conversations and counts between two shard boundaries; committed to the checkpoint on flush. */
interface Segment {
  conversations: Conversation[];
  /** Uncompressed NDJSON bytes of `conversations` (the shard-size rule of the shared ShardWriter). */
  bytes: number;
  failed: number;
  empty: number;
  errors: ExportErrorInfo[];
  sightings: { aboutUser: string; aboutModel: string; at: string }[][];
  format: "chatgpt" | "claude" | null;
}

function newSegment(): Segment {
  return { conversations: [], bytes: 0, failed: 0, empty: 0, errors: [], sightings: [], format: null };
}

/** A full segment and the (part, offset) of the first conversation after it. */
interface Closed {
  segment: Segment;
  part: number;
  offset: number;
}

/** Stops a step: `yield` (budget spent, checkpoint saved) or `lost` (lease gone). */
class Stop extends Error {
  constructor(readonly outcome: "yield" | "lost") {
    super(outcome);
  }
}

/**
 * Server-side normalization of a raw export (API users who upload conversations.json or the
 * ZIP): reads conversations in order and cuts shards by the shared ShardWriter's rule (so they are
 * byte-identical to the browser's), writes them plus, at the end, `manifest.json` into
 * `<user>/<import>/normalized/`, then queues the quick pass.
 *
 * Resumable: after each shard the checkpoint stores the (part, decompressed offset) of the first
 * conversation not yet in a shard, with the counts so far. A JSON export resumes with an HTTP
 * Range read from that offset (linear cost); a ZIP skips earlier entries without inflating them
 * and re-inflates (without parsing) the current entry up to the offset.
 */
export const normalizeStep: TaskStep = async (ctx) => {
  const { task } = ctx;
  const cp: NormalizeCheckpoint = { ...initial(), ...(task.checkpoint as Partial<NormalizeCheckpoint> | null) };
  const folder = shardFolder(task);
  const name = task.storage_path.slice(task.storage_path.lastIndexOf("/") + 1);
  const isZip = task.file_type === "zip";
  const { stream, size } = await ctx.store.readFrom(task.storage_path, isZip ? 0 : cp.offset);
  if (size !== null && cp.part === 0 && cp.offset === 0) cp.bytes = size;

  const limits = shardLimits(task.payload.shard_limits);
  let segment = newSegment();
  const closed: Closed[] = [];
  const onElement = (part: number, offset: number, raw: Uint8Array, index: number) => {
    // Everything this element contributes (sightings, failure counts) must land in the segment it
    // belongs to: the one it starts if it closes the current one, since a resume re-reads it.
    const scratch = newSegment();
    const c = normalizeElement(scratch, raw, { part: cp.parts[part] ?? name, index, offset });
    const lineBytes = c ? encoder.encode(JSON.stringify(c)).length + 1 : 0;
    if (c && segment.conversations.length > 0 &&
      (segment.bytes + lineBytes > limits.maxShardBytes || segment.conversations.length >= limits.maxShardConversations)) {
      closed.push({ segment, part, offset });
      segment = newSegment();
    }
    if (c) segment.conversations.push(c);
    segment.bytes += lineBytes;
    segment.failed += scratch.failed;
    segment.empty += scratch.empty;
    segment.errors.push(...scratch.errors);
    segment.sightings.push(...scratch.sightings);
    segment.format ??= scratch.format;
    ctx.faults.itemsDone(1);
  };
  const onOversized = (part: number, offset: number, index: number, bytes: number) => {
    recordFailure(segment, new ExportError("too_large", `expected a conversation of at most ${DEFAULT_LIMITS.maxConversationBytes} bytes, found one of ${bytes} bytes`, { part: cp.parts[part] ?? name, index, offset }));
  };
  /** Writes every closed segment as a shard, saving the checkpoint after each; may stop the step. */
  let segmentStart = ctx.budget.cpuUsed();
  const drain = async () => {
    while (closed.length > 0) {
      const c = closed.shift()!;
      await commit(ctx, cp, folder, c.segment, c.part, c.offset);
      if (!(await ctx.heartbeat(cp as unknown as Record<string, unknown>))) throw new Stop("lost");
      // Bounded in SQL (at most one profile write a second); JSON progress is the byte position.
      const percent = !isZip && cp.bytes > 0 ? Math.min(99, Math.floor((100 * cp.offset) / cp.bytes)) : 0;
      await ctx.db.progress(task.run_id, "normalizing", percent, { conversation_count: cp.conversations });
      // Stop before the next shard would overshoot: it will cost about what this one did.
      const cost = ctx.budget.cpuUsed() - segmentStart;
      segmentStart = ctx.budget.cpuUsed();
      if (!ctx.budget.fits(cost)) throw new Stop("yield");
    }
  };

  const reader = stream.getReader();
  try {
    const zipLimit = typeof task.payload.zip_entry_limit === "number" ? task.payload.zip_entry_limit : SERVER_ZIP_ENTRY_LIMIT;
    const source = isZip ? zipSource(cp, name, onElement, onOversized, zipLimit) : jsonSource(cp, name, onElement, onOversized);
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      source.push(value);
      await drain();
    }
    source.end();
    await drain();
  } catch (e) {
    if (e instanceof Stop) return e.outcome === "lost" ? { type: "lost" } : { type: "yield", checkpoint: cp as unknown as Record<string, unknown> };
    throw e;
  } finally {
    await reader.cancel().catch(() => {});
  }

  // End of the export: the last shard, the manifest, then the quick pass.
  await commit(ctx, cp, folder, segment, cp.parts.length, 0);
  if (cp.conversations === 0) {
    throw new ExportError("no_conversations", "expected at least one conversation with visible messages, found none", { part: name });
  }
  const manifest = await buildManifest(cp, name, isZip);
  await ctx.store.write(`${folder}manifest.json`, encoder.encode(JSON.stringify(manifest)), "application/json");
  await ctx.db.addTasks(task.run_id, [{ kind: "quick_pass", idempotency_key: "quick_pass", payload: { folder } }]);
  return {
    type: "done",
    result: { conversations: cp.conversations, failed: cp.failed, shards: cp.shards.length, bytes: cp.bytes },
  };
};

/** Shard bounds: the shared defaults unless the task payload (written by SQL or a test) says otherwise. */
function shardLimits(v: unknown): { maxShardBytes: number; maxShardConversations: number } {
  const o = (v && typeof v === "object" ? v : {}) as Record<string, unknown>;
  const pos = (x: unknown, d: number) => (typeof x === "number" && Number.isInteger(x) && x > 0 ? x : d);
  return {
    maxShardBytes: pos(o.maxShardBytes, SERVER_SHARD_LIMITS.maxShardBytes),
    maxShardConversations: pos(o.maxShardConversations, SERVER_SHARD_LIMITS.maxShardConversations),
  };
}

/** Writes `segment` as the next shard (if it holds conversations) and moves the checkpoint. */
async function commit(ctx: TaskContext, cp: NormalizeCheckpoint, folder: string, segment: Segment, part: number, offset: number): Promise<void> {
  if (segment.conversations.length > 0) {
    const writer = new ShardWriter(
      (shard) => ctx.store.write(`${folder}${shard.name}`, shard.bytes, "application/gzip"),
      { ...SERVER_SHARD_LIMITS, maxShardBytes: Number.MAX_SAFE_INTEGER, maxShardConversations: Number.MAX_SAFE_INTEGER },
      cp.shards.length,
    );
    for (const c of segment.conversations) await writer.add(c);
    cp.shards.push(...(await writer.finish()));
  }
  for (const c of segment.conversations) {
    cp.conversations++;
    cp.messages += c.messages.length;
    if (!cp.dateFrom || c.createdAt < cp.dateFrom) cp.dateFrom = c.createdAt;
    const last = c.messages[c.messages.length - 1]!.createdAt;
    const end = c.updatedAt > last ? c.updatedAt : last;
    if (!cp.dateTo || end > cp.dateTo) cp.dateTo = end;
  }
  cp.failed += segment.failed;
  cp.empty += segment.empty;
  for (const e of segment.errors) if (cp.errors.length < MAX_RECORDED_ERRORS) cp.errors.push(e);
  for (const s of segment.sightings) addCustomInstructions(cp, s);
  cp.format ??= segment.format;
  cp.part = part;
  cp.offset = offset;
}

type OnElement = (part: number, offset: number, raw: Uint8Array, index: number) => void;
type OnOversized = (part: number, offset: number, index: number, bytes: number) => void;

/** A splitter over one part that starts `skip` decompressed bytes in (a `[` is prepended then). */
function partSplitter(part: number, name: string, skip: number, onElement: OnElement, onOversized: OnOversized): JsonArraySplitter {
  const prefix = skip > 0 ? 1 : 0;
  const splitter = new JsonArraySplitter({
    part: name,
    maxElementBytes: DEFAULT_LIMITS.maxConversationBytes,
    onElement: (bytes, index, offset) => onElement(part, skip + offset - prefix, bytes, index),
    onOversized: (index, offset, size) => onOversized(part, skip + offset - prefix, index, size),
  });
  if (prefix) splitter.push(OPEN);
  return splitter;
}

/** A raw conversations.json, already positioned at the checkpoint by the Range read. */
function jsonSource(cp: NormalizeCheckpoint, name: string, onElement: OnElement, onOversized: OnOversized) {
  if (cp.parts.length === 0) cp.parts = [name];
  const splitter = partSplitter(0, name, cp.offset, onElement, onOversized);
  return { push: (chunk: Uint8Array) => splitter.push(chunk), end: () => splitter.end() };
}

/** A raw export ZIP: conversation parts before the checkpoint are skipped without inflating. */
function zipSource(cp: NormalizeCheckpoint, name: string, onElement: OnElement, onOversized: OnOversized, limit: number) {
  let partIndex = -1;
  const zip = new ZipStream({
    part: name,
    limits: DEFAULT_LIMITS,
    onEntry: (entry, declaredSize) => {
      if (entry.startsWith("__MACOSX/") || entry.endsWith("/")) return null;
      if (!CONVERSATIONS_FILE.test(entry.slice(entry.lastIndexOf("/") + 1))) return null;
      const idx = ++partIndex;
      cp.parts[idx] ??= entry;
      if (idx < cp.part) return null;
      const skip = idx === cp.part ? cp.offset : 0;
      if ((declaredSize ?? 0) > limit || skip > limit) throw zipTooLarge(entry, declaredSize ?? skip, limit);
      const splitter = partSplitter(idx, entry, skip, onElement, onOversized);
      let seen = 0;
      return {
        data: (chunk) => {
          const from = Math.max(0, skip - seen);
          seen += chunk.length;
          if (from < chunk.length) splitter.push(from > 0 ? chunk.subarray(from) : chunk);
        },
        end: () => splitter.end(),
      };
    },
  });
  return {
    push: (chunk: Uint8Array) => zip.push(chunk),
    end: () => {
      zip.end();
      if (partIndex < 0) {
        throw new ExportError("no_conversations", "expected conversations.json (or conversations-000.json, …) in the ZIP, found none", { part: name });
      }
    },
  };
}

function zipTooLarge(entry: string, bytes: number, limit: number): TaskError {
  const mb = (n: number) => `${Math.round(n / 1048576)} MB`;
  return new TaskError(
    "permanent",
    `${entry} in this ZIP is ${mb(bytes)} uncompressed; the server normalizes ZIPs with up to ${mb(limit)} per conversations file. ` +
      "Import it with the web app or `npm run engram -- import`, which normalize on your machine, or upload conversations.json itself.",
  );
}

function recordFailure(seg: Segment, e: ExportError): void {
  seg.failed++;
  if (seg.errors.length < MAX_RECORDED_ERRORS) seg.errors.push(e.toJSON());
}

/** Parses and normalizes one element; counts failures and empty ones in the segment. */
function normalizeElement(seg: Segment, raw: Uint8Array, place: { part: string; index: number; offset: number }): Conversation | null {
  try {
    const value: unknown = JSON.parse(decodeUtf8(raw, place));
    let item;
    if (isChatGptConversation(value)) {
      item = normalizeChatGpt(value, place, DEFAULT_LIMITS.maxMessageChars);
      seg.format ??= "chatgpt";
    } else if (isClaudeConversation(value)) {
      item = normalizeClaude(value, place, DEFAULT_LIMITS.maxMessageChars);
      seg.format ??= "claude";
    } else {
      recordFailure(seg, new ExportError("wrong_shape", "expected a ChatGPT or Claude conversation", place));
      return null;
    }
    seg.sightings.push(item.customInstructions);
    if (item.conversation.messages.length === 0) {
      seg.empty++;
      return null;
    }
    return item.conversation;
  } catch (e) {
    if (isExportError(e)) {
      recordFailure(seg, e);
      return null;
    }
    if (e instanceof SyntaxError) {
      recordFailure(seg, new ExportError("invalid_json", `expected valid JSON for the conversation, found: ${e.message}`, place));
      return null;
    }
    throw e;
  }
}

function addCustomInstructions(cp: NormalizeCheckpoint, sightings: { aboutUser: string; aboutModel: string; at: string }[]): void {
  const seenHere = new Set<CiRecord>();
  for (const s of sightings) {
    let r = cp.ci.find((x) => x.aboutUser === s.aboutUser && x.aboutModel === s.aboutModel);
    if (!r) {
      r = { aboutUser: s.aboutUser, aboutModel: s.aboutModel, first: s.at, last: s.at, conversations: 0 };
      cp.ci.push(r);
    }
    if (s.at < r.first) r.first = s.at;
    if (s.at > r.last) r.last = s.at;
    if (!seenHere.has(r)) r.conversations++;
    seenHere.add(r);
  }
}

async function buildManifest(cp: NormalizeCheckpoint, name: string, isZip: boolean): Promise<Manifest> {
  const customInstructions = [];
  for (const r of cp.ci) {
    customInstructions.push({
      id: await sha256Hex(JSON.stringify([r.aboutUser, r.aboutModel])),
      aboutUser: r.aboutUser,
      aboutModel: r.aboutModel,
      firstSeen: r.first,
      lastSeen: r.last,
      conversations: r.conversations,
    });
  }
  customInstructions.sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : a.id < b.id ? -1 : 1));
  return {
    formatVersion: SHARD_FORMAT_VERSION,
    modelVersion: CONVERSATION_MODEL_VERSION,
    readerVersion: READER_VERSION,
    source: { name, type: `${cp.format ?? "chatgpt"}-${isZip ? "zip" : "json"}`, bytes: cp.bytes, parts: cp.parts },
    complete: cp.failed === 0,
    counts: {
      conversations: cp.conversations,
      messages: cp.messages,
      failed: cp.failed,
      empty: cp.empty,
      customInstructions: customInstructions.length,
      shards: cp.shards.length,
    },
    dateRange: cp.dateFrom && cp.dateTo ? { from: cp.dateFrom, to: cp.dateTo } : null,
    shards: cp.shards,
    customInstructions,
    errors: cp.errors,
  };
}

