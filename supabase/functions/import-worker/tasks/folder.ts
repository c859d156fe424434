import type { LeasedTask } from "../types.ts";

/**
 * The Storage folder holding a run's manifest.json and shards: the uploaded folder for
 * `file_type = 'shards'`, else the folder the normalize task writes, `<user>/<import>/normalized/`.
 * Always derived from database values, never from a request.
 */
export function shardFolder(task: LeasedTask): string {
  if (typeof task.payload.folder === "string") return task.payload.folder;
  if (task.file_type === "shards") return task.storage_path.endsWith("/") ? task.storage_path : `${task.storage_path}/`;
  return `${task.user_id}/${task.import_id}/normalized/`;
}
