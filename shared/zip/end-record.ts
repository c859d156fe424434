/** Longest possible end-of-central-directory record: 22 bytes plus a 65,535-byte comment. */
const MAX_END = 22 + 65535;
const SIG = [0x50, 0x4b, 0x05, 0x06];

/**
 * Keeps the last bytes of a ZIP stream to tell whether it ends with an end-of-central-directory
 * record — a ZIP cut after its last entry still inflates, but it is truncated.
 */
export class EndRecordTracker {
  private tail = new Uint8Array(0);

  push(chunk: Uint8Array): void {
    if (chunk.length >= MAX_END) {
      this.tail = chunk.slice(chunk.length - MAX_END);
      return;
    }
    const keep = Math.min(this.tail.length, MAX_END - chunk.length);
    const next = new Uint8Array(keep + chunk.length);
    next.set(this.tail.subarray(this.tail.length - keep));
    next.set(chunk, keep);
    this.tail = next;
  }

  /** Whether the bytes seen end with a well-formed end-of-central-directory record. */
  hasEndRecord(): boolean {
    const t = this.tail;
    for (let i = t.length - 22; i >= 0; i--) {
      if (t[i] === SIG[0] && t[i + 1] === SIG[1] && t[i + 2] === SIG[2] && t[i + 3] === SIG[3]) {
        const commentLength = t[i + 20]! | (t[i + 21]! << 8);
        if (i + 22 + commentLength === t.length) return true;
      }
    }
    return false;
  }
}
