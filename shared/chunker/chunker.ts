import type { Conversation } from "../model/conversation.ts";
import { sha256Hex } from "../util/sha256.ts";
import type { Chunk } from "./chunk.ts";
import { renderConversation, type MessageSpan } from "./render.ts";
import { UNITS_PER_TOKEN, unitCost } from "./tokens.ts";

/** Chunk sizes, in estimated tokens. */
export interface ChunkOptions {
  /** Target size of a chunk (the original system's 2,000). */
  chunkTokens: number;
  /** Tokens shared by consecutive chunks (the original's 200). */
  overlapTokens: number;
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = Object.freeze({ chunkTokens: 2000, overlapTokens: 200 });

/** The chunks of one conversation plus where its messages lie (for mapping facts to chunks). */
export interface ChunkedConversation {
  chunks: Chunk[];
  spans: MessageSpan[];
}

/**
 * Cuts a conversation's rendered text into ~`chunkTokens` chunks overlapping by ~`overlapTokens`.
 * Cuts prefer a paragraph break, then a line break, a sentence end, a space — searched in the last
 * fifth of the chunk — and never fall inside a surrogate pair. Ids are SHA-256 of the conversation
 * id, the index and the content hash, so the same conversation always gives the same chunks.
 */
export async function chunkConversation(c: Conversation, options: Partial<ChunkOptions> = {}): Promise<ChunkedConversation> {
  const { chunkTokens, overlapTokens } = { ...DEFAULT_CHUNK_OPTIONS, ...options };
  if (!(chunkTokens > overlapTokens && overlapTokens >= 0)) {
    throw new RangeError(`expected chunkTokens > overlapTokens >= 0, found ${chunkTokens} and ${overlapTokens}`);
  }
  const { text, spans } = renderConversation(c);
  const n = text.length;
  const cum = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) cum[i + 1] = cum[i]! + unitCost(text.charCodeAt(i));
  const target = chunkTokens * UNITS_PER_TOKEN;
  const overlap = overlapTokens * UNITS_PER_TOKEN;

  const ranges: [number, number][] = [];
  let start = 0;
  while (start < n) {
    let end = firstAtLeast(cum, cum[start]! + target);
    if (end < n) end = niceCut(text, start, end);
    end = safe(text, end);
    if (end <= start) end = safe(text, Math.min(n, start + 2)); // always progress
    ranges.push([start, end]);
    if (end >= n) break;
    let next = firstAtLeast(cum, Math.max(cum[end]! - overlap, 0));
    next = safe(text, wordStart(text, next, end));
    start = next > start ? next : end;
  }

  const chunks: Chunk[] = [];
  for (const [s, e] of ranges) {
    const piece = text.slice(s, e);
    if (piece.trim().length === 0) continue;
    const index = chunks.length;
    const contentHash = await sha256Hex(piece);
    const covered = spans.filter((m) => m.end > s && m.start < e);
    const first = c.messages[covered[0]?.index ?? 0];
    const last = c.messages[covered[covered.length - 1]?.index ?? 0];
    chunks.push({
      id: await sha256Hex(`${c.id}\u0000${index}\u0000${contentHash}`),
      conversationId: c.id,
      index,
      title: c.title,
      conversationCreatedAt: c.createdAt,
      startAt: first?.createdAt ?? c.createdAt,
      endAt: last?.createdAt ?? c.createdAt,
      text: piece,
      tokens: Math.max(1, Math.ceil((cum[e]! - cum[s]!) / UNITS_PER_TOKEN)),
      contentHash,
      start: s,
      end: e,
    });
  }
  return { chunks, spans };
}

/** Smallest i with cum[i] >= value (cum is non-decreasing); cum.length - 1 when none. */
function firstAtLeast(cum: Uint32Array, value: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  if (cum[hi]! < value) return hi;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A cut at or before `end`, at the best boundary in the chunk's last fifth. */
function niceCut(text: string, start: number, end: number): number {
  const floor = end - Math.floor((end - start) / 5);
  for (const sep of ["\n\n", "\n", ". ", "? ", "! ", "。", " "]) {
    const at = text.lastIndexOf(sep, end - sep.length);
    if (at >= floor && at > start) return at + sep.length;
  }
  return end;
}

/** Moves a start forward to just after a space, if one is near. */
function wordStart(text: string, at: number, limit: number): number {
  const space = text.indexOf(" ", at);
  return space >= 0 && space + 1 < limit && space - at < 40 ? space + 1 : at;
}

/** Never between the two halves of a surrogate pair. */
function safe(text: string, at: number): number {
  if (at <= 0 || at >= text.length) return at;
  const lo = text.charCodeAt(at);
  const hi = text.charCodeAt(at - 1);
  return lo >= 0xdc00 && lo <= 0xdfff && hi >= 0xd800 && hi <= 0xdbff ? at - 1 : at;
}
