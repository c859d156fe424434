import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import pg from "pg";
import WebSocket from "ws";
import { defaultConfig } from "../supabase/local/src/config.ts";
import { signJwt } from "../supabase/local/src/jwt.ts";
import { startStack } from "../supabase/local/src/stack.ts";

/**
 * Realtime benchmark on a throw-away stack (ports 54481/54482):
 * 1. latency: one subscriber, ≥ 500 sequential UPDATEs, time from sending the autocommit UPDATE
 *    to the realtime-js callback (so it includes the commit), p50/p95/max;
 * 2. 500 UPDATEs of 50 rows sent as a burst from 8 connections (throughput, queueing latency);
 * 3. fan-out: 100 subscribers (distinct users, one websocket each) on one table, no filter, so
 *    every change is RLS-checked for all 100; rows inserted round-robin; each subscriber must
 *    receive exactly its own rows;
 * 4. the same fan-out with the `user_id=eq.<id>` filter the web app uses.
 * Target: p95 ≤ 100 ms.
 */

const UPDATES = Number(process.env.UPDATES ?? 500);
const SUBSCRIBERS = Number(process.env.SUBS ?? 100);
const ROUNDS = 5;

type Payload = { new: Record<string, unknown> };

function stats(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `n=${s.length} p50=${q(0.5).toFixed(1)}ms p95=${q(0.95).toFixed(1)}ms max=${s[s.length - 1]!.toFixed(1)}ms`;
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms).unref()),
  ]);
}

const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), "engram-bench-realtime-"));
const cfg = defaultConfig({ apiPort: 54481, dbPort: 54482, stateDir, logRequests: false });
const stack = await startStack(cfg, (line) => {
  if (line.startsWith("realtime:")) console.error(line);
});
const db = new pg.Client({ connectionString: stack.dbUrl });
await db.connect();
const clients: SupabaseClient[] = [];

async function userClient(userId: string): Promise<SupabaseClient> {
  const jwt = await signJwt(
    { sub: userId, role: "authenticated", aud: "authenticated", exp: Math.floor(Date.now() / 1000) + 3600 },
    cfg.jwtSecret,
  );
  const c = createClient(stack.url, cfg.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  });
  await c.realtime.setAuth(jwt);
  clients.push(c);
  return c;
}

async function subscribed(c: SupabaseClient, filter: string | undefined, onRow: (row: Record<string, unknown>) => void): Promise<void> {
  const ready = deferred<void>();
  c.channel(`bench-${randomUUID()}`)
    .on("postgres_changes", { event: "*", schema: "public", table: "bench_rows", filter }, (p) => onRow((p as Payload).new))
    .subscribe((status, err) => {
      if (status === "SUBSCRIBED") ready.resolve();
      else console.error(`subscribe: ${status} ${err?.message ?? ""}`);
    });
  await withTimeout(ready.promise, 15_000, "SUBSCRIBED");
}

try {
  await db.query(`
    create table public.bench_rows (
      id bigint generated always as identity primary key,
      user_id uuid not null,
      n int not null default 0,
      body text not null default 'x'
    );
    create index on public.bench_rows (user_id);
    alter table public.bench_rows enable row level security;
    create policy "Users can read their own rows" on public.bench_rows
      for select to authenticated using (user_id = (select auth.uid()));
    alter table public.bench_rows replica identity full;
    alter publication supabase_realtime add table public.bench_rows;`);

  const users = Array.from({ length: SUBSCRIBERS }, () => randomUUID());
  await db.query("insert into auth.users (id, email, aud, role) select u, u || '@bench.test', 'authenticated', 'authenticated' from unnest($1::uuid[]) u", [users]);

  // 1 + 2. Latency with one subscriber.
  const owner = users[0]!;
  const { rows } = await db.query<{ id: string }>("insert into public.bench_rows (user_id) values ($1) returning id", [owner]);
  const rowId = rows[0]!.id;
  const waiting = new Map<number, { sent: number; done: (ms: number) => void }>();
  await subscribed(await userClient(owner), undefined, (row) => {
    const w = waiting.get(row.n as number);
    if (w) {
      waiting.delete(row.n as number);
      w.done(performance.now() - w.sent);
    }
  });
  const expect = (n: number) => {
    const d = deferred<number>();
    waiting.set(n, { sent: performance.now(), done: d.resolve });
    return d.promise;
  };

  for (let n = 1; n <= 20; n++) {
    const got = expect(n);
    await db.query("update public.bench_rows set n = $1 where id = $2", [n, rowId]);
    await withTimeout(got, 5000, `warm-up update ${n}`);
  }
  const sequential: number[] = [];
  for (let n = 1000; n < 1000 + UPDATES; n++) {
    const got = expect(n);
    await db.query("update public.bench_rows set n = $1 where id = $2", [n, rowId]);
    sequential.push(await withTimeout(got, 5000, `update ${n}`));
  }
  console.log(`latency, 1 subscriber, ${UPDATES} sequential UPDATEs (send → callback): ${stats(sequential)}`);

  // Burst: UPDATEs of 50 distinct rows (no row-lock queue) from 8 connections at once, without
  // waiting for events.
  const { rows: burstRows } = await db.query<{ id: string }>(
    "insert into public.bench_rows (user_id) select $1 from generate_series(1, 50) returning id",
    [owner],
  );
  const writers = new pg.Pool({ connectionString: stack.dbUrl, max: 8 });
  await Promise.all(Array.from({ length: 8 }, () => writers.query("select 1")));
  const burst: Promise<number>[] = [];
  const burstSent = performance.now();
  const queries: Promise<unknown>[] = [];
  for (let n = 5000; n < 5000 + UPDATES; n++) {
    burst.push(expect(n));
    queries.push(writers.query("update public.bench_rows set n = $1 where id = $2", [n, burstRows[n % 50]!.id]));
  }
  await Promise.all(queries);
  const writeSeconds = (performance.now() - burstSent) / 1000;
  await writers.end();
  const burstLatencies = await withTimeout(Promise.all(burst), 30_000, "burst");
  const burstSeconds = (performance.now() - burstSent) / 1000;
  console.log(
    `latency, 1 subscriber, ${UPDATES} UPDATEs in one burst: ${stats(burstLatencies)}; ` +
      `${(UPDATES / burstSeconds).toFixed(0)} events/s delivered (the writes alone: ${(UPDATES / writeSeconds).toFixed(0)}/s)`,
  );

  // 3 + 4. Fan-out.
  // BENCH_MODE=rls or =filter runs one of the two.
  const modes = ["RLS only (no filter)", "user_id=eq filter + RLS"].filter(
    (m) => !process.env.BENCH_MODE || m.startsWith(process.env.BENCH_MODE === "rls" ? "RLS" : "user_id"),
  );
  for (const mode of modes) {
    const received = new Map<string, Record<string, unknown>[]>();
    const pending = new Map<string, { sent: number; done: (ms: number) => void }>();
    await Promise.all(
      users.map(async (user) => {
        received.set(user, []);
        const c = await userClient(user);
        await subscribed(c, mode.startsWith("RLS") ? undefined : `user_id=eq.${user}`, (row) => {
          if (row.n !== -1) return; // rows of the latency phase
          received.get(user)!.push(row);
          const w = pending.get(String(row.id));
          if (w && row.user_id === user) {
            pending.delete(String(row.id));
            w.done(performance.now() - w.sent);
          }
        });
      }),
    );
    const latencies: number[] = [];
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      for (const user of users) {
        const sent = performance.now();
        const { rows: inserted } = await db.query<{ id: string }>(
          "insert into public.bench_rows (user_id, n) values ($1, -1) returning id",
          [user],
        );
        const d = deferred<number>();
        // The callback can beat the INSERT's reply: account for that.
        const early = received.get(user)!.find((r) => String(r.id) === inserted[0]!.id);
        if (early) d.resolve(performance.now() - sent);
        else pending.set(inserted[0]!.id, { sent, done: d.resolve });
        latencies.push(await withTimeout(d.promise, 10_000, `fan-out row of ${user}`));
      }
    }
    const seconds = (performance.now() - started) / 1000;
    let foreign = 0;
    let missing = 0;
    for (const user of users) {
      const rowsOfUser = received.get(user)!;
      foreign += rowsOfUser.filter((r) => r.user_id !== user).length;
      missing += ROUNDS - rowsOfUser.filter((r) => r.user_id === user).length;
    }
    console.log(
      `fan-out, ${SUBSCRIBERS} subscribers, ${mode}, ${ROUNDS * SUBSCRIBERS} INSERTs (send → owner's callback): ` +
        `${stats(latencies)}; ${(latencies.length / seconds).toFixed(0)} events/s; ` +
        `correctness: ${foreign} foreign rows delivered, ${missing} own rows missing`,
    );
    if (foreign > 0 || missing > 0) process.exitCode = 1;
    for (const c of clients.splice(1)) {
      await c.removeAllChannels();
      c.realtime.disconnect();
    }
    await db.query("delete from public.bench_rows where n = -1");
  }
} finally {
  for (const c of clients) {
    await c.removeAllChannels().catch(() => {});
    c.realtime.disconnect();
  }
  await db.end();
  await stack.stop();
  await fs.rm(stateDir, { recursive: true, force: true });
}
