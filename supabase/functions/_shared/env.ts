import { z } from "zod";

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** The environment every function reads, validated once. */
export const EnvSchema = z.object({
  SUPABASE_URL: z.url({ message: "SUPABASE_URL must be the project's API URL" }),
  SUPABASE_ANON_KEY: z.string().min(20, "SUPABASE_ANON_KEY is missing"),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(20, "SUPABASE_SERVICE_ROLE_KEY is missing"),
  /** `1` honours fault-injection rows, `0` ignores them; unset = on only for a loopback SUPABASE_URL. */
  ENGRAM_FAULTS: z.enum(["0", "1"]).optional(),
  /** Worker tuning (defaults fit the hosted limits: 2 s CPU, 256 MB, 150 s wall). */
  WORKER_CPU_BUDGET_MS: positiveInt(900),
  WORKER_WALL_BUDGET_MS: positiveInt(60_000),
  WORKER_LEASE_SECONDS: positiveInt(15),
  WORKER_MAX_CHAIN: positiveInt(10_000),
});

/** Parsed environment. */
export type Env = z.infer<typeof EnvSchema>;

/** Thrown at boot when the environment is unusable: every missing or bad variable is listed. */
export class EnvError extends Error {
  constructor(issues: string[]) {
    super(`invalid function environment:\n  - ${issues.join("\n  - ")}`);
    this.name = "EnvError";
  }
}

/** Validates `source` (default: `Deno.env`), throwing EnvError listing every problem. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    throw new EnvError(result.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`));
  }
  return result.data;
}

let cached: Env | undefined;

/** The process environment, parsed on first use and cached; throws loudly when invalid. */
export function env(): Env {
  cached ??= parseEnv(Deno.env.toObject());
  return cached;
}

/** Whether fault-injection rows are honoured: explicit flag, else only against a loopback API URL. */
export function faultsEnabled(e: Env): boolean {
  if (e.ENGRAM_FAULTS !== undefined) return e.ENGRAM_FAULTS === "1";
  const host = new URL(e.SUPABASE_URL).hostname;
  return host === "127.0.0.1" || host === "localhost" || host === "::1" || host === "[::1]" ||
    host === "host.docker.internal" || host === "kong";
}
