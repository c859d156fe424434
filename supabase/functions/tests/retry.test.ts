import { describe, expect, it } from "vitest";
import { newUser, sql, type TestUser } from "../../local/test/clients.ts";
import { addFaults, chunkFingerprint, type Fault, importStatus, invoke, syntheticExport, tasksOf, toShards, uploadShards, waitForSettled } from "./helpers.ts";

const EXPORT = syntheticExport(64, 31);

/** Imports the shared test export as `user` (8 shards of 8 conversations), with optional faults. */
async function importExport(user: TestUser, faults: Fault[] = []): Promise<void> {
  await addFaults(user.id, faults);
  const { importId, folder } = await uploadShards(user, await toShards(EXPORT, 8));
  const r = await invoke(user.client, "import-trigger", { storagePath: folder, fileType: "shards", importId });
  expect(r.status).toBe(202);
}

async function runCount(userId: string): Promise<number> {
  const db = await sql();
  try {
    return (await db.query("select count(*)::int as n from engram_private.import_runs where user_id = $1", [userId])).rows[0].n;
  } finally {
    await db.end();
  }
}

describe("retry-full-pass", () => {
  it("retry-full-pass resumes a failed full pass: finished tasks are not redone and the chunks equal a clean run's", async () => {
    const clean = await newUser("clean");
    await importExport(clean);
    expect((await waitForSettled(clean)).full_pass_status).toBe("complete");
    const expected = await chunkFingerprint(clean.id);

    const user = await newUser("fails");
    await importExport(user, [
      { task_kind: "shard", shard_index: 4, action: "fail", final: true, message: "The LLM provider rate-limited us (injected)" },
    ]);
    const failed = await waitForSettled(user);
    expect(failed.full_pass_status).toBe("failed");
    expect(failed.full_pass_error).toMatch(/rate-limited us/);
    expect(failed.can_retry).toBe(true);
    const before = await tasksOf(user.id);
    const doneBefore = before.filter((t) => t.state === "done");
    expect(doneBefore.filter((t) => t.kind === "shard")).toHaveLength(7);

    const r = await invoke(user.client, "retry-full-pass", {});
    expect(r.status).toBe(202);
    expect(r.body.attempt).toBe(2);
    expect(r.body.requeuedTasks).toBe(before.length - doneBefore.length);

    const done = await waitForSettled(user);
    expect(done.full_pass_status).toBe("complete");
    expect(done.failed_items).toBe(0);
    const after = await tasksOf(user.id);
    for (const t of doneBefore) {
      const now = after.find((a) => a.id === t.id)!;
      expect(now.attempts, `task ${t.idempotency_key} was redone`).toBe(t.attempts);
      expect(now.finished_at?.getTime()).toBe(t.finished_at?.getTime());
    }
    const fp = await chunkFingerprint(user.id);
    expect(fp.duplicates).toBe(0);
    expect(fp.rows).toEqual(expected.rows);
    expect(await runCount(user.id)).toBe(1);
  });

  it("retry-full-pass lets exactly one of 100 concurrent calls claim the retry; the rest get 409", async () => {
    const user = await newUser("concurrent");
    await importExport(user, [{ task_kind: "finalize", action: "fail", final: true, message: "injected finalize failure" }]);
    expect((await waitForSettled(user)).full_pass_status).toBe("failed");

    const results = await Promise.all(Array.from({ length: 100 }, () => invoke(user.client, "retry-full-pass", {})));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(99);
    const refused = results.find((r) => r.status === 409)!;
    expect(refused.body.error.details.reason).toMatch(/already_processing|already_complete/);
    expect(refused.body.error.details.status.full_pass_status).toEqual(expect.any(String));

    expect(await runCount(user.id)).toBe(1);
    const done = await waitForSettled(user);
    expect(done.full_pass_status).toBe("complete");
    expect(done.full_pass_attempts).toBe(2);
  });

  it("retry-full-pass answers 409 with the current status when the full pass is complete", async () => {
    const user = await newUser("complete");
    await importExport(user);
    expect((await waitForSettled(user)).full_pass_status).toBe("complete");
    const r = await invoke(user.client, "retry-full-pass");
    expect(r.status).toBe(409);
    expect(r.body.error.details.reason).toBe("already_complete");
    expect(r.body.error.details.status.full_pass_status).toBe("complete");
  });

  it("retry-full-pass answers 429 with Retry-After once the retry window is used up", async () => {
    const user = await newUser("limited");
    await importExport(user, [{ task_kind: "finalize", action: "fail", final: true }]);
    expect((await waitForSettled(user)).full_pass_status).toBe("failed");
    // The window allows 5 retries per 10 minutes; use them up, then ask once more.
    for (let i = 0; i < 5; i++) {
      const { data, error } = await user.client.rpc("check_rate_limit", { p_action: "retry" });
      expect(error).toBeNull();
      expect(data.allowed).toBe(true);
    }
    const r = await invoke(user.client, "retry-full-pass");
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe("rate_limited");
    expect(Number(r.headers!.get("retry-after"))).toBeGreaterThan(0);
    expect((await importStatus(user)).full_pass_status).toBe("failed");
  });

  it("import-trigger answers 429 with Retry-After for the 11th import within the hour", async () => {
    const user = await newUser("imports");
    const path = `${user.id}/raw/conversations.json`;
    expect((await user.client.storage.from("imports").upload(path, EXPORT, { contentType: "application/json" })).error).toBeNull();
    for (let i = 0; i < 10; i++) {
      const r = await invoke(user.client, "import-trigger", { storagePath: path, fileType: "json" });
      expect(r.status, `import ${i + 1}`).toBe(202);
      const { error } = await user.client.rpc("cancel_import");
      expect(error).toBeNull();
    }
    const r = await invoke(user.client, "import-trigger", { storagePath: path, fileType: "json" });
    expect(r.status).toBe(429);
    expect(Number(r.headers!.get("retry-after"))).toBeGreaterThan(0);
  });
});
