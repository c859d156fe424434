import { decodeUtf8 } from "../util/utf8.ts";
import type { ZipEntrySink } from "../zip/zip-stream.ts";

/**
 * A small side file of the export (`export_manifest.json`), read whole up to a cap. Its only use is
 * to learn which split conversation files the export says it has, so a missing one is an error.
 * A side file that is too big or not JSON is ignored: it is not the user's data.
 */
export class SidePart implements ZipEntrySink {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private overflow = false;
  private value: unknown = undefined;
  private readonly name: string;
  private readonly cap: number;

  constructor(name: string, cap: number) {
    this.name = name;
    this.cap = cap;
  }

  data(chunk: Uint8Array): void {
    if (this.overflow) return;
    this.size += chunk.length;
    if (this.size > this.cap) {
      this.overflow = true;
      this.chunks.length = 0;
      return;
    }
    this.chunks.push(chunk.slice());
  }

  end(): void {
    if (this.overflow) return;
    const all = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) all.set(c, (o += c.length) - c.length);
    this.chunks.length = 0;
    try {
      this.value = JSON.parse(decodeUtf8(all, { part: this.name }));
    } catch {
      this.value = undefined;
    }
  }

  /** Base names of `conversations*.json` files mentioned anywhere in the side file. */
  listedConversationFiles(): string[] {
    const found = new Set<string>();
    const walk = (v: unknown, depth: number): void => {
      if (depth > 8) return;
      if (typeof v === "string") {
        const base = v.slice(v.lastIndexOf("/") + 1);
        if (/^conversations(-\d+)?\.json$/i.test(base)) found.add(base);
      } else if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
      else if (typeof v === "object" && v !== null) for (const x of Object.values(v)) walk(x, depth + 1);
    };
    walk(this.value, 0);
    return [...found].sort();
  }
}
