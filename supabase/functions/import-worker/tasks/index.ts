import type { TaskStep } from "../context.ts";
import type { LeasedTask } from "../types.ts";
import { finalizeStep } from "./finalize.ts";
import { normalizeStep } from "./normalize.ts";
import { quickPassStep } from "./quick-pass.ts";
import { shardStep } from "./shard.ts";

/** The step function of each task kind. */
export const STEPS: Record<LeasedTask["kind"], TaskStep> = {
  normalize: normalizeStep,
  quick_pass: quickPassStep,
  shard: shardStep,
  finalize: finalizeStep,
};
