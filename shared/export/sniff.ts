/** What the first bytes of an input say it is. */
export type Sniffed = { kind: "zip" } | { kind: "json" } | { kind: "need-more" } | { kind: "unsupported"; found: string };

/**
 * Tells a ZIP (local-file-header signature) from a JSON document (first non-blank byte `[` or `{`,
 * after an optional BOM) by their first bytes; anything else is described for the error message.
 */
export function sniff(head: Uint8Array, ended: boolean): Sniffed {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b) {
    if (head[2] === 0x03 && head[3] === 0x04) return { kind: "zip" };
    if (head[2] === 0x05 && head[3] === 0x06) return { kind: "unsupported", found: "an empty ZIP archive" };
  }
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  if (i >= head.length || head.length < 4) {
    if (!ended) return { kind: "need-more" };
    if (i >= head.length) return { kind: "unsupported", found: head.length === 0 ? "an empty file" : "only whitespace" };
  }
  const c = head[i];
  if (c === 0x5b || c === 0x7b) return { kind: "json" };
  return { kind: "unsupported", found: describeHead(head.subarray(i, i + 16)) };
}

function describeHead(bytes: Uint8Array): string {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return "a gzip file";
  if (bytes[0] === 0x25 && bytes[1] === 0x50 && bytes[2] === 0x44 && bytes[3] === 0x46) return "a PDF";
  if (bytes[0] === 0x3c) return "HTML or XML (chat.html?)";
  const hex = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join(" ");
  const text = Array.from(bytes.subarray(0, 8), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
  return `bytes ${hex} ("${text}")`;
}
