import type { z } from "zod";
import { HttpError } from "./errors.ts";

/** Parses `value` with `schema` or throws HttpError 400 listing every issue with its path. */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
  throw new HttpError(400, `invalid request body: ${summary}`, { details: { issues } });
}
