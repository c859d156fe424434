import { backoffDelay, parseRetryAfter } from "./backoff.ts";
import type { LlmConfig } from "./config.ts";
import { isRetryableStatus, LlmError } from "./llm-error.ts";

/** One chat message of the wire format. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** What the client needs from its runtime; tests and callers may replace any of it. */
export interface ChatDeps {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
}

/** The platform's fetch, timers and randomness. */
export const defaultChatDeps: ChatDeps = {
  fetch: (input, init) => fetch(input, init),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: Date.now,
};

/**
 * POSTs one chat completion (`{baseUrl}/chat/completions`, JSON mode) and returns the assistant's
 * content. Retries retryable failures (429, 5xx, network, timeout) up to `maxAttempts` with
 * backoff and jitter, honouring Retry-After; throws a classified {@link LlmError} otherwise.
 */
export async function chatCompletion(config: LlmConfig, messages: ChatMessage[], deps: ChatDeps = defaultChatDeps): Promise<string> {
  let last: LlmError | undefined;
  for (let attempt = 1; attempt <= config.maxAttempts; attempt++) {
    if (attempt > 1) {
      await deps.sleep(backoffDelay(attempt - 1, { baseMs: config.baseDelayMs, capMs: config.maxDelayMs, retryAfterMs: last?.retryAfterMs, random: deps.random }));
    }
    try {
      return await once(config, messages, deps);
    } catch (e) {
      if (!(e instanceof LlmError)) throw e;
      last = e;
      if (e.kind === "permanent") throw e;
    }
  }
  throw new LlmError("retryable", `gave up after ${config.maxAttempts} attempts: ${last?.message}`, { status: last?.status, cause: last });
}

async function once(config: LlmConfig, messages: ChatMessage[], deps: ChatDeps): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), config.timeoutMs);
  let response: Response;
  try {
    response = await deps.fetch(`${config.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${config.apiKey}` },
      body: JSON.stringify({ model: config.model, messages, temperature: 0, response_format: { type: "json_object" } }),
      signal: controller.signal,
    });
  } catch (cause) {
    clearTimeout(timer);
    const what = controller.signal.aborted ? `timed out after ${config.timeoutMs} ms` : `network error: ${cause instanceof Error ? cause.message : String(cause)}`;
    throw new LlmError("retryable", `chat completion ${what}`, { cause });
  }
  try {
    const text = await response.text();
    if (!response.ok) {
      const kind = isRetryableStatus(response.status) ? "retryable" : "permanent";
      throw new LlmError(kind, `chat completion failed with HTTP ${response.status}: ${errorMessage(text)}`, {
        status: response.status,
        retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), deps.now()),
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (cause) {
      throw new LlmError("retryable", "expected a JSON chat completion, found invalid JSON", { status: response.status, cause });
    }
    const content = (body as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message?.content;
    if (typeof content !== "string") throw new LlmError("permanent", "expected choices[0].message.content to be a string, found none", { status: response.status });
    return content;
  } catch (e) {
    if (e instanceof LlmError) throw e;
    throw new LlmError("retryable", `reading the chat completion failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

function errorMessage(text: string): string {
  try {
    const m = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof m === "string") return m.slice(0, 300);
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 300);
}
