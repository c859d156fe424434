/**
 * Timestamps: ChatGPT exports use Unix seconds (floats), Claude uses ISO strings. Both become ISO
 * strings with millisecond precision in UTC, so output is deterministic.
 */

/** Unix seconds → ISO string, or undefined when absent or not a finite, representable time. */
export function isoFromSeconds(seconds: unknown): string | undefined {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return undefined;
  const ms = Math.round(seconds * 1000);
  return isoFromMillis(ms);
}

/** An ISO-like date string → normalized ISO string, or undefined when unparsable. */
export function isoFromString(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length === 0) return undefined;
  return isoFromMillis(Date.parse(value));
}

function isoFromMillis(ms: number): string | undefined {
  // Years 0..9999 only: toISOString uses a ±YYYYYY form outside, which the schema rejects.
  if (!Number.isFinite(ms) || ms < -62167219200000 || ms > 253402300799999) return undefined;
  return new Date(ms).toISOString();
}

/** The `YYYY-MM` month of an ISO time. */
export function monthOf(iso: string): string {
  return iso.slice(0, 7);
}
