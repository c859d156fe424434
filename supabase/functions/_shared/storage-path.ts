import { z } from "zod";
import { HttpError } from "./errors.ts";

/** The private bucket that holds every export. */
export const IMPORTS_BUCKET = "imports";

/** What an export in Storage is: a raw ChatGPT JSON, a raw ZIP, or a folder of normalized shards. */
export const FileTypeSchema = z.enum(["json", "zip", "shards"]);
export type FileType = z.infer<typeof FileTypeSchema>;

/**
 * A storage path as a client may send it: relative, normalized, no traversal and no encoding
 * tricks. Each rule has its own message so a 400 says exactly what was wrong.
 */
export const StoragePathSchema = z
  .string({ message: "storagePath must be a string" })
  .min(1, "storagePath must not be empty")
  .max(1024, "storagePath must be at most 1024 characters")
  .superRefine((p, ctx) => {
    const problem = storagePathProblem(p);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** Why `p` is not an acceptable relative object path, or null when it is fine. */
export function storagePathProblem(p: string): string | null {
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) return "storagePath must not contain control characters";
  if (p.includes("\\")) return "storagePath must not contain backslashes";
  if (p.includes("%")) return "storagePath must not contain percent-encoding";
  if (p.startsWith("/")) return "storagePath must be relative (no leading /)";
  if (p.includes("//")) return "storagePath must not contain empty segments (//)";
  if (p.split("/").some((s) => s === ".." || s === ".")) return "storagePath must not contain . or .. segments";
  if (p.trim() !== p) return "storagePath must not start or end with whitespace";
  return null;
}

/** Splits a validated path into its folder and its last segment (`""` for a folder path). */
export function splitPath(p: string): { dir: string; name: string } {
  const i = p.lastIndexOf("/");
  return i < 0 ? { dir: "", name: p } : { dir: p.slice(0, i), name: p.slice(i + 1) };
}

/**
 * Checks that `p` lies under the caller's own folder `<userId>/` (403 otherwise) and fits the file
 * type (400): `json` ends in .json, `zip` in .zip, `shards` names a folder (a trailing / is added).
 * Returns the canonical path to record.
 */
export function checkOwnedPath(p: string, fileType: FileType, userId: string): string {
  const segments = p.split("/");
  if (segments[0] !== userId) {
    throw new HttpError(403, "storagePath must lie under your own folder <your user id>/", {
      details: { reason: "forbidden_path" },
    });
  }
  if (fileType === "shards") {
    const folder = p.endsWith("/") ? p : `${p}/`;
    if (folder.split("/").length < 3) {
      throw new HttpError(400, "storagePath for shards must be an import folder <user id>/<import id>/", {
        details: { reason: "invalid_path" },
      });
    }
    return folder;
  }
  const { name } = splitPath(p);
  if (segments.length < 2 || name === "") {
    throw new HttpError(400, `storagePath for a ${fileType} export must name a file under <user id>/`, {
      details: { reason: "invalid_path" },
    });
  }
  const ext = fileType === "json" ? ".json" : ".zip";
  if (!name.toLowerCase().endsWith(ext)) {
    throw new HttpError(400, `storagePath for fileType ${fileType} must end in ${ext}`, {
      details: { reason: "invalid_file_type" },
    });
  }
  return p;
}
