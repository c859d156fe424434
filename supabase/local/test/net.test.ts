import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NetSender } from "../src/cron/net.ts";
import { sql, stackInfo } from "./clients.ts";

// A database of its own, so the stack's scheduler (which serves `postgres`) never takes its queue.
const database = `net_${randomUUID().slice(0, 8)}`;
let pool: pg.Pool;

beforeAll(async () => {
  const admin = await sql();
  try {
    await admin.query(`create database ${pg.escapeIdentifier(database)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(stackInfo().dbUrl);
  url.pathname = `/${database}`;
  pool = new pg.Pool({ connectionString: url.href, max: 2 });
  await pool.query("create extension pg_net");
});

afterAll(async () => {
  await pool?.end();
  const admin = await sql();
  try {
    await admin.query(`drop database if exists ${pg.escapeIdentifier(database)} with (force)`);
  } finally {
    await admin.end();
  }
});

describe("NetSender", () => {
  it("wake() after stop() leaves queued requests for the next start instead of failing them", async () => {
    const sender = new NetSender(pool, () => {});
    await sender.stop();
    await pool.query("select net.http_get('http://127.0.0.1:9/')");
    await sender.wake();
    const queued = await pool.query("select count(*)::int as n from net.http_request_queue");
    const answered = await pool.query("select count(*)::int as n from net._http_response");
    expect([queued.rows[0].n, answered.rows[0].n]).toEqual([1, 0]);
  });
});
