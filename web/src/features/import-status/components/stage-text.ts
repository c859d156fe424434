/** Words for the stage names the database and worker record in `import_stage`. */
const STAGES: Record<string, string> = {
  queued: "waiting for the background worker",
  retry_queued: "retry queued",
  quick_ready: "first results are ready",
  normalize: "reading your export",
  quick_pass: "building a first profile",
  shard: "indexing your conversations",
  finalize: "putting it all together",
  complete: "done",
  complete_with_errors: "done, with some parts missing",
  failed: "stopped",
  cancelled: "cancelled",
};

/** A person-readable stage: known names translated, anything else (already prose) as it is. */
export function stageText(stage: string | null | undefined): string | null {
  if (!stage) return null;
  return STAGES[stage] ?? stage;
}
