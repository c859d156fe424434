import { describe, expect, it } from "vitest";
import { newUser } from "../../local/test/clients.ts";
import { invoke, syntheticExport, toShards, uploadShards, waitForSettled } from "./helpers.ts";

describe("failures a retry cannot fix", () => {
  it("a corrupt export fails the import with a readable reason and no retry offered", async () => {
    const user = await newUser("corrupt");
    const path = `${user.id}/raw/conversations.json`;
    const truncated = syntheticExport(5, 3).slice(0, 3000);
    expect((await user.client.storage.from("imports").upload(path, truncated, { contentType: "application/json" })).error).toBeNull();
    expect((await invoke(user.client, "import-trigger", { storagePath: path, fileType: "json" })).status).toBe(202);
    const s = await waitForSettled(user);
    expect(s.import_status).toBe("failed");
    expect(s.import_error).toMatch(/The export could not be read: .*(truncated|ended|expected)/i);
    expect(s.can_retry).toBe(false);
    expect(s.retry_blocked_reason).toBe("permanent_failure");
    const r = await invoke(user.client, "retry-full-pass", {});
    expect(r.status).toBe(422);
    expect(r.body.error.details.reason).toBe("permanent_failure");
  });

  it("a tampered shard is counted as a failed item and the rest of the memory is built", async () => {
    const user = await newUser("tampered");
    const shards = await toShards(syntheticExport(40, 5), 10);
    const bad = shards.files[2]!;
    bad.bytes = bad.bytes.slice();
    bad.bytes[bad.bytes.length - 12] = bad.bytes[bad.bytes.length - 12]! ^ 0xff;
    const { importId, folder } = await uploadShards(user, shards);
    expect((await invoke(user.client, "import-trigger", { storagePath: folder, fileType: "shards", importId })).status).toBe(202);
    const s = await waitForSettled(user);
    expect(s.full_pass_status).toBe("complete");
    expect(s.failed_items).toBe(1);
    expect(s.import_stage).toBe("complete_with_errors");
    expect(s.full_pass_error).toMatch(/1 item\(s\) could not be processed/);
    const { data: profile } = await user.client.from("memory_profiles").select("markdown, stats").single();
    expect(profile!.markdown).toMatch(/Built from partial input/);
    expect(profile!.stats.failed_shards).toBe(1);
    expect(s.chunk_count).toBeGreaterThan(0);
  });
});
