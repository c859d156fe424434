/**
 * The isolation matrix: anon, user A, user B and the service role against every table (select,
 * insert, update, delete of A's data), every RPC, and the private helpers. Each cell runs in its
 * own transaction that is rolled back, and states the expected outcome:
 * - `rows`: allowed and it touched/saw A's data;
 * - `none`: allowed by privilege but RLS filtered A's data away (0 rows);
 * - `denied`: refused with 42501 (missing privilege or an RLS WITH CHECK violation).
 */
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anon, createUser, newLane, probe, q, rpc, service, testPool, user, type Actor } from "./db.ts";
import { startShardImport, type StartedImport } from "./imports.ts";

const db = testPool(8);
afterAll(() => db.end());

type Outcome = "rows" | "none" | "denied";
type Op = "select" | "insert" | "update" | "delete";
type Who = "anon" | "A" | "B" | "service";
const WHO: Who[] = ["anon", "A", "B", "service"];

let A = "";
let B = "";
let imp: StartedImport;
let objectName = "";

function actor(who: Who): Actor {
  return who === "anon" ? anon : who === "service" ? service : user(who === "A" ? A : B);
}

/** How to do one operation on one table, aimed at user A's data. */
interface TableSpec {
  table: string;
  ops: Record<Op, { sql: () => [string, unknown[]]; prepare?: (c: pg.PoolClient) => Promise<void> }>;
  expect: Record<Op, [Outcome, Outcome, Outcome, Outcome]>;
}

const PRIVATE_DENIED: Record<Op, [Outcome, Outcome, Outcome, Outcome]> = {
  select: ["denied", "denied", "denied", "denied"],
  insert: ["denied", "denied", "denied", "denied"],
  update: ["denied", "denied", "denied", "denied"],
  delete: ["denied", "denied", "denied", "denied"],
};
const DERIVED: Record<Op, [Outcome, Outcome, Outcome, Outcome]> = {
  select: ["denied", "rows", "none", "rows"],
  insert: ["denied", "denied", "denied", "rows"],
  update: ["denied", "denied", "denied", "rows"],
  delete: ["denied", "denied", "denied", "rows"],
};

const specs: TableSpec[] = [
  {
    table: "public.user_profiles",
    ops: {
      select: { sql: () => [`select 1 from public.user_profiles where user_id = $1`, [A]] },
      insert: {
        prepare: async (c) => void (await c.query(`delete from public.user_profiles where user_id = $1`, [A])),
        sql: () => [`insert into public.user_profiles (user_id) values ($1)`, [A]],
      },
      update: { sql: () => [`update public.user_profiles set import_stage = 'x' where user_id = $1`, [A]] },
      delete: { sql: () => [`delete from public.user_profiles where user_id = $1`, [A]] },
    },
    expect: DERIVED,
  },
  {
    table: "public.conversation_chunks",
    ops: {
      select: { sql: () => [`select 1 from public.conversation_chunks where user_id = $1`, [A]] },
      insert: {
        sql: () => [
          `insert into public.conversation_chunks (user_id, conversation_id, chunk_index, content, content_hash)
           values ($1, 'c-new', 0, 'x', 'h')`,
          [A],
        ],
      },
      update: { sql: () => [`update public.conversation_chunks set conversation_title = 'x' where user_id = $1`, [A]] },
      delete: { sql: () => [`delete from public.conversation_chunks where user_id = $1`, [A]] },
    },
    expect: DERIVED,
  },
  {
    table: "public.memory_facts",
    ops: {
      select: { sql: () => [`select 1 from public.memory_facts where user_id = $1`, [A]] },
      insert: {
        sql: () => [`insert into public.memory_facts (user_id, fact_key, statement) values ($1, 'new key', 'x')`, [A]],
      },
      update: { sql: () => [`update public.memory_facts set category = 'x' where user_id = $1`, [A]] },
      delete: { sql: () => [`delete from public.memory_facts where user_id = $1`, [A]] },
    },
    expect: DERIVED,
  },
  {
    table: "public.memory_profiles",
    ops: {
      select: { sql: () => [`select 1 from public.memory_profiles where user_id = $1`, [A]] },
      insert: {
        prepare: async (c) => void (await c.query(`delete from public.memory_profiles where user_id = $1`, [A])),
        sql: () => [`insert into public.memory_profiles (user_id, markdown) values ($1, 'x')`, [A]],
      },
      update: { sql: () => [`update public.memory_profiles set markdown = 'x' where user_id = $1`, [A]] },
      delete: { sql: () => [`delete from public.memory_profiles where user_id = $1`, [A]] },
    },
    expect: DERIVED,
  },
  {
    table: "public.chat_messages",
    ops: {
      select: { sql: () => [`select 1 from public.chat_messages where user_id = $1`, [A]] },
      insert: { sql: () => [`insert into public.chat_messages (user_id, role, content) values ($1, 'user', 'hi')`, [A]] },
      update: { sql: () => [`update public.chat_messages set content = 'x' where user_id = $1`, [A]] },
      delete: { sql: () => [`delete from public.chat_messages where user_id = $1`, [A]] },
    },
    expect: {
      select: ["denied", "rows", "none", "rows"],
      insert: ["denied", "rows", "denied", "rows"],
      update: ["denied", "denied", "denied", "rows"],
      delete: ["denied", "denied", "denied", "rows"],
    },
  },
  {
    table: "storage.objects (bucket imports)",
    ops: {
      select: { sql: () => [`select 1 from storage.objects where bucket_id = 'imports' and name = $1`, [objectName]] },
      insert: {
        sql: () => [`insert into storage.objects (bucket_id, name) values ('imports', $1)`, [`${A}/${randomUUID()}/new.json`]],
      },
      update: {
        sql: () => [`update storage.objects set metadata = '{"x":1}' where bucket_id = 'imports' and name = $1`, [objectName]],
      },
      delete: { sql: () => [`delete from storage.objects where bucket_id = 'imports' and name = $1`, [objectName]] },
    },
    expect: {
      select: ["none", "rows", "none", "rows"],
      insert: ["denied", "rows", "denied", "rows"],
      update: ["none", "rows", "none", "rows"],
      delete: ["none", "rows", "none", "rows"],
    },
  },
  ...(["import_runs", "import_tasks", "rate_limits"] as const).map(
    (t): TableSpec => ({
      table: `engram_private.${t}`,
      ops: {
        select: { sql: () => [`select 1 from engram_private.${t} where user_id = $1`, [A]] },
        insert: {
          sql: () =>
            t === "rate_limits"
              ? [`insert into engram_private.rate_limits (user_id, action, tat) values ($1, 'import', now())`, [A]]
              : t === "import_runs"
                ? [`insert into engram_private.import_runs (user_id, import_id, kind, storage_path, file_type)
                    values ($1, gen_random_uuid(), 'import', 'p', 'json')`, [A]]
                : [`insert into engram_private.import_tasks (run_id, user_id, kind, idempotency_key)
                    values ($2, $1, 'shard', 'k-new')`, [A, imp.runId]],
        },
        update: { sql: () => [`update engram_private.${t} set user_id = user_id where user_id = $1`, [A]] },
        delete: { sql: () => [`delete from engram_private.${t} where user_id = $1`, [A]] },
      },
      expect: PRIVATE_DENIED,
    }),
  ),
  {
    table: "engram_private.rate_limit_rules",
    ops: {
      select: { sql: () => [`select 1 from engram_private.rate_limit_rules`, []] },
      insert: { sql: () => [`insert into engram_private.rate_limit_rules values ('x', 1, '1 s', 'x')`, []] },
      update: { sql: () => [`update engram_private.rate_limit_rules set max_calls = 1000`, []] },
      delete: { sql: () => [`delete from engram_private.rate_limit_rules`, []] },
    },
    expect: PRIVATE_DENIED,
  },
  {
    table: "engram_private.status_transitions",
    ops: {
      select: { sql: () => [`select 1 from engram_private.status_transitions`, []] },
      insert: { sql: () => [`insert into engram_private.status_transitions values ('task', 'done', 'queued', 'x')`, []] },
      update: { sql: () => [`update engram_private.status_transitions set why = 'x'`, []] },
      delete: { sql: () => [`delete from engram_private.status_transitions`, []] },
    },
    expect: PRIVATE_DENIED,
  },
];

async function outcome(p: Promise<pg.QueryResult>): Promise<Outcome> {
  try {
    const r = await p;
    return (r.rowCount ?? 0) > 0 ? "rows" : "none";
  } catch (error) {
    if ((error as { code?: string }).code === "42501") return "denied";
    throw error;
  }
}

beforeAll(async () => {
  A = await createUser(db);
  B = await createUser(db);
  imp = await startShardImport(db, A, newLane());
  objectName = `${A}/${imp.importId}/manifest.json`;
  await q(db, `insert into storage.objects (bucket_id, name, owner_id) values ('imports', $1, $2)`, [objectName, A]);
  await rpc(db, service, "worker_upsert_chunks", {
    p_user_id: A,
    p_import_id: imp.importId,
    p_chunks: JSON.stringify([{ conversation_id: "c1", chunk_index: 0, content: "A's secret garden notes" }]),
  });
  await rpc(db, service, "worker_upsert_facts", {
    p_user_id: A,
    p_facts: JSON.stringify([{ statement: "A grows tomatoes", category: "hobby", sources: [] }]),
  });
  await q(db, `insert into public.memory_profiles (user_id, markdown) values ($1, '# A')`, [A]);
  await q(db, `insert into public.chat_messages (user_id, role, content) values ($1, 'user', 'hello')`, [A]);
  await rpc(db, user(A), "check_rate_limit", { p_action: "chat" });
});

describe("isolation matrix: tables", () => {
  it("covers every table in public and every Engram table in engram_private", async () => {
    const tables = await q<{ name: string }>(
      db,
      `select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'p') and (n.nspname = 'public' or (n.nspname = 'engram_private'
         and c.relname in ('import_runs', 'import_tasks', 'rate_limits', 'rate_limit_rules', 'status_transitions')))`,
    );
    const covered = new Set(specs.map((s) => s.table));
    expect(tables.map((t) => t.name).filter((t) => !covered.has(t))).toEqual([]);
  });

  it("each (actor, table, command) cell has the expected outcome", async () => {
    const cells: { cell: string; want: Outcome; got: Outcome }[] = [];
    await Promise.all(
      specs.flatMap((spec) =>
        (Object.keys(spec.ops) as Op[]).flatMap((op) =>
          WHO.map(async (who, i) => {
            const { sql, prepare } = spec.ops[op];
            const [text, values] = sql();
            const got = await probe(db, actor(who), (c) => outcome(c.query(text, values)), prepare);
            cells.push({ cell: `${who} ${op} ${spec.table}`, want: spec.expect[op][i]!, got });
          }),
        ),
      ),
    );
    expect(cells.length).toBe(specs.length * 4 * 4);
    const wrong = cells.filter((c) => c.want !== c.got).map((c) => `${c.cell}: expected ${c.want}, got ${c.got}`);
    expect(wrong).toEqual([]);
  });

  it("user A cannot send a chat message as the assistant or in B's name", async () => {
    const asAssistant = await probe(db, user(A), (c) =>
      outcome(c.query(`insert into public.chat_messages (user_id, role, content) values ($1, 'assistant', 'x')`, [A])),
    );
    const inBsName = await probe(db, user(A), (c) =>
      outcome(c.query(`insert into public.chat_messages (user_id, role, content) values ($1, 'user', 'x')`, [B])),
    );
    const defaulted = await probe(db, user(A), async (c) => {
      const r = await c.query(`insert into public.chat_messages (role, content) values ('user', 'x') returning user_id`);
      return r.rows[0]?.user_id;
    });
    expect([asAssistant, inBsName, defaulted]).toEqual(["denied", "denied", A]);
  });
});

describe("isolation matrix: RPCs", () => {
  const userRpcs: [string, () => [string, unknown[]]][] = [
    ["get_import_status", () => [`select public.get_import_status()`, []]],
    ["begin_import", () => [`select public.begin_import($1, 'json')`, [`${A}/again.json`]]],
    ["claim_full_pass_retry", () => [`select public.claim_full_pass_retry()`, []]],
    ["rebuild_memory", () => [`select public.rebuild_memory()`, []]],
    ["cancel_import", () => [`select public.cancel_import()`, []]],
    ["search_memory", () => [`select * from public.search_memory('garden', 5)`, []]],
    ["check_rate_limit", () => [`select public.check_rate_limit('chat')`, []]],
  ];
  const workerRpcs: [string, () => [string, unknown[]]][] = [
    ["worker_lease_tasks", () => [`select public.worker_lease_tasks('w', 1, 60, $1)`, [newLane()]]],
    ["worker_heartbeat", () => [`select public.worker_heartbeat(-1, 'w')`, []]],
    ["worker_complete_task", () => [`select public.worker_complete_task(-1, 'w')`, []]],
    ["worker_fail_task", () => [`select public.worker_fail_task(-1, 'w', 'x', 'retryable')`, []]],
    ["worker_add_tasks", () => [`select public.worker_add_tasks($1, '[]')`, [imp.runId]]],
    ["worker_report_progress", () => [`select public.worker_report_progress($1, 's', 1)`, [imp.runId]]],
    ["worker_mark_quick_ready", () => [`select public.worker_mark_quick_ready($1, '{}')`, [imp.runId]]],
    ["worker_finish_run", () => [`select public.worker_finish_run($1)`, [imp.runId]]],
    ["worker_sweep", () => [`select public.worker_sweep(120, $1)`, [newLane()]]],
    ["worker_upsert_chunks", () => [`select public.worker_upsert_chunks($1, null, '[]')`, [A]]],
    ["worker_upsert_facts", () => [`select public.worker_upsert_facts($1, '[]')`, [A]]],
  ];
  const privateFns: [string, () => [string, unknown[]]][] = [
    ["engram_private.finish_run", () => [`select engram_private.finish_run($1)`, [imp.runId]]],
    ["engram_private.start_run", () => [`select engram_private.start_run($1, 'import', gen_random_uuid(), 'p', 'json')`, [A]]],
    ["engram_private.consume_rate_limit", () => [`select engram_private.consume_rate_limit($1, 'retry')`, [A]]],
    ["engram_private.fail_run", () => [`select engram_private.fail_run($1, 'x', 'permanent')`, [imp.runId]]],
    ["engram_private.cancel_run", () => [`select engram_private.cancel_run($1, 'x')`, [imp.runId]]],
    ["engram_private.write_progress", () => [`select engram_private.write_progress($1, 's', 1, '{}', true)`, [imp.runId]]],
  ];

  /** allowed = the call got past the privilege check (it may still refuse with a PT error). */
  async function callOutcome(who: Who, text: string, values: unknown[]): Promise<"allowed" | "denied"> {
    return await probe(db, actor(who), async (c) => {
      try {
        await c.query(text, values);
        return "allowed" as const;
      } catch (error) {
        const code = (error as { code?: string }).code ?? "";
        if (code === "42501") return "denied" as const;
        if (code.startsWith("PT")) return "allowed" as const;
        throw error;
      }
    });
  }

  async function matrix(fns: [string, () => [string, unknown[]]][]): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const [name, sql] of fns) {
      const [text, values] = sql();
      out[name] = await Promise.all(WHO.map((w) => callOutcome(w, text, values)));
    }
    return out;
  }

  it("user RPCs are callable by signed-in users only", async () => {
    const got = await matrix(userRpcs);
    const want = Object.fromEntries(userRpcs.map(([n]) => [n, ["denied", "allowed", "allowed", "denied"]]));
    expect(got).toEqual(want);
  });

  it("worker RPCs are callable by the service role only", async () => {
    const got = await matrix(workerRpcs);
    const want = Object.fromEntries(workerRpcs.map(([n]) => [n, ["denied", "denied", "denied", "allowed"]]));
    expect(got).toEqual(want);
  });

  it("private helpers are callable by nobody through the API roles", async () => {
    const got = await matrix(privateFns);
    const want = Object.fromEntries(privateFns.map(([n]) => [n, ["denied", "denied", "denied", "denied"]]));
    expect(got).toEqual(want);
  });

  it("user RPCs answer about the caller only: B sees B's picture, not A's", async () => {
    const a = await rpc<{ run_id: string | null }>(db, user(A), "get_import_status");
    const b = await rpc<{ run_id: string | null; import_status: string }>(db, user(B), "get_import_status");
    expect(a.run_id).toBe(imp.runId);
    expect(b).toMatchObject({ run_id: null, import_status: "none" });
    const bCancel = await rpc<{ cancelled: boolean }>(db, user(B), "cancel_import");
    expect(bCancel.cancelled).toBe(false);
    const bSearch = await probe(db, user(B), (c) => c.query(`select * from public.search_memory('garden')`));
    expect(bSearch.rowCount).toBe(0);
  });
});
