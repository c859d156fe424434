import { llmConfigFromEnv } from "../../../shared/memory/llm/config.ts";
import { env } from "../_shared/env.ts";
import { withErrors } from "../_shared/http.ts";
import { handleChat } from "./handler.ts";

const config = env();
// Interactive: one retry at most and a short timeout, then the offline answer.
const base = llmConfigFromEnv(Deno.env.toObject());
const llm = base && { ...base, maxAttempts: 2, timeoutMs: 20_000 };
Deno.serve(withErrors((req) => handleChat(req, { env: config, llm })));
