import { ExportError } from "../errors.ts";
import type { ExportLimits } from "../limits.ts";
import type { Conversation } from "../model/conversation.ts";
import { ZipStream, type ZipEntrySink } from "../zip/zip-stream.ts";
import { CustomInstructionsCollector } from "./custom-instructions-collector.ts";
import { JsonPart, type PartItem } from "./json-part.ts";
import { SidePart } from "./side-part.ts";
import { sniff } from "./sniff.ts";
import type { Source, SourceType } from "./source.ts";

/** One result of reading an export: a normalized conversation, or a conversation that failed. */
export type ExportItem = { kind: "conversation"; conversation: Conversation } | { kind: "failed"; error: ExportError };

/** Conversation files inside an export ZIP: `conversations.json` or `conversations-000.json`, … */
const CONVERSATIONS_FILE = /^conversations(-\d+)?\.json$/i;
const EXPORT_MANIFEST = "export_manifest.json";

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * The synchronous core of the export reader: push bytes in, get {@link ExportItem}s out through
 * `emit`. It sniffs the input (ZIP or JSON), stream-unzips, splits each conversations file into
 * conversations and normalizes each as it completes, so memory holds one conversation at a time.
 */
export class ExportParser {
  private readonly name: string;
  private readonly limits: ExportLimits;
  private readonly emit: (item: ExportItem) => void;
  private head = new Uint8Array(0);
  private mode: "sniffing" | "zip" | "json" = "sniffing";
  private zip: ZipStream | null = null;
  private json: JsonPart | null = null;
  private readonly parts: string[] = [];
  private readonly entryNames: string[] = [];
  private sideManifest: SidePart | null = null;
  private format: "chatgpt" | "claude" | null = null;
  private bytes = 0;
  readonly customInstructions = new CustomInstructionsCollector();

  constructor(name: string, limits: ExportLimits, emit: (item: ExportItem) => void) {
    this.name = name;
    this.limits = limits;
    this.emit = emit;
  }

  /** Feeds the next bytes of the export. */
  push(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    if (this.mode === "sniffing") {
      const head = new Uint8Array(this.head.length + chunk.length);
      head.set(this.head);
      head.set(chunk, this.head.length);
      if (!this.decide(head, false)) {
        this.head = head;
        return;
      }
      this.head = new Uint8Array(0);
      chunk = head;
    }
    if (this.mode === "zip") this.zip!.push(chunk);
    else this.json!.push(chunk);
  }

  /** Ends the input; throws when it was truncated or held no conversations. Returns the source. */
  end(): Source {
    if (this.mode === "sniffing") {
      this.decide(this.head, true);
      const head = this.head;
      this.head = new Uint8Array(0);
      if (this.zip) this.zip.push(head);
      else this.json!.push(head);
    }
    if (this.mode === "zip") {
      this.zip!.end();
      if (this.parts.length === 0) {
        const found = this.entryNames.slice(0, 8).join(", ") + (this.entryNames.length > 8 ? ", …" : "");
        throw new ExportError("no_conversations", `expected conversations.json (or conversations-000.json, …) in the ZIP, found: ${found || "no entries"}`, { part: this.name });
      }
      const listed = this.sideManifest?.listedConversationFiles() ?? [];
      const have = new Set(this.parts.map(baseName));
      for (const file of listed) {
        if (!have.has(file)) throw new ExportError("missing_part", `expected ${file} (listed in ${EXPORT_MANIFEST}) in the ZIP, found no such entry`, { part: this.name });
      }
    } else this.json!.end();
    const container = this.mode === "zip" ? "zip" : "json";
    return { name: this.name, type: `${this.format ?? "chatgpt"}-${container}` as SourceType, bytes: this.bytes, parts: [...this.parts] };
  }

  private decide(head: Uint8Array, ended: boolean): boolean {
    const s = sniff(head, ended);
    if (s.kind === "need-more") return false;
    if (s.kind === "unsupported") {
      throw new ExportError("unsupported_input", `expected a ChatGPT or Claude export (a .zip, or conversations.json), found ${s.found}`, { part: this.name, offset: 0 });
    }
    if (s.kind === "zip") {
      this.mode = "zip";
      this.zip = new ZipStream({ part: this.name, limits: this.limits, onEntry: (entry) => this.chooseEntry(entry) });
    } else {
      this.mode = "json";
      this.parts.push(this.name);
      this.json = new JsonPart(this.name, this.limits, (item) => this.onItem(item));
    }
    return true;
  }

  private chooseEntry(entry: string): ZipEntrySink | null {
    this.entryNames.push(entry);
    if (entry.startsWith("__MACOSX/") || entry.endsWith("/")) return null;
    const base = baseName(entry);
    if (CONVERSATIONS_FILE.test(base)) {
      this.parts.push(entry);
      const part = new JsonPart(entry, this.limits, (item) => this.onItem(item));
      return { data: (chunk) => part.push(chunk), end: () => part.end() };
    }
    if (base === EXPORT_MANIFEST && !this.sideManifest) {
      this.sideManifest = new SidePart(entry, this.limits.maxSideFileBytes);
      return this.sideManifest;
    }
    return null;
  }

  private onItem(item: PartItem): void {
    if (item.kind === "failed") {
      this.emit(item);
      return;
    }
    this.format ??= item.format;
    this.customInstructions.add(item.item.customInstructions);
    this.emit({ kind: "conversation", conversation: item.item.conversation });
  }
}
