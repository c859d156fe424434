import { z } from "zod";
import { ExportError } from "../errors.ts";
import { CONVERSATION_MODEL_VERSION, IsoTime } from "../model/conversation.ts";
import { CustomInstructionsSchema } from "../model/custom-instructions.ts";
import { SourceSchema } from "../export/source.ts";

/** Version of the shard set layout (NDJSON lines of the conversation model, gzip, manifest.json). */
export const SHARD_FORMAT_VERSION = 1;
/** Version of the reader code that produced a shard set; bump when normalization rules change. */
export const READER_VERSION = "engram-export/1.0.0";

/** One shard as listed in the manifest. */
export const ShardEntrySchema = z.strictObject({
  name: z.string().regex(/^shard-\d{5}\.ndjson\.gz$/),
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  conversations: z.number().int().positive(),
  messages: z.number().int().nonnegative(),
});
export type ShardEntry = z.infer<typeof ShardEntrySchema>;

/** A per-conversation failure as recorded in the manifest. */
export const ItemErrorSchema = z.strictObject({
  code: z.string(),
  message: z.string(),
  part: z.string().optional(),
  index: z.number().int().nonnegative().optional(),
  offset: z.number().int().nonnegative().optional(),
});

/** `manifest.json` of a shard set. */
export const ManifestSchema = z.strictObject({
  formatVersion: z.literal(SHARD_FORMAT_VERSION),
  modelVersion: z.literal(CONVERSATION_MODEL_VERSION),
  readerVersion: z.string(),
  source: SourceSchema,
  /** False when some conversations failed: the shards are then not the whole export. */
  complete: z.boolean(),
  counts: z.strictObject({
    conversations: z.number().int().nonnegative(),
    messages: z.number().int().nonnegative(),
    /** Conversations that could not be read (see `errors`). */
    failed: z.number().int().nonnegative(),
    /** Conversations with no visible message, not stored. */
    empty: z.number().int().nonnegative(),
    customInstructions: z.number().int().nonnegative(),
    shards: z.number().int().nonnegative(),
  }),
  dateRange: z.strictObject({ from: IsoTime, to: IsoTime }).nullable(),
  shards: z.array(ShardEntrySchema),
  customInstructions: z.array(CustomInstructionsSchema),
  /** The first {@link MAX_RECORDED_ERRORS} per-conversation errors. */
  errors: z.array(ItemErrorSchema),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** How many per-item errors a manifest lists (the count is always complete). */
export const MAX_RECORDED_ERRORS = 100;

/** Parses and validates `manifest.json` (text or parsed JSON); throws `invalid_manifest`. */
export function parseManifest(input: string | unknown): Manifest {
  let value: unknown = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new ExportError("invalid_manifest", "expected manifest.json to be JSON, found invalid JSON", { part: "manifest.json" }, { cause });
    }
  }
  const r = ManifestSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ExportError("invalid_manifest", `expected a valid manifest, found ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "an invalid one"}`, { part: "manifest.json" });
  }
  const names = new Set<string>();
  for (const s of r.data.shards) {
    if (names.has(s.name)) throw new ExportError("invalid_manifest", `expected unique shard names, found ${s.name} twice`, { part: "manifest.json" });
    names.add(s.name);
  }
  return r.data;
}
