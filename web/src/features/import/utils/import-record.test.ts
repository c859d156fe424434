import { beforeEach, describe, expect, it } from "vitest";
import { READER_VERSION } from "../../../../../shared/shards/manifest.ts";
import { fileFingerprint, markImportTriggered, openImportRecord, readImportRecord } from "./import-record.ts";

const USER = "0b6f7c1e-5a8e-4b7e-8f55-0f3c2a9d1e77";
const file = { name: "chatgpt-export.zip", size: 123_456_789, lastModified: 1_732_000_000_000 };
let ids = 0;
const newId = () => `00000000-0000-4000-8000-${String(++ids).padStart(12, "0")}`;

beforeEach(() => {
  localStorage.clear();
  ids = 0;
});

describe("import records", () => {
  it("fileFingerprint() combines name, size, last-modified time and the reader version", () => {
    expect(fileFingerprint(file)).toBe(`chatgpt-export.zip|123456789|1732000000000|${READER_VERSION}`);
    expect(fileFingerprint({ ...file, lastModified: file.lastModified + 1 })).not.toBe(fileFingerprint(file));
  });

  it("openImportRecord() gives a new file a fresh import id and remembers it", () => {
    const { record, resumed } = openImportRecord(localStorage, USER, file, newId);
    expect(resumed).toBe(false);
    expect(record.importId).toBe("00000000-0000-4000-8000-000000000001");
    expect(record.triggeredAt).toBeNull();
    expect(readImportRecord(localStorage, USER, fileFingerprint(file))?.importId).toBe(record.importId);
  });

  it("openImportRecord() resumes the same import id when the same file is picked again", () => {
    const first = openImportRecord(localStorage, USER, file, newId);
    const again = openImportRecord(localStorage, USER, { ...file }, newId);
    expect(again.resumed).toBe(true);
    expect(again.record.importId).toBe(first.record.importId);
  });

  it("openImportRecord() starts over for a different file or a different user", () => {
    const first = openImportRecord(localStorage, USER, file, newId);
    const edited = openImportRecord(localStorage, USER, { ...file, size: file.size + 1 }, newId);
    const otherUser = openImportRecord(localStorage, "9a1d8e2c-7b3f-4c5d-8e6f-1a2b3c4d5e6f", file, newId);
    expect(edited.resumed).toBe(false);
    expect(otherUser.resumed).toBe(false);
    expect(new Set([first.record.importId, edited.record.importId, otherUser.record.importId]).size).toBe(3);
  });

  it("openImportRecord() starts over when the stored record is unreadable", () => {
    localStorage.setItem(`engram:import:${USER}:${fileFingerprint(file)}`, "{not json");
    expect(openImportRecord(localStorage, USER, file, newId).resumed).toBe(false);
  });

  it("markImportTriggered() keeps the import id and records when the import was started", () => {
    const { record } = openImportRecord(localStorage, USER, file, newId);
    markImportTriggered(localStorage, USER, record);
    const stored = readImportRecord(localStorage, USER, fileFingerprint(file));
    expect(stored?.importId).toBe(record.importId);
    expect(stored?.triggeredAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});
