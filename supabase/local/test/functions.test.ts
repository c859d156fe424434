import { FunctionsHttpError } from "@supabase/supabase-js";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfig } from "../src/config.ts";
import { createFunctionsSurface, CPU_HEADER, HOSTED_LIMITS } from "../src/functions/index.ts";
import { createGateway } from "../src/gateway.ts";
import type { Surface } from "../src/surface.ts";
import { client, serviceClient, stackInfo } from "./clients.ts";

const FIXTURES = path.join(import.meta.dirname, "fixtures", "functions");

/** A local HTTP server whose POST bodies arrive as resolved promises, in order. */
async function callbackServer(): Promise<{ url: string; next: () => Promise<unknown>; close: () => Promise<void> }> {
  const waiting: ((body: unknown) => void)[] = [];
  const arrived: unknown[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "null") as unknown;
      const waiter = waiting.shift();
      if (waiter) waiter(body);
      else arrived.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    next: () =>
      arrived.length > 0 ? Promise.resolve(arrived.shift()) : new Promise((resolve) => waiting.push(resolve)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function fnUrl(name: string): string {
  return `${stackInfo().url}/functions/v1/${name}`;
}

describe("functions.invoke() through the local stack", () => {
  it("functions.invoke() sends a JSON body and decodes the JSON reply", async () => {
    const { data, error } = await client().functions.invoke("test-echo", { body: { hello: "world", n: 1 } });
    expect(error).toBeNull();
    expect(data.method).toBe("POST");
    expect(data.path).toBe("/test-echo");
    expect(data.body).toEqual({ hello: "world", n: 1 });
    expect(data.headers["content-type"]).toBe("application/json");
    expect(data.headers["x-client-info"]).toMatch(/^supabase-js/);
    expect(data.headers.authorization).toBe(`Bearer ${stackInfo().anonKey}`);
    expect(data.headers.apikey).toBe(stackInfo().anonKey);
  });

  it("functions.invoke() sends a string as text/plain and reads a text reply", async () => {
    const { data, error } = await client().functions.invoke("test-echo/raw", { body: "plain words ✓" });
    expect(error).toBeNull();
    expect(data).toBe("plain words ✓");
    const echoed = await client().functions.invoke("test-echo", { body: "plain words ✓" });
    expect(echoed.data.headers["content-type"]).toBe("text/plain");
    expect(echoed.data.body).toBe("plain words ✓");
  });

  it("functions.invoke() round-trips binary bodies as octet-stream Blobs", async () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 31) % 256);
    const { data, error } = await client().functions.invoke("test-echo/raw", { body: new Blob([bytes]) });
    expect(error).toBeNull();
    expect(data).toBeInstanceOf(Blob);
    expect(new Uint8Array(await (data as Blob).arrayBuffer())).toEqual(bytes);
  });

  it("functions.invoke() keeps the sub-path, query and method inside the function", async () => {
    const { data, error } = await client().functions.invoke("test-echo/a/b%20c?x=1&y=two", { method: "GET" });
    expect(error).toBeNull();
    expect(data).toMatchObject({ method: "GET", path: "/test-echo/a/b%20c", search: "?x=1&y=two", body: null });
  });

  it("functions.invoke() turns a 4xx into FunctionsHttpError whose context is the Response", async () => {
    const { data, error } = await client().functions.invoke("test-echo/status?code=418");
    expect(data).toBeNull();
    expect(error).toBeInstanceOf(FunctionsHttpError);
    const response = (error as FunctionsHttpError).context as Response;
    expect(response.status).toBe(418);
    expect(await response.json()).toEqual({ error: "status 418 on purpose" });
  });

  it("verify_jwt refuses a request without Authorization with 401", async () => {
    const response = await fetch(fnUrl("test-echo"), { method: "POST" });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ msg: "Error: Missing authorization header" });
  });

  it("verify_jwt refuses a malformed or foreign-signed JWT with 401 Invalid JWT", async () => {
    const forged = await new SignJWT({ role: "service_role" })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode("not-the-project-secret-not-the-project-secret"));
    for (const token of ["garbage", forged]) {
      const { error } = await client().functions.invoke("test-echo", {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(error).toBeInstanceOf(FunctionsHttpError);
      const response = (error as FunctionsHttpError).context as Response;
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ msg: "Invalid JWT" });
    }
  });

  it("verify_jwt accepts the opaque publishable key (rewritten to the anon JWT by the gateway)", async () => {
    const { data, error } = await client(stackInfo().publishableKey).functions.invoke("test-echo", { body: {} });
    expect(error).toBeNull();
    expect(data.headers.authorization).toBe(`Bearer ${stackInfo().anonKey}`);
  });

  it("OPTIONS reaches the function without a JWT, so functions answer their own preflight", async () => {
    const response = await fetch(fnUrl("test-echo"), { method: "OPTIONS" });
    expect(response.status).toBe(200);
    expect((await response.json()).method).toBe("OPTIONS");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("an unknown function answers 404 Function not found", async () => {
    const response = await fetch(fnUrl("no-such-function"), {
      method: "POST",
      headers: { Authorization: `Bearer ${stackInfo().anonKey}` },
    });
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("Function not found");
  });

  it("the function sees the hosted env: URL, keys, DB URL, key sets, and not the host env", async () => {
    const { data, error } = await serviceClient().functions.invoke("test-echo/env", { method: "GET" });
    expect(error).toBeNull();
    const info = stackInfo();
    expect(data).toMatchObject({
      SUPABASE_URL: info.url,
      SUPABASE_ANON_KEY: info.anonKey,
      SUPABASE_SERVICE_ROLE_KEY: info.serviceRoleKey,
      SUPABASE_DB_URL: info.dbUrl,
    });
    // The host's env does not leak in (Deno may set a PATH of its own).
    expect(data.PATH ?? "").not.toContain(process.env.PATH);
    expect(JSON.parse(data.SUPABASE_PUBLISHABLE_KEYS)).toEqual({ default: info.publishableKey });
    expect(JSON.parse(data.SUPABASE_SECRET_KEYS)).toEqual({ default: info.secretKey });
  });

  it("EdgeRuntime.waitUntil work completes after the response was delivered", async () => {
    const hook = await callbackServer();
    try {
      const started = Date.now();
      const { data, error } = await client().functions.invoke(
        `test-echo/later?ms=400&callback=${encodeURIComponent(hook.url)}`,
        { method: "GET" },
      );
      const answered = Date.now();
      expect(error).toBeNull();
      expect(answered - started).toBeLessThan(400);
      const background = (await hook.next()) as { answeredAt: number; doneAt: number };
      expect(background.answeredAt).toBe(data.answeredAt);
      expect(background.doneAt - background.answeredAt).toBeGreaterThanOrEqual(400);
      expect(Date.now()).toBeGreaterThanOrEqual(answered);
    } finally {
      await hook.close();
    }
  });

  it("a module that throws while loading answers 503 BOOT_ERROR", async () => {
    const { error } = await client().functions.invoke("test-boot-error", { body: {} });
    const response = (error as FunctionsHttpError).context as Response;
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      code: "BOOT_ERROR",
      message: "Worker failed to boot (please check logs)",
    });
  });

  it("a handler that throws answers 500 WORKER_ERROR and the worker keeps serving", async () => {
    const { error } = await client().functions.invoke("test-echo/throw", { body: {} });
    const response = (error as FunctionsHttpError).context as Response;
    expect(response.status).toBe(500);
    expect((await response.json()).code).toBe("WORKER_ERROR");
    const again = await client().functions.invoke("test-echo", { body: { after: "throw" } });
    expect(again.data.body).toEqual({ after: "throw" });
  });

  it("a function growing past 256 MB answers 546 WORKER_LIMIT and the next call gets a fresh worker", async () => {
    const { error } = await client().functions.invoke("test-memory", { method: "GET" });
    const response = (error as FunctionsHttpError).context as Response;
    expect(response.status).toBe(546);
    expect((await response.json()).code).toBe("WORKER_LIMIT");
    const fresh = await client().functions.invoke("test-memory?mb=1", { method: "GET" });
    expect(fresh.error).toBeNull();
    expect(fresh.data).toEqual({ kept: 1 });
  });

  it("bodies of tens of MB stream through in both directions", async () => {
    const size = 40 * 1024 * 1024;
    const chunk = new Uint8Array(1024 * 1024).fill(1);
    let sent = 0;
    const upload = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= size) return controller.close();
        controller.enqueue(chunk);
        sent += chunk.length;
      },
    });
    const headers = { Authorization: `Bearer ${stackInfo().anonKey}`, "Content-Type": "application/octet-stream" };
    const up = await fetch(fnUrl("test-echo/count"), {
      method: "POST",
      headers,
      body: upload,
      duplex: "half",
    } as RequestInit);
    expect(await up.json()).toEqual({ bytes: size });
    const down = await fetch(fnUrl(`test-echo/bytes?n=${size}`), { headers });
    let received = 0;
    for await (const part of down.body as unknown as AsyncIterable<Uint8Array>) received += part.length;
    expect(received).toBe(size);
  });

  it(`reports the request's CPU time in ${CPU_HEADER}`, async () => {
    const headers = { Authorization: `Bearer ${stackInfo().anonKey}` };
    const spin = await fetch(fnUrl("test-echo/spin?ms=300"), { headers });
    expect(spin.status).toBe(200);
    const spent = Number(spin.headers.get(CPU_HEADER));
    // The fixture burns 300 ms of process CPU; nearly all of it on the JS thread we measure.
    expect(spent).toBeGreaterThanOrEqual(240);
    expect(spent).toBeLessThan(2000);
    const idle = await fetch(fnUrl("test-echo/env"), { headers });
    expect(Number(idle.headers.get(CPU_HEADER))).toBeLessThan(100);
  });
});

describe("functions surface with its own config (verify_jwt = false, secrets, strict CPU)", () => {
  let dir: string;
  let surface: Surface;
  let server: http.Server;
  let base: string;
  const lines: string[] = [];

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "engram-functions-"));
    const supabaseDir = path.join(dir, "supabase");
    await fs.mkdir(path.join(supabaseDir, "functions"), { recursive: true });
    await fs.writeFile(
      path.join(supabaseDir, "config.toml"),
      [
        "[functions.test-hook]",
        "verify_jwt = false # a comment",
        '[functions."test-memory"]',
        "enabled = false",
        "[functions.renamed]",
        `entrypoint = "${path.relative(supabaseDir, path.join(FIXTURES, "test-echo", "index.ts"))}"`,
        "verify_jwt = false",
      ].join("\n"),
    );
    await fs.writeFile(path.join(supabaseDir, "functions", ".env"), 'ENGRAM_TEST_SECRET="from .env"\n');
    await fs.mkdir(path.join(supabaseDir, "functions", "fresh"));
    await fs.writeFile(
      path.join(supabaseDir, "functions", "fresh", "index.ts"),
      "Deno.serve(() => new Response('fresh'));\n",
    );
    const cfg = defaultConfig({
      supabaseDir,
      functionsDirs: [path.join(supabaseDir, "functions"), FIXTURES],
      strictCpu: true,
      apiPort: 0,
    });
    surface = createFunctionsSurface({ cfg, pool: undefined as never, log: (line) => lines.push(line) }, HOSTED_LIMITS);
    await surface.start?.();
    server = createGateway(cfg, [surface], () => {});
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/functions/v1`;
  });

  afterAll(async () => {
    await surface?.stop?.();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("a function with verify_jwt = false in config.toml answers without any JWT", async () => {
    const open = await fetch(`${base}/test-hook`, { method: "POST" });
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual({ ok: true, authorization: null });
    const guarded = await fetch(`${base}/test-echo`, { method: "POST" });
    expect(guarded.status).toBe(401);
  });

  it("a function with enabled = false in config.toml answers 404", async () => {
    const response = await fetch(`${base}/test-memory`);
    expect(response.status).toBe(404);
  });

  it("a config.toml entrypoint serves another file under the function's name", async () => {
    const response = await fetch(`${base}/renamed/x`, { method: "POST" });
    expect(response.status).toBe(200);
    expect((await response.json()).path).toBe("/renamed/x");
  });

  it("a request past the wall clock limit answers 546 WORKER_LIMIT and the worker keeps serving", async () => {
    const cfg = defaultConfig({ supabaseDir: path.join(dir, "supabase"), functionsDirs: [FIXTURES], apiPort: 0 });
    const tight = createFunctionsSurface({ cfg, pool: undefined as never, log: () => {} }, {
      ...HOSTED_LIMITS,
      wallClockMs: 500,
    });
    const gateway = createGateway(cfg, [tight], () => {});
    await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/functions/v1/test-echo`;
    const headers = { Authorization: `Bearer ${cfg.anonKey}` };
    try {
      const slow = await fetch(`${url}/sleep?ms=3000`, { headers });
      expect(slow.status).toBe(546);
      expect((await slow.json()).code).toBe("WORKER_LIMIT");
      const quick = await fetch(`${url}/sleep?ms=1`, { headers });
      expect(await quick.json()).toEqual({ slept: 1 });
    } finally {
      await tight.stop?.();
      gateway.closeAllConnections();
      await new Promise((resolve) => gateway.close(resolve));
    }
  });

  it("secrets from supabase/functions/.env reach the function's env", async () => {
    const response = await fetch(`${base}/test-echo/env`, {
      headers: { Authorization: `Bearer ${defaultConfig().serviceRoleKey}` },
    });
    expect((await response.json()).ENGRAM_TEST_SECRET).toBe("from .env");
  });

  it("strict CPU mode answers 546 WORKER_LIMIT past 2 s of CPU in one request", async () => {
    const headers = { Authorization: `Bearer ${defaultConfig().anonKey}` };
    const response = await fetch(`${base}/test-echo/spin?ms=3500`, { headers });
    expect(response.status).toBe(546);
    expect(await response.json()).toMatchObject({ code: "WORKER_LIMIT" });
    const after = await fetch(`${base}/test-echo/spin?ms=50`, { headers });
    expect(after.status).toBe(200);
  });

  it("concurrent first requests share one booting worker", async () => {
    const responses = await Promise.all(
      Array.from({ length: 6 }, () =>
        fetch(`${base}/fresh`, { headers: { Authorization: `Bearer ${defaultConfig().anonKey}` } }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(lines.filter((line) => line.startsWith("functions: booted fresh ")).length).toBe(1);
  });

  it("editing a function's source serves the new code on a later request", async () => {
    const folder = path.join(dir, "supabase", "functions", "hot");
    await fs.mkdir(folder, { recursive: true });
    const source = (version: string) =>
      `Deno.serve(() => Response.json({ version: "${version}" }));\n`;
    await fs.writeFile(path.join(folder, "index.ts"), source("one"));
    const headers = { Authorization: `Bearer ${defaultConfig().anonKey}` };
    expect(await (await fetch(`${base}/hot`, { headers })).json()).toEqual({ version: "one" });
    await fs.writeFile(path.join(folder, "index.ts"), source("two"));
    // The file watcher retires the warm worker; no event reaches the test, so poll.
    const deadline = Date.now() + 10_000;
    let seen = "one";
    while (seen !== "two" && Date.now() < deadline) {
      seen = ((await (await fetch(`${base}/hot`, { headers })).json()) as { version: string }).version;
      if (seen !== "two") await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen).toBe("two");
  });

  it("stop() ends every worker process", async () => {
    const pids = lines.flatMap((line) => [...line.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1])));
    expect(pids.length).toBeGreaterThan(0);
    await surface.stop?.();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
