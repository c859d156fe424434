import { describe, expect, it } from "vitest";
import { newUser } from "../../local/test/clients.ts";
import { chunkFingerprint, importStatus, invoke, syntheticExport, tasksOf, toShards, uploadShards, waitFor, waitForSettled } from "./helpers.ts";

describe("import-trigger → worker → complete", () => {
  it("an imported shard set becomes quick_ready, then complete with chunks, facts, MEMORY and search", async () => {
    const user = await newUser("flow");
    const shards = await toShards(syntheticExport(60, 11), 15);
    expect(shards.manifest.counts.shards).toBeGreaterThanOrEqual(4);
    const { importId, folder } = await uploadShards(user, shards);

    const started = Date.now();
    const r = await invoke(user.client, "import-trigger", { storagePath: folder, fileType: "shards", importId });
    expect(r.status).toBe(202);
    expect(r.body.importId).toBe(importId);
    expect(r.body.runId).toEqual(expect.any(String));

    const quick = await waitFor("quick_ready", async () => {
      const s = await importStatus(user);
      return s.import_status === "quick_ready" || s.import_status === "complete" ? s : undefined;
    }, 30_000);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(quick.conversation_count).toBe(shards.manifest.counts.conversations);

    const done = await waitForSettled(user);
    expect(done.full_pass_status).toBe("complete");
    expect(done.import_status).toBe("complete");
    expect(done.failed_items).toBe(0);
    expect(done.chunk_count).toBeGreaterThan(shards.manifest.counts.conversations);
    expect(done.fact_count).toBeGreaterThan(0);

    const { data: profile } = await user.client.from("memory_profiles").select("markdown, partial, stats").single();
    expect(profile!.partial).toBe(false);
    expect(profile!.markdown).toMatch(/^# Memory profile/);
    expect(profile!.markdown).toContain("Lives in");
    expect(profile!.stats.conversations).toBe(shards.manifest.counts.conversations);

    const { data: facts } = await user.client.from("memory_facts").select("statement");
    const fact = facts!.map((f) => f.statement).find((s) => /^Lives in /.test(s));
    expect(fact).toBeDefined();
    const city = fact!.replace(/^Lives in /, "");
    const { data: hits, error } = await user.client.rpc("search_memory", { p_query: city, p_limit: 10 });
    expect(error).toBeNull();
    expect(hits!.length).toBeGreaterThan(0);
    expect(hits!.some((h: { kind: string }) => h.kind === "fact")).toBe(true);

    const fp = await chunkFingerprint(user.id);
    expect(fp.duplicates).toBe(0);
    const tasks = await tasksOf(user.id);
    expect(tasks.filter((t) => t.kind === "shard")).toHaveLength(shards.manifest.counts.shards);
    expect(tasks.every((t) => t.state === "done")).toBe(true);
  });

  it("a raw conversations.json is normalized server-side into the same chunks as browser shards", async () => {
    const bytes = syntheticExport(45, 23);
    const raw = await newUser("raw");
    const path = `${raw.id}/upload/conversations.json`;
    const up = await raw.client.storage.from("imports").upload(path, bytes, { contentType: "application/json" });
    expect(up.error).toBeNull();
    const r = await invoke(raw.client, "import-trigger", { storagePath: path, fileType: "json" });
    expect(r.status).toBe(202);
    const done = await waitForSettled(raw);
    expect(done.full_pass_status).toBe("complete");

    const browser = await newUser("browser");
    const shards = await toShards(bytes, 1000);
    const { importId, folder } = await uploadShards(browser, shards);
    expect((await invoke(browser.client, "import-trigger", { storagePath: folder, fileType: "shards", importId })).status).toBe(202);
    expect((await waitForSettled(browser)).full_pass_status).toBe("complete");

    expect((await chunkFingerprint(raw.id)).rows).toEqual((await chunkFingerprint(browser.id)).rows);
    expect(done.conversation_count).toBe(shards.manifest.counts.conversations);
  });
});
