import type http from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import {
  createClient,
  postgresChangesFilter,
  type RealtimeChannel,
  type RealtimePostgresChangesPayload,
  type SupabaseClient,
} from "@supabase/supabase-js";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { defaultConfig } from "../src/config.ts";
import { createPool } from "../src/db.ts";
import { createGateway } from "../src/gateway.ts";
import { signJwt } from "../src/jwt.ts";
import { createRealtimeSurface } from "../src/realtime/index.ts";
import type { Surface } from "../src/surface.ts";
import { client, newUser, sql, stackInfo } from "./clients.ts";

/**
 * Realtime postgres_changes through the official realtime-js (inside supabase-js 2.109.0):
 * Phoenix framing 2.0.0 and 1.0.0, RLS per subscriber, filters, token refresh and expiry,
 * leave, and rejoin after the server restarts.
 */

type Row = { id: number; user_id: string; body: string; n: number; tags: string[]; meta: unknown; ok: boolean };
type Change = RealtimePostgresChangesPayload<Row>;

const suffix = randomUUID().slice(0, 8);
const FULL = `rt_full_${suffix}`; // REPLICA IDENTITY FULL
const PLAIN = `rt_plain_${suffix}`; // default replica identity (the primary key)
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let db: pg.Client;
const clients: SupabaseClient[] = [];

interface TestUser {
  id: string;
  jwt: string;
}

async function mintJwt(sub: string, expiresInSeconds = 3600): Promise<string> {
  const exp = Math.floor(Date.now() / 1000) + expiresInSeconds;
  return await signJwt({ sub, role: "authenticated", aud: "authenticated", exp }, stackInfo().jwtSecret);
}

async function makeUser(): Promise<TestUser> {
  const id = randomUUID();
  await db.query("insert into auth.users (id, email, aud, role) values ($1, $2, 'authenticated', 'authenticated')", [
    id,
    `rt-${id}@example.test`,
  ]);
  return { id, jwt: await mintJwt(id) };
}

/** A supabase-js client whose realtime connection carries `jwt` (or the anon key). */
async function realtimeClient(jwt?: string, vsn?: "1.0.0" | "2.0.0", url = stackInfo().url): Promise<SupabaseClient> {
  const c =
    url === stackInfo().url && !vsn
      ? client()
      : createClient(url, stackInfo().anonKey, {
          auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
          realtime: { transport: WebSocket as never, ...(vsn ? { vsn } : {}) },
        });
  if (jwt) await c.realtime.setAuth(jwt);
  clients.push(c);
  return c;
}

/** Collects a channel's events; `next(pred)` resolves with the first (unconsumed) match. */
class Inbox<T> {
  readonly events: T[] = [];
  private waiters: { pred: (e: T) => boolean; resolve: (e: T) => void }[] = [];

  push = (event: T): void => {
    this.events.push(event);
    for (const w of [...this.waiters]) {
      if (w.pred(event)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  };

  next(pred: (e: T) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
    const found = this.events.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }
}

interface Binding {
  event: "*" | "INSERT" | "UPDATE" | "DELETE";
  table: string;
  filter?: string;
}

interface Subscription {
  channel: RealtimeChannel;
  changes: Inbox<Change>;
  statuses: Inbox<{ status: string; err?: Error }>;
  system: Inbox<Record<string, unknown>>;
}

/** Opens a channel with the bindings and waits for its first status. */
async function subscribe(c: SupabaseClient, bindings: Binding[], expect = "SUBSCRIBED"): Promise<Subscription> {
  const changes = new Inbox<Change>();
  const statuses = new Inbox<{ status: string; err?: Error }>();
  const system = new Inbox<Record<string, unknown>>();
  const channel = c.channel(`rt-${randomUUID()}`);
  for (const b of bindings) {
    channel.on("postgres_changes", { event: b.event as "*", schema: "public", table: b.table, filter: b.filter }, (p) =>
      changes.push(p as Change),
    );
  }
  channel.on("system", {}, (p) => system.push(p as Record<string, unknown>));
  channel.subscribe((status, err) => statuses.push({ status, err }));
  const first = await statuses.next();
  if (first.status !== expect) {
    throw new Error(`expected ${expect}, got ${first.status}: ${first.err?.message ?? ""}`);
  }
  return { channel, changes, statuses, system };
}

async function insert(table: string, row: Partial<Row>): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `insert into public.${table} (user_id, body, n) values ($1, $2, $3) returning id::int`,
    [row.user_id, row.body ?? "hello", row.n ?? 0],
  );
  return rows[0]!.id;
}

beforeAll(async () => {
  db = await sql();
  for (const table of [FULL, PLAIN]) {
    await db.query(`
      create table public.${table} (
        id bigint generated always as identity primary key,
        user_id uuid not null,
        body text not null,
        n int not null default 0,
        tags text[] not null default '{a,"b,c"}',
        meta jsonb not null default '{"k": [1, true]}',
        ok boolean not null default true
      );
      alter table public.${table} enable row level security;
      create policy "Users can read their own rows" on public.${table}
        for select to authenticated using (user_id = (select auth.uid()));
      alter publication supabase_realtime add table public.${table};`);
  }
  await db.query(`alter table public.${FULL} replica identity full`);
});

afterAll(async () => {
  for (const c of clients) await c.removeAllChannels().catch(() => {});
  for (const c of clients) c.realtime.disconnect();
  for (const table of [FULL, PLAIN]) {
    await db.query(`alter publication supabase_realtime drop table public.${table}`).catch(() => {});
    await db.query(`drop table if exists public.${table}`).catch(() => {});
  }
  await db.end();
});

describe("realtime postgres_changes", () => {
  it("subscribe() reports SUBSCRIBED and a system 'Subscribed to PostgreSQL' message", async () => {
    const alice = await makeUser();
    const sub = await subscribe(await realtimeClient(alice.jwt), [{ event: "*", table: FULL }]);
    const system = await sub.system.next();
    expect(system).toMatchObject({ extension: "postgres_changes", status: "ok", message: "Subscribed to PostgreSQL" });
  });

  it("a subscriber receives its own row's INSERT, UPDATE and DELETE with Supabase payload shapes", async () => {
    const alice = await makeUser();
    const sub = await subscribe(await realtimeClient(alice.jwt), [{ event: "*", table: FULL }]);
    const id = await insert(FULL, { user_id: alice.id, body: "first", n: 7 });

    const ins = await sub.changes.next((e) => e.eventType === "INSERT");
    expect(ins).toMatchObject({ schema: "public", table: FULL, eventType: "INSERT", errors: null, old: {} });
    expect(ins.commit_timestamp).toMatch(ISO_MS);
    expect(ins.new).toEqual({ id, user_id: alice.id, body: "first", n: 7, tags: ["a", "b,c"], meta: { k: [1, true] }, ok: true });

    await db.query(`update public.${FULL} set body = 'second', n = 8 where id = $1`, [id]);
    const upd = await sub.changes.next((e) => e.eventType === "UPDATE");
    expect(upd.new).toMatchObject({ id, body: "second", n: 8 });
    // REPLICA IDENTITY FULL: the whole old row.
    expect(upd.old).toMatchObject({ id, user_id: alice.id, body: "first", n: 7 });

    await db.query(`delete from public.${FULL} where id = $1`, [id]);
    const del = await sub.changes.next((e) => e.eventType === "DELETE");
    expect(del.new).toEqual({});
    // DELETE on an RLS table: the old record is cut to the primary key.
    expect(del.old).toEqual({ id });
  });

  it("a subscriber never receives another user's INSERT or UPDATE", async () => {
    const [alice, bob] = [await makeUser(), await makeUser()];
    const aliceSub = await subscribe(await realtimeClient(alice.jwt), [{ event: "*", table: FULL }]);
    const anonSub = await subscribe(await realtimeClient(), [{ event: "*", table: FULL }]);

    const bobId = await insert(FULL, { user_id: bob.id, body: "bob's secret" });
    await db.query(`update public.${FULL} set body = 'bob edited' where id = $1`, [bobId]);
    const aliceId = await insert(FULL, { user_id: alice.id, body: "alice's" });

    // Deliveries follow commit order on one socket: once Alice's later row arrived, Bob's
    // earlier changes would have arrived before it.
    const own = await aliceSub.changes.next((e) => e.eventType === "INSERT");
    expect(own.new).toMatchObject({ id: aliceId, user_id: alice.id });
    expect(aliceSub.changes.events.some((e) => (e.new as Row).user_id === bob.id)).toBe(false);

    // anon is not in the policy's `to authenticated`: it gets no INSERT/UPDATE of either user.
    // DELETE is not RLS-checked (as on Supabase), so a later DELETE serves as the marker.
    await db.query(`delete from public.${FULL} where id = $1`, [aliceId]);
    const del = await anonSub.changes.next((e) => e.eventType === "DELETE");
    expect(del.old).toEqual({ id: aliceId });
    expect(anonSub.changes.events.filter((e) => e.eventType !== "DELETE")).toEqual([]);
  });

  it("a signed-in supabase-js client subscribes with its session token, no setAuth needed", async () => {
    const [me, other] = [await newUser("rt"), await newUser("rt")];
    clients.push(me.client);
    const sub = await subscribe(me.client, [{ event: "INSERT", table: FULL }]);
    await insert(FULL, { user_id: other.id, body: "not mine" });
    const id = await insert(FULL, { user_id: me.id, body: "mine" });
    expect((await sub.changes.next()).new).toMatchObject({ id, user_id: me.id });
    expect(sub.changes.events).toHaveLength(1);
  });

  it("old holds only the primary key when the table keeps the default replica identity", async () => {
    const alice = await makeUser();
    const sub = await subscribe(await realtimeClient(alice.jwt), [{ event: "*", table: PLAIN }]);
    const id = await insert(PLAIN, { user_id: alice.id, body: "v1" });
    await db.query(`update public.${PLAIN} set body = 'v2' where id = $1`, [id]);
    const upd = await sub.changes.next((e) => e.eventType === "UPDATE");
    expect(upd.new).toMatchObject({ id, body: "v2" });
    expect(upd.old).toEqual({ id });
    await db.query(`delete from public.${PLAIN} where id = $1`, [id]);
    const del = await sub.changes.next((e) => e.eventType === "DELETE");
    expect(del.old).toEqual({ id });
  });

  it("a subscriber whose role lacks SELECT gets the event with Error 401 and no record", async () => {
    const table = `rt_noselect_${suffix}`;
    await db.query(`
      create table public.${table} (id bigint generated always as identity primary key, secret text);
      revoke select on public.${table} from authenticated;
      alter publication supabase_realtime add table public.${table};`);
    try {
      const alice = await makeUser();
      const sub = await subscribe(await realtimeClient(alice.jwt), [{ event: "INSERT", table }]);
      await db.query(`insert into public.${table} (secret) values ('hidden')`);
      const event = await sub.changes.next();
      expect(event.errors).toEqual(["Error 401: Unauthorized"]);
      expect(event.new).toEqual({});
    } finally {
      await db.query(`alter publication supabase_realtime drop table public.${table}; drop table public.${table}`);
    }
  });

  it("eq, in and gt filters deliver only matching rows", async () => {
    const alice = await makeUser();
    const c = await realtimeClient(alice.jwt);
    const eq = await subscribe(c, [{ event: "INSERT", table: FULL, filter: "n=eq.2" }]);
    const inList = await subscribe(c, [{ event: "INSERT", table: FULL, filter: 'body=in.(pear,"fig, ripe")' }]);
    const gt = await subscribe(c, [{ event: "INSERT", table: FULL, filter: "n=gt.10" }]);
    const uid = await subscribe(c, [{ event: "INSERT", table: FULL, filter: `user_id=eq.${alice.id}` }]);

    await insert(FULL, { user_id: alice.id, body: "apple", n: 1 });
    await insert(FULL, { user_id: alice.id, body: "fig, ripe", n: 10 });
    await insert(FULL, { user_id: alice.id, body: "pear", n: 2 });
    await insert(FULL, { user_id: alice.id, body: "plum", n: 11 });

    // The user_id filter matches all four; waiting for the last one means every earlier
    // delivery has happened.
    await uid.changes.next((e) => (e.new as Row).body === "plum");
    expect(uid.changes.events.map((e) => (e.new as Row).body)).toEqual(["apple", "fig, ripe", "pear", "plum"]);
    expect(eq.changes.events.map((e) => (e.new as Row).body)).toEqual(["pear"]);
    expect(inList.changes.events.map((e) => (e.new as Row).body)).toEqual(["fig, ripe", "pear"]);
    expect(gt.changes.events.map((e) => (e.new as Row).body)).toEqual(["plum"]);
  });

  it("postgresChangesFilter() conditions (not.in, comma-AND, ilike) are honoured", async () => {
    const alice = await makeUser();
    const c = await realtimeClient(alice.jwt);
    const notIn = await subscribe(c, [{ event: "INSERT", table: FULL, filter: postgresChangesFilter().not("n", "in", [1, 2]).build() }]);
    const both = await subscribe(c, [{ event: "INSERT", table: FULL, filter: postgresChangesFilter().gte("n", 2).lt("n", 4).build() }]);
    const like = await subscribe(c, [{ event: "INSERT", table: FULL, filter: postgresChangesFilter().ilike("body", "B%").build() }]);
    const all = await subscribe(c, [{ event: "INSERT", table: FULL, filter: `user_id=eq.${alice.id}` }]);
    for (const [n, body] of [[1, "bee"], [2, "cat"], [3, "Bat"], [4, "dog"]] as const) {
      await insert(FULL, { user_id: alice.id, body, n });
    }
    await all.changes.next((e) => (e.new as Row).n === 4);
    expect(notIn.changes.events.map((e) => (e.new as Row).n)).toEqual([3, 4]);
    expect(both.changes.events.map((e) => (e.new as Row).n)).toEqual([2, 3]);
    expect(like.changes.events.map((e) => (e.new as Row).n)).toEqual([1, 3]);
  });

  it("a filter that does not parse comes back as a system error, not a join error", async () => {
    const alice = await makeUser();
    const sub = await subscribe(await realtimeClient(alice.jwt), [{ event: "*", table: FULL, filter: "n=between.1" }]);
    const system = await sub.system.next();
    expect(system).toMatchObject({ extension: "postgres_changes", status: "error" });
    expect(String(system.message)).toContain("between");
  });

  it("subscribe() reports CHANNEL_ERROR with InvalidJWTToken when the token has expired", async () => {
    const alice = await makeUser();
    const c = await realtimeClient(await mintJwt(alice.id, -60));
    const sub = await subscribe(c, [{ event: "*", table: FULL }], "CHANNEL_ERROR");
    const error = sub.statuses.events[0]!.err!;
    expect(error.message).toMatch(/^InvalidJWTToken: Token has expired \d+ seconds ago$/);
    await c.removeChannel(sub.channel);
  });

  it("removeChannel() returns 'ok' and the channel stops receiving", async () => {
    const alice = await makeUser();
    const c = await realtimeClient(alice.jwt);
    const gone = await subscribe(c, [{ event: "*", table: FULL }]);
    const stays = await subscribe(c, [{ event: "*", table: FULL }]);
    expect(await c.removeChannel(gone.channel)).toBe("ok");
    await insert(FULL, { user_id: alice.id, body: "after leave" });
    await stays.changes.next((e) => (e.new as Row).body === "after leave");
    expect(gone.changes.events).toEqual([]);
  });

  it("a subscription survives setAuth() with a refreshed token, and the new claims decide", async () => {
    const [alice, bob] = [await makeUser(), await makeUser()];
    const c = await realtimeClient(alice.jwt);
    const sub = await subscribe(c, [{ event: "INSERT", table: FULL }]);

    await c.realtime.setAuth(await mintJwt(alice.id, 7200));
    // track() is answered after the server handled the access_token push (frames are in order).
    expect(await sub.channel.track({})).toBe("ok");
    const id = await insert(FULL, { user_id: alice.id, body: "after refresh" });
    expect((await sub.changes.next()).new).toMatchObject({ id });

    // The same channel re-derives RLS from a token of another user.
    await c.realtime.setAuth(bob.jwt);
    expect(await sub.channel.track({})).toBe("ok");
    await insert(FULL, { user_id: alice.id, body: "alice hidden now" });
    const bobId = await insert(FULL, { user_id: bob.id, body: "bob visible now" });
    await sub.changes.next((e) => (e.new as Row).id === bobId);
    expect(sub.changes.events.map((e) => (e.new as Row).body)).toEqual(["after refresh", "bob visible now"]);
  });

  it("setAuth() with an expired token gets a system error and closes the channel", async () => {
    const alice = await makeUser();
    const c = await realtimeClient(alice.jwt);
    const sub = await subscribe(c, [{ event: "*", table: FULL }]);
    await c.realtime.setAuth(await mintJwt(alice.id, -10));
    const system = await sub.system.next((p) => p.status === "error");
    expect(system).toMatchObject({ extension: "system", status: "error" });
    await sub.statuses.next((s) => s.status === "CLOSED");
  });

  it("the server closes the channel when the token's exp passes", async () => {
    const alice = await makeUser();
    const sub = await subscribe(await realtimeClient(await mintJwt(alice.id, 3)), [{ event: "*", table: FULL }]);
    await sub.statuses.next((s) => s.status === "CLOSED", 10_000);
    const system = await sub.system.next((p) => p.status === "error");
    expect(String(system.message)).toContain("expired");
  });

  it("vsn 1.0.0 (JSON object framing) subscribes and receives changes", async () => {
    const alice = await makeUser();
    const c = await realtimeClient(alice.jwt, "1.0.0");
    expect(c.realtime.vsn).toBe("1.0.0");
    const sub = await subscribe(c, [{ event: "INSERT", table: FULL }]);
    const id = await insert(FULL, { user_id: alice.id, body: "v1 framing" });
    expect((await sub.changes.next()).new).toMatchObject({ id, body: "v1 framing", tags: ["a", "b,c"] });
  });

  it("the websocket upgrade is refused with 401 when apikey is not a project JWT", async () => {
    const url = `${stackInfo().url.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=not-a-jwt&vsn=2.0.0`;
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => reject(new Error("upgrade was accepted")));
      ws.on("error", () => {});
    });
    expect(status).toBe(401);
  });

  it("heartbeats are answered and a join without access_token falls back to the connection token", async () => {
    const url = `${stackInfo().url.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${stackInfo().anonKey}&vsn=2.0.0`;
    const ws = new WebSocket(url);
    const frames = new Inbox<unknown[]>();
    ws.on("message", (data) => frames.push(JSON.parse(String(data)) as unknown[]));
    let consumed = 0;
    const nextFrame = async () => {
      const index = consumed++;
      return await frames.next(() => frames.events.length > index).then(() => frames.events[index]!);
    };
    await new Promise((resolve) => ws.once("open", resolve));
    ws.send(JSON.stringify([null, "1", "phoenix", "heartbeat", {}]));
    expect(await nextFrame()).toEqual([null, "1", "phoenix", "phx_reply", { status: "ok", response: {} }]);
    const bindings = [{ event: "INSERT", schema: "public", table: FULL }, { event: "*", schema: "public" }];
    ws.send(JSON.stringify(["2", "2", "realtime:raw", "phx_join", { config: { postgres_changes: bindings } }]));
    const reply = (await nextFrame()) as [string, string, string, string, { status: string; response: { postgres_changes: Record<string, unknown>[] } }];
    expect(reply.slice(0, 4)).toEqual(["2", "2", "realtime:raw", "phx_reply"]);
    expect(reply[4].status).toBe("ok");
    const echoed = reply[4].response.postgres_changes;
    expect(echoed.map(({ id: _id, ...rest }) => rest)).toEqual(bindings);
    expect(echoed.every((b) => Number.isInteger(b.id) && (b.id as number) > 0)).toBe(true);
    ws.send(JSON.stringify(["2", "3", "realtime:raw", "phx_leave", {}]));
    await nextFrame(); // system "Subscribed to PostgreSQL"
    expect(await nextFrame()).toEqual(["2", "3", "realtime:raw", "phx_reply", { status: "ok", response: {} }]);
    expect(await nextFrame()).toEqual(["2", "2", "realtime:raw", "phx_close", {}]);
    ws.close();
  });

  it("a client rejoins by itself after the realtime server restarts", async () => {
    const alice = await makeUser();
    const db0 = new URL(stackInfo().dbUrl);
    const cfg = defaultConfig({ dbPort: Number(db0.port), host: db0.hostname, jwtSecret: stackInfo().jwtSecret, logRequests: false });
    const start = async (port: number): Promise<{ surface: Surface; server: http.Server; port: number }> => {
      const pool = createPool(cfg, 2);
      const surface = createRealtimeSurface({ cfg, pool, log: () => {} });
      await surface.start!();
      const server = createGateway(cfg, [surface], () => {});
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
      const stop = surface.stop!.bind(surface);
      surface.stop = async () => {
        await stop();
        await pool.end();
      };
      return { surface, server, port: (server.address() as AddressInfo).port };
    };
    const stopServer = async (s: { surface: Surface; server: http.Server }) => {
      await s.surface.stop!();
      s.server.closeAllConnections();
      await new Promise((resolve) => s.server.close(resolve));
    };

    let running = await start(0);
    const c = await realtimeClient(alice.jwt, undefined, `http://127.0.0.1:${running.port}`);
    const sub = await subscribe(c, [{ event: "INSERT", table: FULL }]);
    try {
      await stopServer(running);
      await sub.statuses.next((s) => s.status === "CHANNEL_ERROR");
      running = await start(running.port);
      // The same subscribe() callback hears SUBSCRIBED again once realtime-js has rejoined.
      await sub.statuses.next((s) => s.status === "SUBSCRIBED" && sub.statuses.events.indexOf(s) > 0, 20_000);
      const id = await insert(FULL, { user_id: alice.id, body: "after restart" });
      expect((await sub.changes.next()).new).toMatchObject({ id, body: "after restart" });
    } finally {
      await c.removeAllChannels();
      c.realtime.disconnect();
      await stopServer(running);
    }
  }, 60_000);
});
