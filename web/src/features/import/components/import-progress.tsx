import type { ImportProgress } from "../api/run-import.ts";
import { formatBytes } from "../utils/import-errors.ts";

const STAGE_TEXT: Record<ImportProgress["stage"], string> = {
  checking: "Checking what is already uploaded…",
  reading: "Reading your export in the background…",
  uploading: "Finishing the upload…",
  starting: "Starting your import…",
};

function percent(part: number, whole: number): number {
  return whole > 0 ? Math.min(100, Math.round((part / whole) * 100)) : 0;
}

/** The two bars of an import: reading (parsing) and uploading, with bytes and conversations. */
export function ImportProgressView({ progress }: { progress: ImportProgress }) {
  const { parse, upload } = progress;
  const parsePercent = parse.done ? 100 : percent(parse.bytesRead, parse.totalBytes);
  const uploadPercent = percent(upload.bytesStored, upload.bytesProduced);
  return (
    <div className="import-progress">
      <p role="status" aria-live="polite">
        {STAGE_TEXT[progress.stage]}
        {progress.resumed ? " Resuming the earlier upload of this file." : ""}
      </p>
      <div className="progress-row">
        <label htmlFor="parse-progress">
          Reading: {parsePercent} % — {formatBytes(parse.bytesRead)} of {formatBytes(parse.totalBytes)},{" "}
          {parse.conversations.toLocaleString()} conversations
          {parse.failed > 0 ? `, ${parse.failed.toLocaleString()} unreadable` : ""}
        </label>
        <progress id="parse-progress" max={100} value={parsePercent} data-testid="parse-progress" />
      </div>
      <div className="progress-row">
        <label htmlFor="upload-progress">
          Uploading: {upload.shardsProduced === 0 ? "waiting for the first part" : `${uploadPercent} % — ${formatBytes(upload.bytesStored)} of ${formatBytes(upload.bytesProduced)}${parse.done ? "" : " so far"}, ${upload.shardsStored} of ${upload.shardsProduced} parts, ${upload.conversationsStored.toLocaleString()} conversations`}
          {upload.shardsSkipped > 0 ? ` (${upload.shardsSkipped} already stored, not sent again)` : ""}
        </label>
        <progress id="upload-progress" max={100} value={upload.shardsProduced === 0 ? 0 : uploadPercent} data-testid="upload-progress" />
      </div>
    </div>
  );
}
