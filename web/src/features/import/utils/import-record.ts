import { READER_VERSION } from "../../../../../shared/shards/manifest.ts";

/**
 * Remembers, per user and per chosen file, which import id the file was given, so that picking
 * the same file again after a reload resumes the same import (same Storage folder, shards
 * already stored are skipped) instead of starting over. The file is recognised by name, size and
 * last-modified time — cheap, and good enough to tell one export from another.
 */

/** What is remembered about one file. */
export interface ImportRecord {
  importId: string;
  fingerprint: string;
  startedAt: string;
  /** Set once import-trigger accepted the import. */
  triggeredAt: string | null;
}

const PREFIX = "engram:import:";

/**
 * The identity of a chosen file, for this version of the readers: shards are byte-identical only
 * for the same reader version, so after an app update the same file starts a fresh folder rather
 * than mixing shards of two versions.
 */
export function fileFingerprint(file: Pick<File, "name" | "size" | "lastModified">): string {
  return `${file.name}|${file.size}|${file.lastModified}|${READER_VERSION}`;
}

function keyOf(userId: string, fingerprint: string): string {
  return `${PREFIX}${userId}:${fingerprint}`;
}

/** The record for this user's file, or null when the file is new (or the record unreadable). */
export function readImportRecord(storage: Storage, userId: string, fingerprint: string): ImportRecord | null {
  const raw = storage.getItem(keyOf(userId, fingerprint));
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<ImportRecord>;
    if (typeof value.importId !== "string" || value.fingerprint !== fingerprint) return null;
    return {
      importId: value.importId,
      fingerprint,
      startedAt: String(value.startedAt ?? ""),
      triggeredAt: typeof value.triggeredAt === "string" ? value.triggeredAt : null,
    };
  } catch {
    return null;
  }
}

/** The record for this file: the remembered one (resume), else a new one with a fresh import id. */
export function openImportRecord(
  storage: Storage,
  userId: string,
  file: Pick<File, "name" | "size" | "lastModified">,
  newId: () => string = () => crypto.randomUUID(),
): { record: ImportRecord; resumed: boolean } {
  const fingerprint = fileFingerprint(file);
  const existing = readImportRecord(storage, userId, fingerprint);
  if (existing) return { record: existing, resumed: true };
  const record: ImportRecord = { importId: newId(), fingerprint, startedAt: new Date().toISOString(), triggeredAt: null };
  storage.setItem(keyOf(userId, fingerprint), JSON.stringify(record));
  return { record, resumed: false };
}

/** Notes that import-trigger accepted the import of this file. */
export function markImportTriggered(storage: Storage, userId: string, record: ImportRecord): ImportRecord {
  const next = { ...record, triggeredAt: new Date().toISOString() };
  storage.setItem(keyOf(userId, record.fingerprint), JSON.stringify(next));
  return next;
}
