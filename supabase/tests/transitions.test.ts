/**
 * State machines: every status change that is not explicitly allowed is refused by the database
 * (PT409 invalid_transition), whoever writes; users cannot write status columns at all.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, failure, newLane, probe, q, service, testPool, user } from "./db.ts";
import { startShardImport, tasksOf, type StartedImport } from "./imports.ts";

const db = testPool(6);
afterAll(() => db.end());

/** The allowed moves, written independently of the migration's table. */
const MACHINES = {
  profile_import: {
    table: "public.user_profiles", column: "import_status", key: "user_id",
    states: ["none", "processing", "quick_ready", "complete", "failed"],
    allowed: ["none>processing", "processing>quick_ready", "processing>complete", "processing>failed",
      "quick_ready>complete", "quick_ready>processing", "complete>processing", "failed>processing"],
  },
  profile_full_pass: {
    table: "public.user_profiles", column: "full_pass_status", key: "user_id",
    states: ["pending", "processing", "complete", "failed"],
    allowed: ["pending>processing", "pending>complete", "processing>complete", "processing>failed",
      "failed>processing", "failed>pending", "complete>pending"],
  },
  run: {
    table: "engram_private.import_runs", column: "status", key: "id",
    states: ["queued", "running", "complete", "failed", "cancelled"],
    allowed: ["queued>running", "queued>complete", "queued>failed", "queued>cancelled", "running>complete",
      "running>failed", "running>cancelled", "running>queued", "failed>queued", "cancelled>queued"],
  },
  task: {
    table: "engram_private.import_tasks", column: "state", key: "id",
    states: ["queued", "running", "done", "failed"],
    allowed: ["queued>running", "running>done", "running>queued", "running>failed", "failed>queued"],
  },
} as const;

let imp: StartedImport;
let taskId = 0;

beforeAll(async () => {
  const uid = await createUser(db);
  imp = await startShardImport(db, uid, newLane());
  taskId = Number((await tasksOf(db, imp.runId)).get("quick_pass")!.id);
});

function keyOf(machine: keyof typeof MACHINES): string | number {
  return machine === "run" ? imp.runId : machine === "task" ? taskId : imp.uid;
}

/** Extra columns a task needs to satisfy its lease check in `state`. */
function leaseColumns(machine: string, state: string): string {
  if (machine !== "task") return "";
  return state === "running"
    ? ", lease_owner = 'w', lease_expires_at = now() + interval '1 minute'"
    : ", lease_owner = null, lease_expires_at = null";
}

async function tryMove(machine: keyof typeof MACHINES, from: string, to: string): Promise<string> {
  const m = MACHINES[machine];
  const client = await db.connect();
  try {
    await client.query("begin");
    // Put the row in `from` without the state machine, then ask for `to` with it.
    await client.query("set local session_replication_role = replica");
    await client.query(`update ${m.table} set ${m.column} = $1${leaseColumns(machine, from)} where ${m.key} = $2`, [from, keyOf(machine)]);
    await client.query("set local session_replication_role = origin");
    try {
      await client.query(`update ${m.table} set ${m.column} = $1${leaseColumns(machine, to)} where ${m.key} = $2`, [to, keyOf(machine)]);
      return "allowed";
    } catch (error) {
      const e = error as { code?: string; detail?: string };
      return `${e.code} ${e.detail}`;
    }
  } finally {
    await client.query("rollback");
    client.release();
  }
}

describe("status transitions", () => {
  for (const machine of Object.keys(MACHINES) as (keyof typeof MACHINES)[]) {
    it(`${machine}: every move outside the allowed list is refused with PT409 invalid_transition`, async () => {
      const m = MACHINES[machine];
      const results: string[] = [];
      for (const from of m.states) {
        for (const to of m.states) {
          if (from === to) continue;
          const want = (m.allowed as readonly string[]).includes(`${from}>${to}`) ? "allowed" : "PT409 invalid_transition";
          const got = await tryMove(machine, from, to);
          if (got !== want) results.push(`${from} -> ${to}: expected ${want}, got ${got}`);
        }
      }
      expect(results).toEqual([]);
    });
  }

  it("the allowed lists here and in engram_private.status_transitions are the same", async () => {
    const rows = await q<{ machine: string; move: string }>(
      db, `select machine, from_status || '>' || to_status as move from engram_private.status_transitions order by 1, 2`);
    const fromDb = Object.fromEntries(Object.keys(MACHINES).map((k) => [k, rows.filter((r) => r.machine === k).map((r) => r.move).sort()]));
    const here = Object.fromEntries(Object.entries(MACHINES).map(([k, m]) => [k, [...m.allowed].sort()]));
    expect(fromDb).toEqual(here);
  });

  it("a forbidden move is refused for the service role too", async () => {
    const f = await failure(
      probe(db, service, (c) => c.query(`update public.user_profiles set import_status = 'none' where user_id = $1`, [imp.uid])),
    );
    expect([f.code, f.detail]).toEqual(["PT409", "invalid_transition"]);
  });
});

describe("users and their own profile", () => {
  it("a user cannot change any column of their own profile, status or not", async () => {
    const columns = await q<{ name: string }>(
      db,
      `select column_name as name from information_schema.columns where table_schema = 'public' and table_name = 'user_profiles'`,
    );
    expect(columns.length).toBeGreaterThan(20);
    const outcomes = await Promise.all(
      columns.map(async ({ name }) => {
        const f = await failure(
          probe(db, user(imp.uid), (c) => c.query(`update public.user_profiles set ${name} = ${name} where user_id = $1`, [imp.uid])),
        );
        return `${name}: ${f.code}`;
      }),
    );
    expect(outcomes.filter((o) => !o.endsWith("42501"))).toEqual([]);
  });

  it("a user cannot reset a failed full pass by deleting and re-inserting the profile", async () => {
    const del = await failure(probe(db, user(imp.uid), (c) => c.query(`delete from public.user_profiles where user_id = $1`, [imp.uid])));
    const ins = await failure(
      probe(db, user(imp.uid), (c) =>
        c.query(`insert into public.user_profiles (user_id, full_pass_status) values ($1, 'complete') on conflict (user_id) do nothing`, [imp.uid])),
    );
    expect([del.code, ins.code]).toEqual(["42501", "42501"]);
  });
});
