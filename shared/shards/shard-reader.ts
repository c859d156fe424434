import { ExportError, isExportError } from "../errors.ts";
import { ConversationSchema, type Conversation } from "../model/conversation.ts";
import { sha256Hex } from "../util/sha256.ts";
import { decodeUtf8 } from "../util/utf8.ts";
import { gunzip } from "./gzip.ts";
import type { ShardEntry } from "./manifest.ts";

/**
 * Reads one stored shard and returns its conversations, after checking everything the manifest
 * promises: the name, the byte size, the SHA-256, gzip integrity, UTF-8, one valid conversation
 * (zod schema) per line and the conversation count. Any mismatch is a `corrupt_shard`
 * {@link ExportError} naming the shard, so a corrupted or tampered upload is rejected.
 */
export async function readShard(
  name: string,
  data: Uint8Array | ReadableStream<Uint8Array>,
  entry: ShardEntry,
): Promise<Conversation[]> {
  const part = { part: name };
  if (name !== entry.name) throw new ExportError("corrupt_shard", `expected shard ${entry.name}, found ${name}`, part);
  const bytes = data instanceof Uint8Array ? data : await collect(data, entry.bytes, name);
  if (bytes.length !== entry.bytes) {
    throw new ExportError("corrupt_shard", `expected ${entry.bytes} bytes as the manifest says, found ${bytes.length}`, part);
  }
  const digest = await sha256Hex(bytes);
  if (digest !== entry.sha256) {
    throw new ExportError("corrupt_shard", `expected SHA-256 ${entry.sha256}, found ${digest}: the shard was changed or damaged`, part);
  }
  let raw: Uint8Array;
  try {
    raw = gunzip(bytes);
  } catch (cause) {
    throw new ExportError("corrupt_shard", `expected gzip data, found: ${cause instanceof Error ? cause.message : String(cause)}`, part, { cause });
  }
  const text = decodeShardText(raw, name);
  const lines = text.split("\n");
  if (lines.pop() !== "") throw new ExportError("corrupt_shard", "expected the shard to end with a newline, found a partial line", part);
  const out: Conversation[] = [];
  for (let i = 0; i < lines.length; i++) {
    let value: unknown;
    try {
      value = JSON.parse(lines[i]!);
    } catch (cause) {
      throw new ExportError("corrupt_shard", `expected JSON on line ${i + 1}, found invalid JSON`, { ...part, index: i }, { cause });
    }
    const r = ConversationSchema.safeParse(value);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new ExportError("corrupt_shard", `expected a conversation on line ${i + 1}, found ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "something else"}`, { ...part, index: i });
    }
    out.push(r.data);
  }
  if (out.length !== entry.conversations) {
    throw new ExportError("corrupt_shard", `expected ${entry.conversations} conversations, found ${out.length}`, part);
  }
  const messages = out.reduce((n, c) => n + c.messages.length, 0);
  if (messages !== entry.messages) {
    throw new ExportError("corrupt_shard", `expected ${entry.messages} messages, found ${messages}`, part);
  }
  return out;
}

function decodeShardText(raw: Uint8Array, name: string): string {
  try {
    return decodeUtf8(raw, { part: name });
  } catch (e) {
    if (isExportError(e)) throw new ExportError("corrupt_shard", e.message, { part: name, offset: e.offset }, { cause: e });
    throw e;
  }
}

async function collect(stream: ReadableStream<Uint8Array>, expected: number, name: string): Promise<Uint8Array> {
  const reader = stream.getReader();
  const out = new Uint8Array(expected);
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.length > expected) {
        throw new ExportError("corrupt_shard", `expected ${expected} bytes as the manifest says, found more`, { part: name });
      }
      out.set(value, size);
      size += value.length;
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  } finally {
    reader.releaseLock();
  }
  return out.subarray(0, size);
}
