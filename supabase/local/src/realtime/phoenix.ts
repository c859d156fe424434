/**
 * Phoenix channel framing as realtime-js speaks it (see supabase-contracts.md §5): vsn 2.0.0
 * sends text frames `[join_ref, ref, topic, event, payload]`, vsn 1.0.0 sends JSON objects
 * `{topic, event, payload, ref, join_ref}`. Binary frames carry broadcast only and are ignored.
 */

/** The framings realtime-js can select with its `vsn` option. */
export type Vsn = "1.0.0" | "2.0.0";

/** One Phoenix message, whichever framing carried it. */
export interface PhoenixMessage {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
}

/** The reserved Phoenix events the stand-in handles or sends. */
export const PHX = {
  join: "phx_join",
  leave: "phx_leave",
  reply: "phx_reply",
  close: "phx_close",
  error: "phx_error",
  heartbeat: "heartbeat",
  accessToken: "access_token",
} as const;

/** Reads the `vsn` query parameter; undefined means "detect from the first frame". */
export function parseVsn(value: string | null): Vsn | undefined {
  if (value === null || value === "") return undefined;
  if (value.startsWith("2.")) return "2.0.0";
  if (value.startsWith("1.")) return "1.0.0";
  throw new RangeError(`unsupported Phoenix serializer vsn: expected 1.x or 2.x, got "${value}"`);
}

function refOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return String(value);
}

function payloadOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * Decodes one text frame. Returns the message and the framing it used (an array is 2.0.0, an
 * object 1.0.0). Throws TypeError when the frame is neither.
 */
export function decodeFrame(text: string): { message: PhoenixMessage; vsn: Vsn } {
  const raw: unknown = JSON.parse(text);
  if (Array.isArray(raw)) {
    if (raw.length !== 5 || typeof raw[2] !== "string" || typeof raw[3] !== "string") {
      throw new TypeError(`expected a [join_ref, ref, topic, event, payload] frame, got ${text.slice(0, 120)}`);
    }
    return {
      vsn: "2.0.0",
      message: { joinRef: refOf(raw[0]), ref: refOf(raw[1]), topic: raw[2], event: raw[3], payload: payloadOf(raw[4]) },
    };
  }
  if (raw !== null && typeof raw === "object") {
    const o = raw as Record<string, unknown>;
    if (typeof o.topic !== "string" || typeof o.event !== "string") {
      throw new TypeError(`expected a {topic, event, payload, ref} frame, got ${text.slice(0, 120)}`);
    }
    return {
      vsn: "1.0.0",
      message: { joinRef: refOf(o.join_ref), ref: refOf(o.ref), topic: o.topic, event: o.event, payload: payloadOf(o.payload) },
    };
  }
  throw new TypeError(`expected a JSON array or object frame, got ${text.slice(0, 120)}`);
}

/** Encodes a message in the given framing. */
export function encodeFrame(message: PhoenixMessage, vsn: Vsn): string {
  if (vsn === "2.0.0") {
    return JSON.stringify([message.joinRef, message.ref, message.topic, message.event, message.payload]);
  }
  return JSON.stringify({
    topic: message.topic,
    event: message.event,
    payload: message.payload,
    ref: message.ref,
    join_ref: message.joinRef,
  });
}
