import { useId, useRef, useState, type ChangeEvent, type DragEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useImportStatus } from "../../import-status/api/get-import-status.ts";
import { useImportExport } from "../hooks/use-import-export.ts";
import { ImportFailure } from "../api/run-import.ts";
import { formatBytes } from "../utils/import-errors.ts";
import { ImportProgressView } from "./import-progress.tsx";

/**
 * Import page: pick a ChatGPT export (.zip or conversations.json). Your browser reads it in the
 * background and uploads a compact copy (text only, no images); the upload resumes when you pick
 * the same file again. When it is stored, Engram starts building your memory and you go to chat.
 */
export default function ImportPage({ userId }: { userId: string }) {
  const navigate = useNavigate();
  const importing = useImportExport(userId);
  const status = useImportStatus(userId);
  const running = status.data?.import_status === "processing" || status.data?.full_pass_status === "processing";
  const input = useRef<HTMLInputElement>(null);
  const hintId = useId();

  const [dragging, setDragging] = useState(false);

  const start = (file: File | undefined) => {
    if (!file || importing.isPending) return;
    importing.mutate(file, { onSuccess: () => navigate("/chat") });
  };
  const onPick = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.currentTarget.files?.[0];
    event.currentTarget.value = "";
    start(file);
  };
  // Dropping the file anywhere on the card works too (the file input stays the accessible way).
  const onDragOver = (event: DragEvent) => {
    if (!event.dataTransfer.types.includes("Files")) return;
    event.preventDefault();
    setDragging(true);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    start(event.dataTransfer.files[0]);
  };

  const failure = importing.error instanceof ImportFailure ? importing.error.problem : null;
  return (
    <section aria-labelledby="import-title">
      <h1 id="import-title">Import your ChatGPT export</h1>
      {running && !importing.isPending ? (
        <p className="card muted">
          Your last import is still being processed — follow it in the banner above, or <Link to="/chat">start chatting</Link>.
          A new import can start once it has finished.
        </p>
      ) : null}
      <div
        className={dragging ? "card drop-target dragging" : "card drop-target"}
        onDragOver={onDragOver}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p id={hintId}>
          In ChatGPT, open <em>Settings → Data controls → Export data</em> and download the ZIP from the email. Choose that
          ZIP here (or the <code>conversations.json</code> inside it). It is read on this device; only the text of your
          conversations is uploaded.
        </p>
        <label className="file-pick">
          Choose your export (.zip or .json), or drop it here
          <input
            ref={input}
            type="file"
            name="export"
            accept=".zip,.json,application/zip,application/json"
            aria-describedby={hintId}
            onChange={onPick}
            disabled={importing.isPending}
          />
        </label>
        {importing.isPending && importing.variables ? (
          <p className="muted">
            {importing.variables.name} · {formatBytes(importing.variables.size)}
          </p>
        ) : null}
        {importing.isPending && importing.progress ? <ImportProgressView progress={importing.progress} /> : null}
        {importing.isPending ? (
          <button type="button" onClick={importing.cancel}>
            Cancel
          </button>
        ) : null}
        {importing.cancelled ? (
          <p role="status">Import paused. Choose the same file again to continue where it stopped.</p>
        ) : null}
        {importing.isError && !importing.cancelled ? (
          <div role="alert" className="form-error">
            <p>
              <strong>{failure?.title ?? "The import stopped"}</strong>
            </p>
            <p>{failure?.detail ?? importing.error.message}</p>
          </div>
        ) : null}
        {importing.isSuccess ? <p role="status">Import started — taking you to chat…</p> : null}
      </div>
    </section>
  );
}
