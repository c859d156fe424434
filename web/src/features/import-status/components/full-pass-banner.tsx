import { Link } from "react-router-dom";
import type { ImportStatus } from "../../../../../shared/import-status.ts";
import { failureReason, retryBlockedText } from "./failure-reason.ts";
import { stageText } from "./stage-text.ts";

/** Props of {@link FullPassBanner}: the status, and what the buttons do. */
export interface FullPassBannerProps {
  status: ImportStatus;
  retry: { onRetry: () => void; pending: boolean; error: string | null };
  onDismiss: () => void;
  /** Where a person goes to upload again when a retry cannot help. */
  reuploadHref: string;
}

/**
 * The deep-memory banner: progress while the full pass runs, an amber notice with the reason and
 * **Retry deep memory** when it failed, a short note when it completed. Announced politely to
 * screen readers (`aria-live`).
 */
export function FullPassBanner({ status, retry, onDismiss, reuploadHref }: FullPassBannerProps) {
  const body = bannerBody(status, retry, reuploadHref);
  if (!body) return null;
  return (
    <section className={`banner banner-${body.tone}`} aria-live="polite" aria-label="Deep memory status" data-state={body.state}>
      <div className="banner-body">{body.content}</div>
      {body.state !== "processing" && body.state !== "importing" && (
        <button type="button" className="banner-dismiss" onClick={onDismiss} aria-label="Dismiss">
          ×
        </button>
      )}
    </section>
  );
}

function bannerBody(status: ImportStatus, retry: FullPassBannerProps["retry"], reuploadHref: string) {
  if (status.import_status === "processing" && status.full_pass_status !== "processing") {
    const percent = Math.max(0, Math.min(100, Math.round(status.progress_percent ?? 0)));
    return {
      state: "importing",
      tone: "info",
      content: (
        <>
          <p>
            <strong>Reading your export… {percent} %</strong>
            {stageText(status.import_stage) ? <span className="banner-stage"> — {stageText(status.import_stage)}</span> : null}
          </p>
          <progress max={100} value={percent} aria-label="Import progress" />
        </>
      ),
    };
  }
  // A run that stopped responding is a failure a person can retry, even if the row still says processing.
  const failed = status.full_pass_status === "failed" || status.import_status === "failed" || (status.stale && status.can_retry);
  switch (failed ? "failed" : status.full_pass_status) {
    case "processing": {
      const percent = Math.max(0, Math.min(100, Math.round(status.progress_percent ?? 0)));
      const detail = status.total_items ? ` (${status.done_items ?? 0} of ${status.total_items} parts)` : "";
      return {
        state: "processing",
        tone: "info",
        content: (
          <>
            <p>
              <strong>Building deep memory… {percent} %</strong>
              {stageText(status.import_stage) ? <span className="banner-stage"> — {stageText(status.import_stage)}</span> : null}
              {detail}
            </p>
            <progress max={100} value={percent} aria-label="Deep memory progress" />
            {retry.pending ? (
              // The optimistic picture while the retry request is in flight: the button stays,
              // disabled, until the server has answered.
              <button type="button" className="banner-action" disabled>
                Retrying…
              </button>
            ) : null}
          </>
        ),
      };
    }
    case "failed": {
      const blocked = status.can_retry ? null : retryBlockedText(status);
      return {
        state: "failed",
        tone: "warning",
        content: (
          <>
            <p>
              <strong>{status.import_status === "failed" ? "Your import didn't finish." : "Deep memory didn't finish."}</strong>{" "}
              {failureReason(status)}
            </p>
            {status.can_retry ? (
              <button type="button" className="banner-action" onClick={retry.onRetry} disabled={retry.pending}>
                {retry.pending ? "Retrying…" : status.import_status === "failed" ? "Retry import" : "Retry deep memory"}
              </button>
            ) : (
              <p>
                {blocked} <Link to={reuploadHref}>Upload your export again</Link>
              </p>
            )}
            {retry.error ? (
              <p role="alert" className="banner-error">
                {retry.error}
              </p>
            ) : null}
          </>
        ),
      };
    }
    case "complete": {
      const failedItems = status.failed_items ?? 0;
      return {
        state: "complete",
        tone: failedItems > 0 ? "warning" : "success",
        content: (
          <p>
            <strong>Deep memory is ready.</strong>{" "}
            {failedItems > 0
              ? `${failedItems} ${failedItems === 1 ? "item" : "items"} of your export could not be processed and ${failedItems === 1 ? "is" : "are"} missing from it.`
              : "Every conversation is now searchable."}
          </p>
        ),
      };
    }
    default:
      return null;
  }
}
