/** How to reach an OpenAI-compatible chat-completions API. */
export interface LlmConfig {
  /** e.g. https://api.openai.com/v1 — `/chat/completions` is appended. */
  baseUrl: string;
  apiKey: string;
  model: string;
  /** Requests in flight at once (default 4). */
  concurrency: number;
  /** Attempts per request, including the first (default 5). */
  maxAttempts: number;
  /** Per-attempt timeout (default 60 s). */
  timeoutMs: number;
  /** First backoff step and the cap of one wait (defaults 500 ms and 30 s). */
  baseDelayMs: number;
  maxDelayMs: number;
}

const DEFAULTS = { concurrency: 4, maxAttempts: 5, timeoutMs: 60_000, baseDelayMs: 500, maxDelayMs: 30_000 };

/**
 * Reads the LLM configuration from environment variables — `ENGRAM_LLM_BASE_URL`,
 * `ENGRAM_LLM_API_KEY`, `ENGRAM_LLM_MODEL` (all three required), optional
 * `ENGRAM_LLM_CONCURRENCY` — or returns null when it is not configured (then the offline extractor
 * is used). Pass `process.env` in Node, `Deno.env.toObject()` in Deno.
 */
export function llmConfigFromEnv(env: Record<string, string | undefined>): LlmConfig | null {
  const baseUrl = env.ENGRAM_LLM_BASE_URL?.trim();
  const apiKey = env.ENGRAM_LLM_API_KEY?.trim();
  const model = env.ENGRAM_LLM_MODEL?.trim();
  if (!baseUrl || !apiKey || !model) return null;
  const concurrency = Number(env.ENGRAM_LLM_CONCURRENCY ?? DEFAULTS.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new RangeError(`expected ENGRAM_LLM_CONCURRENCY to be an integer 1..64, found ${env.ENGRAM_LLM_CONCURRENCY}`);
  }
  return llmConfig({ baseUrl, apiKey, model, concurrency });
}

/** A full config from the required fields plus any overrides. */
export function llmConfig(c: Pick<LlmConfig, "baseUrl" | "apiKey" | "model"> & Partial<LlmConfig>): LlmConfig {
  return { ...DEFAULTS, ...c, baseUrl: c.baseUrl.replace(/\/+$/, "") };
}
