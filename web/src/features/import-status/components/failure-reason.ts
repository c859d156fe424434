import type { ImportStatus } from "../../../../../shared/import-status.ts";

/** A sentence a person understands for why the full pass stopped, and what they can do. */
export function failureReason(status: ImportStatus): string {
  const raw = (status.full_pass_status === "failed" ? status.full_pass_error : status.import_error ?? status.full_pass_error)?.trim();
  if (status.stale) return "The background worker stopped responding before it finished.";
  if (status.full_pass_error_kind === "permanent" || status.retry_blocked_reason === "permanent_failure") {
    return raw
      ? `Your export could not be read: ${raw}`
      : "Your export could not be read. Uploading it again usually fixes this.";
  }
  return raw ? `It stopped: ${raw}` : "It stopped before it finished.";
}

/** Why a retry is not offered, when it is not. */
export function retryBlockedText(status: ImportStatus): string | null {
  switch (status.retry_blocked_reason) {
    case "too_many_attempts":
      return "It has failed several times in a row; upload your export again to start fresh.";
    case "no_export":
      return "The stored export is gone; upload it again.";
    case "permanent_failure":
      return "Retrying would fail the same way; upload your export again.";
    case "rate_limited":
      return status.retry_after_seconds
        ? `You can retry in ${status.retry_after_seconds} s.`
        : "You can retry in a moment.";
    default:
      return null;
  }
}
