import { describe, expect, it } from "vitest";
import { newUser, sql, type TestUser } from "../../local/test/clients.ts";
import { addFaults, chunkFingerprint, type Fault, invoke, syntheticExport, tasksOf, toShards, uploadShards, waitForSettled } from "./helpers.ts";

const EXPORT = syntheticExport(144, 47);
const SHARDS = 24;

async function importExport(user: TestUser): Promise<void> {
  const shards = await toShards(EXPORT, 6);
  expect(shards.manifest.counts.shards).toBe(SHARDS);
  const { importId, folder } = await uploadShards(user, shards);
  expect((await invoke(user.client, "import-trigger", { storagePath: folder, fileType: "shards", importId })).status).toBe(202);
}

/** A seeded PRNG so a failing run can be replayed (the seed is in the test name's output). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("a worker that dies", () => {
  it("the full pass survives 20 worker kills at random points with the clean result and no duplicates", { timeout: 420_000 }, async () => {
    const clean = await newUser("kill-clean");
    await importExport(clean);
    expect((await waitForSettled(clean)).full_pass_status).toBe("complete");
    const expected = await chunkFingerprint(clean.id);

    const seed = Number(process.env.KILL_SEED ?? Date.now() % 100_000);
    const random = rng(seed);
    const shards = [...Array(SHARDS).keys()].sort(() => random() - 0.5).slice(0, 20);
    const faults: Fault[] = [
      // Short leases, so the sweep requeues a killed worker's task within seconds.
      ...(["quick_pass", "shard", "finalize"] as const).map((k): Fault => ({ task_kind: k, action: "lease", lease_seconds: 5, times: null })),
      ...shards.map((shard): Fault => ({ task_kind: "shard", shard_index: shard, action: "kill", after_items: Math.floor(random() * 7) })),
    ];
    const user = await newUser("kill");
    await addFaults(user.id, faults);
    await importExport(user);

    const done = await waitForSettled(user, 400_000);
    expect(done.full_pass_status, `seed ${seed}`).toBe("complete");
    expect(done.failed_items).toBe(0);

    const db = await sql();
    try {
      const fired = await db.query(
        "select count(*)::int as n from engram_private.fault_injections where user_id = $1 and action = 'kill' and fired > 0",
        [user.id],
      );
      expect(fired.rows[0].n, `seed ${seed}`).toBe(20);
    } finally {
      await db.end();
    }
    const tasks = await tasksOf(user.id);
    expect(tasks.filter((t) => t.kind === "shard" && t.attempts >= 2).length, "killed shards were re-leased").toBeGreaterThanOrEqual(20);
    const fp = await chunkFingerprint(user.id);
    expect(fp.duplicates).toBe(0);
    expect(fp.rows).toEqual(expected.rows);
    const facts = async (id: string) => {
      const c = await sql();
      try {
        return (await c.query("select fact_key from public.memory_facts where user_id = $1 order by fact_key", [id])).rows.map((r) => r.fact_key);
      } finally {
        await c.end();
      }
    };
    expect(await facts(user.id)).toEqual(await facts(clean.id));
  });
});
