import type { ExportErrorCode } from "../../../../../shared/errors.ts";
import { FunctionCallError } from "../../../lib/function-error.ts";
import { UploadError } from "../api/upload-object.ts";

/** An import failure a person can act on: what happened, and what to do. */
export interface ImportProblem {
  title: string;
  detail: string;
}

/** The largest file the page accepts (the readers stream, but a browser tab has limits too). */
export const MAX_EXPORT_BYTES = 8_000_000_000;

const EXPORT_PROBLEMS: Record<ExportErrorCode | "internal", string> = {
  unsupported_input: "This is not a ChatGPT export. Choose the .zip you downloaded from ChatGPT, or the conversations.json inside it.",
  no_conversations: "This ZIP has no conversations.json in it — is it the ChatGPT data export?",
  missing_part: "The export is incomplete: a conversations file it lists is missing. Download the export again.",
  truncated: "The file ends too early — the download was probably cut short. Download the export again.",
  corrupt_zip: "The ZIP file is damaged. Download the export again.",
  zip_bomb: "The ZIP unpacks to far more data than an export could hold, so it was not read.",
  invalid_json: "conversations.json is not valid JSON — the file is damaged or not an export.",
  invalid_utf8: "The file contains bytes that are not text (UTF-8) — it is damaged or not an export.",
  wrong_shape: "This JSON is not a ChatGPT (or Claude) conversations export.",
  too_large: "A conversation in this export is larger than Engram can read.",
  missing_current_node: "A conversation in this export is damaged.",
  broken_thread: "A conversation in this export is damaged.",
  corrupt_shard: "A prepared part of the export did not match its checksum. Start the import again.",
  invalid_manifest: "The prepared export is inconsistent. Start the import again.",
  internal: "Something went wrong while reading the export.",
};

/** Why a chosen file is refused before reading it, or null when it may be read. */
export function fileProblem(file: Pick<File, "name" | "size">): ImportProblem | null {
  const name = file.name.toLowerCase();
  if (!name.endsWith(".zip") && !name.endsWith(".json")) {
    return { title: "Wrong kind of file", detail: `“${file.name}” is not a .zip or .json file. Choose your ChatGPT export (.zip) or its conversations.json.` };
  }
  if (file.size === 0) return { title: "Empty file", detail: `“${file.name}” is empty.` };
  if (file.size > MAX_EXPORT_BYTES) {
    return { title: "File too large", detail: `“${file.name}” is ${formatBytes(file.size)}; Engram reads exports up to ${formatBytes(MAX_EXPORT_BYTES)}.` };
  }
  return null;
}

/** The reader's whole-file failure, in words. */
export function exportProblem(code: ExportErrorCode | "internal", technical: string): ImportProblem {
  return { title: "Your export could not be read", detail: `${EXPORT_PROBLEMS[code] ?? EXPORT_PROBLEMS.internal} (${technical})` };
}

/** Any failure of the upload or of import-trigger, in words. */
export function serverProblem(error: unknown): ImportProblem {
  if (error instanceof FunctionCallError) {
    switch (error.status) {
      case 429:
        return { title: "Too many imports", detail: error.message };
      case 409:
        return { title: "An import is already running", detail: `${error.message}. Wait for it to finish (the banner shows its progress), then try again.` };
      case 401:
        return { title: "Signed out", detail: "Your session ended. Sign in again and pick the same file: the upload resumes." };
      case 403:
        return { title: "Not allowed", detail: error.message };
      case 404:
        return { title: "Upload incomplete", detail: `${error.message}. Pick the same file again to finish the upload.` };
      case 400:
      case 422:
        return { title: "The import was refused", detail: error.message };
      case null:
        return { title: "No connection", detail: `${error.message} Pick the same file again to resume.` };
      default:
        return { title: "The server could not start the import", detail: `${error.message} Try again in a moment.` };
    }
  }
  if (error instanceof UploadError) {
    if (error.status === 413) return { title: "File too large", detail: `${error.message}. Storage refused a part of this size.` };
    if (error.status === 429) return { title: "Too many uploads", detail: `${error.message}. Wait a minute, then pick the same file again to resume.` };
    return { title: "Upload interrupted", detail: `${error.message}. Pick the same file again: what is already stored is not sent again.` };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { title: "Upload interrupted", detail: `${message}. Pick the same file again: what is already stored is not sent again.` };
}

/** `1.4 MB`, `812 kB`, `2.1 GB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}
