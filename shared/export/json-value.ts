/** Small guards for walking parsed JSON of unknown shape. */

/** A plain JSON object. */
export type JsonObject = Record<string, unknown>;

/** Whether `v` is a non-null, non-array object. */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `v` when it is a non-empty string, else undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

/** A short description of a JSON value's type, for error messages. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") {
    const keys = Object.keys(v as object).slice(0, 6);
    return keys.length > 0 ? `an object with keys ${keys.map((k) => JSON.stringify(k)).join(", ")}` : "an empty object";
  }
  return `a ${typeof v}`;
}
