import { z } from "zod";

/** The kind of export that was read. */
export const SourceTypeSchema = z.enum(["chatgpt-zip", "chatgpt-json", "claude-zip", "claude-json"]);
export type SourceType = z.infer<typeof SourceTypeSchema>;

/** What was read: the input's name and kind, and the conversation files found in it. */
export const SourceSchema = z.strictObject({
  name: z.string(),
  type: SourceTypeSchema,
  bytes: z.number().int().nonnegative(),
  parts: z.array(z.string()),
});
export type Source = z.infer<typeof SourceSchema>;
