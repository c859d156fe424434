/**
 * Delay before retry number `attempt` (1 = first retry): the server's Retry-After when it gave one
 * (capped), else exponential backoff with full jitter — uniform in [0, min(cap, base·2^(attempt−1))].
 */
export function backoffDelay(attempt: number, opts: { baseMs: number; capMs: number; retryAfterMs?: number; random: () => number }): number {
  if (opts.retryAfterMs !== undefined) return Math.min(opts.capMs, Math.max(0, opts.retryAfterMs));
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** (attempt - 1));
  return Math.floor(opts.random() * ceiling);
}

/** Parses a Retry-After header (delta seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}
