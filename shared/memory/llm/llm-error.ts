/** Whether trying again may help. */
export type LlmErrorKind = "retryable" | "permanent";

/** A failed chat-completions call, classified. */
export class LlmError extends Error {
  override readonly name = "LlmError";
  readonly kind: LlmErrorKind;
  /** HTTP status when there was a response. */
  readonly status: number | undefined;
  /** Milliseconds the server asked us to wait (Retry-After), when it did. */
  readonly retryAfterMs: number | undefined;

  constructor(kind: LlmErrorKind, message: string, details: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: details.cause });
    this.kind = kind;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/**
 * Retryable: 408, 409, 425, 429 and 5xx (rate limits, overload, transient server trouble), network
 * failures and timeouts. Permanent: other 4xx (bad key, bad model, bad request) — retrying those
 * only burns quota.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}
