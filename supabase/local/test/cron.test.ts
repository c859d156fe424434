import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql, stackInfo } from "./clients.ts";

/** Polls `probe` until it returns a value other than undefined; only for facts with no event. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A LISTEN connection whose notifications on one channel are awaited in order. */
async function listener(channel: string): Promise<{ next: () => Promise<string>; close: () => Promise<void> }> {
  const client = await sql();
  const queued: string[] = [];
  const waiting: ((payload: string) => void)[] = [];
  client.on("notification", (message) => {
    if (message.channel !== channel) return;
    const payload = message.payload ?? "";
    const waiter = waiting.shift();
    if (waiter) waiter(payload);
    else queued.push(payload);
  });
  await client.query(`listen ${pg.escapeIdentifier(channel)}`);
  return {
    next: () =>
      queued.length > 0 ? Promise.resolve(queued.shift()!) : new Promise((resolve) => waiting.push(resolve)),
    close: () => client.end(),
  };
}

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local HTTP server that records requests; `/slow` never answers. */
async function recorder(): Promise<{ url: string; next: () => Promise<Received>; all: Received[]; close: () => Promise<void> }> {
  const all: Received[] = [];
  const waiting: ((r: Received) => void)[] = [];
  const queued: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const received = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      all.push(received);
      const waiter = waiting.shift();
      if (waiter) waiter(received);
      else queued.push(received);
      if (req.url?.startsWith("/slow")) return;
      res.writeHead(201, { "Content-Type": "application/json", "X-Test": "yes" }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    all,
    next: () => (queued.length > 0 ? Promise.resolve(queued.shift()!) : new Promise((resolve) => waiting.push(resolve))),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let db: pg.Client;
const jobs: string[] = [];

async function schedule(name: string, when: string, command: string): Promise<number> {
  jobs.push(name);
  const { rows } = await db.query<{ id: string }>("select cron.schedule($1, $2, $3)::text as id", [name, when, command]);
  return Number(rows[0]!.id);
}

beforeAll(async () => {
  db = await sql();
  await db.query(`
    create extension if not exists pg_cron with schema pg_catalog;
    create extension if not exists pg_net;
    create schema if not exists engram_cron_test;
    create table if not exists engram_cron_test.hits (id bigserial primary key, tag text not null);
  `);
});

afterAll(async () => {
  await db.query("delete from cron.job where jobname = any($1)", [jobs]);
  await db.end();
});

describe("pg_cron subset", () => {
  it("cron.schedule() runs a '1 seconds' job within 2 s, again a second later, and records succeeded runs", async () => {
    const tag = randomUUID();
    const channel = `cron_${tag.slice(0, 8)}`;
    const notes = await listener(channel);
    try {
      const started = Date.now();
      const id = await schedule(`every-second-${tag}`, "1 seconds", `
        select pg_notify('${channel}', '${tag}');
        insert into engram_cron_test.hits (tag) values ('${tag}')`);
      expect(await notes.next()).toBe(tag);
      const first = Date.now();
      expect(first - started).toBeLessThan(2500);
      await notes.next();
      expect(Date.now() - first).toBeGreaterThan(500);
      const run = await eventually(async () => {
        const { rows } = await db.query(
          "select * from cron.job_run_details where jobid = $1 and status = 'succeeded' order by runid limit 1",
          [id],
        );
        return rows[0];
      }, "a succeeded run");
      expect(run).toMatchObject({ status: "succeeded", return_message: "INSERT 0 1", username: "postgres", database: "postgres" });
      expect(run.job_pid).toBeGreaterThan(0);
      expect(run.end_time.getTime()).toBeGreaterThanOrEqual(run.start_time.getTime());
      const hits = await db.query("select count(*)::int as n from engram_cron_test.hits where tag = $1", [tag]);
      expect(hits.rows[0].n).toBeGreaterThanOrEqual(2);
    } finally {
      await notes.close();
    }
  });

  it("cron.unschedule() stops a job: no run once later ticks have passed", async () => {
    const tag = randomUUID();
    const name = `stopped-${tag}`;
    const markerChannel = `marker_${tag.slice(0, 8)}`;
    const channel = `stop_${tag.slice(0, 8)}`;
    const notes = await listener(channel);
    const marker = await listener(markerChannel);
    try {
      await schedule(name, "1 seconds", `insert into engram_cron_test.hits (tag) values ('${tag}'); notify ${channel}`);
      await notes.next();
      const { rows } = await db.query("select cron.unschedule($1) as ok", [name]);
      expect(rows[0].ok).toBe(true);
      // The scheduler ticks every second; a marker job proves that ticks keep happening.
      await schedule(`marker-${tag}`, "1 seconds", `notify ${markerChannel}`);
      await marker.next();
      const before = await db.query("select count(*)::int as n from engram_cron_test.hits where tag = $1", [tag]);
      await marker.next();
      await marker.next();
      const after = await db.query("select count(*)::int as n from engram_cron_test.hits where tag = $1", [tag]);
      expect(after.rows[0].n).toBe(before.rows[0].n);
      await db.query("select cron.unschedule($1)", [`marker-${tag}`]);
    } finally {
      await notes.close();
      await marker.close();
    }
  });

  it("a job whose command fails records a 'failed' run with the error message", async () => {
    const tag = randomUUID();
    const name = `failing-${tag}`;
    const id = await schedule(name, "1 seconds", "insert into engram_cron_test.no_such_table values (1)");
    const run = await eventually(async () => {
      const { rows } = await db.query("select * from cron.job_run_details where jobid = $1 and status = 'failed' limit 1", [id]);
      return rows[0];
    }, "a failed run");
    expect(run.return_message).toMatch(/relation "engram_cron_test.no_such_table" does not exist/);
    await db.query("select cron.unschedule($1)", [name]);
  });

  it("cron.schedule() upserts by name, validates schedules, and alter_job/unschedule manage jobs", async () => {
    const name = `nightly-${randomUUID()}`;
    const id = await schedule(name, "0 3 * * *", "select 1");
    expect(await schedule(name, "30 4 * * 1-5", "select 2")).toBe(id);
    const { rows } = await db.query("select schedule, command, active from cron.job where jobid = $1", [id]);
    expect(rows[0]).toEqual({ schedule: "30 4 * * 1-5", command: "select 2", active: true });
    await db.query("select cron.alter_job($1, active := false)", [id]);
    expect((await db.query("select active from cron.job where jobid = $1", [id])).rows[0].active).toBe(false);
    for (const bad of ["61 seconds", "* * * *", "0 * * * * *", "every day"]) {
      await expect(db.query("select cron.schedule('x-bad', $1, 'select 1')", [bad])).rejects.toThrow(/invalid schedule/);
    }
    await expect(db.query("select cron.unschedule('no-such-job-name')")).rejects.toThrow(/could not find valid entry for job/);
    expect((await db.query("select cron.unschedule($1::bigint) as ok", [id])).rows[0].ok).toBe(true);
    const unnamed = await db.query<{ id: string }>("select cron.schedule('@daily', 'select 1')::text as id");
    expect((await db.query("select cron.unschedule($1::bigint) as ok", [unnamed.rows[0]!.id])).rows[0].ok).toBe(true);
  });

  it("pg_cron and pg_net install with the statements Supabase documents", async () => {
    const database = `engram_ext_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    await db.query(`create database ${database}`);
    const url = new URL(stackInfo().dbUrl);
    url.pathname = `/${database}`;
    const other = new pg.Client({ connectionString: url.href });
    await other.connect();
    try {
      await other.query("create extension pg_cron with schema pg_catalog");
      await other.query("drop extension pg_cron");
      await other.query("create extension if not exists pg_cron");
      await other.query("create extension if not exists pg_cron");
      await other.query("create schema extensions; create extension pg_net with schema extensions");
      const { rows } = await other.query(
        "select to_regclass('cron.job') is not null as cron, to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') is not null as net",
      );
      expect(rows[0]).toEqual({ cron: true, net: true });
    } finally {
      await other.end();
      await db.query(`drop database ${database}`);
    }
  });
});

describe("pg_net subset", () => {
  it("net.http_post() sends body, params and headers after commit and records the response", async () => {
    const server = await recorder();
    try {
      const { rows } = await db.query<{ id: string }>(
        `select net.http_post(
           url := $1,
           body := '{"hello": "world", "n": 1}'::jsonb,
           params := '{"q": "a b&c"}'::jsonb,
           headers := '{"Content-Type": "application/json", "X-Custom": "v1"}'::jsonb
         )::text as id`,
        [`${server.url}/post`],
      );
      const received = await server.next();
      expect(received.method).toBe("POST");
      expect(received.url).toBe("/post?q=a%20b%26c");
      expect(JSON.parse(received.body)).toEqual({ hello: "world", n: 1 });
      expect(received.headers["content-type"]).toBe("application/json");
      expect(received.headers["x-custom"]).toBe("v1");
      const response = await eventually(async () => {
        const r = await db.query("select * from net._http_response where id = $1", [rows[0]!.id]);
        return r.rows[0];
      }, "the recorded response");
      expect(response).toMatchObject({
        status_code: 201,
        content_type: "application/json",
        content: '{"ok":true}',
        timed_out: false,
        error_msg: null,
      });
      expect(response.headers["x-test"]).toBe("yes");
    } finally {
      await server.close();
    }
  });

  it("net.http_post() adds a JSON Content-Type and net.http_get() sends a GET with params", async () => {
    const server = await recorder();
    try {
      await db.query("select net.http_post($1, '{\"a\": 1}'::jsonb, headers := '{\"X-Only\": \"1\"}'::jsonb)", [`${server.url}/ct`]);
      const post = await server.next();
      expect(post.headers["content-type"]).toBe("application/json");
      expect(post.headers["x-only"]).toBe("1");
      await db.query("select net.http_get($1, params := '{\"page\": \"2\"}'::jsonb)", [`${server.url}/get`]);
      const get = await server.next();
      expect(get).toMatchObject({ method: "GET", url: "/get?page=2", body: "" });
    } finally {
      await server.close();
    }
  });

  it("a rolled-back transaction sends nothing", async () => {
    const server = await recorder();
    const tx = await sql();
    try {
      await tx.query("begin");
      await tx.query("select net.http_post($1)", [`${server.url}/rolled-back`]);
      await tx.query("rollback");
      await db.query("select net.http_post($1)", [`${server.url}/committed`]);
      expect((await server.next()).url).toBe("/committed");
      expect(server.all.map((r) => r.url)).toEqual(["/committed"]);
    } finally {
      await tx.end();
      await server.close();
    }
  });

  it("a request past timeout_milliseconds records timed_out, and a refused connection records error_msg", async () => {
    const server = await recorder();
    try {
      const slow = await db.query<{ id: string }>(
        "select net.http_get($1, timeout_milliseconds := 300)::text as id",
        [`${server.url}/slow`],
      );
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      const closedPort = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const refused = await db.query<{ id: string }>("select net.http_get($1)::text as id", [
        `http://127.0.0.1:${closedPort}/`,
      ]);
      const timedOut = await eventually(async () => {
        const r = await db.query("select * from net._http_response where id = $1", [slow.rows[0]!.id]);
        return r.rows[0];
      }, "the timed-out response");
      expect(timedOut).toMatchObject({ timed_out: true, status_code: null });
      expect(timedOut.error_msg).toMatch(/^Timeout of 300 ms reached/);
      const failed = await eventually(async () => {
        const r = await db.query("select * from net._http_response where id = $1", [refused.rows[0]!.id]);
        return r.rows[0];
      }, "the refused response");
      expect(failed).toMatchObject({ timed_out: false, status_code: null });
      expect(failed.error_msg).toMatch(/ECONNREFUSED/);
    } finally {
      await server.close();
    }
  });

  it("a cron job calling net.http_post on an Edge Function really invokes the function", async () => {
    const server = await recorder();
    const tag = randomUUID();
    const name = `call-function-${tag}`;
    try {
      const info = stackInfo();
      await db.query(
        `select cron.schedule($1, '1 seconds', format(
           'select net.http_post(url := %L, body := %L::jsonb, headers := %L::jsonb)',
           $2::text, $3::text, $4::text))`,
        [
          name,
          `${info.url}/functions/v1/test-hook`,
          JSON.stringify({ callback: `${server.url}/hook`, tag }),
          JSON.stringify({ "Content-Type": "application/json", Authorization: `Bearer ${info.serviceRoleKey}` }),
        ],
      );
      jobs.push(name);
      const hit = JSON.parse((await server.next()).body) as { received: { tag: string }; authorization: string };
      expect(hit.received.tag).toBe(tag);
      expect(hit.authorization).toBe(`Bearer ${info.serviceRoleKey}`);
    } finally {
      await db.query("delete from cron.job where jobname = $1", [name]);
      await server.close();
    }
  });
});
