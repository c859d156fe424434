import net from "node:net";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "./config.ts";
import { createGateway, resolveAuthorization, translateKey } from "./gateway.ts";
import type { Surface } from "./surface.ts";

const cfg = defaultConfig();

describe("resolveAuthorization()", () => {
  it("keeps a JWT Authorization header when one is present", () => {
    expect(resolveAuthorization(cfg, "Bearer user.jwt.here", cfg.anonKey)).toBe("Bearer user.jwt.here");
  });
  it("turns the secret key into the service_role JWT when Authorization is absent", () => {
    expect(resolveAuthorization(cfg, undefined, cfg.secretKey)).toBe(`Bearer ${cfg.serviceRoleKey}`);
  });
  it("replaces an sb_ bearer with the JWT its apikey stands for", () => {
    expect(resolveAuthorization(cfg, `Bearer ${cfg.publishableKey}`, cfg.publishableKey)).toBe(
      `Bearer ${cfg.anonKey}`,
    );
  });
  it("uses an unknown apikey raw and gives nothing without any key", () => {
    expect(resolveAuthorization(cfg, undefined, "raw")).toBe("Bearer raw");
    expect(resolveAuthorization(cfg, undefined, undefined)).toBeUndefined();
  });
});

describe("translateKey()", () => {
  it("maps the publishable key to the anon JWT and leaves JWTs alone", () => {
    expect(translateKey(cfg, cfg.publishableKey)).toBe(cfg.anonKey);
    expect(translateKey(cfg, cfg.anonKey)).toBe(cfg.anonKey);
  });
});

/** Sends raw bytes to `port` and resolves with everything the server answers before closing. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text));
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

describe("createGateway()", () => {
  it("answers 400 to an unparsable request target or Host and keeps serving", async () => {
    const echo: Surface = {
      prefix: "/echo",
      async handle({ res, path }) {
        res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(path) }).end(path);
      },
    };
    const server = createGateway(cfg, [echo], () => {});
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const badHost = await rawRequest(port, "GET /echo/a HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n");
      expect(badHost).toMatch(/^HTTP\/1\.1 200 /);
      expect(badHost.endsWith("/a")).toBe(true);
      const badTarget = await rawRequest(port, "GET http://[/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      expect(badTarget).toMatch(/^HTTP\/1\.1 400 /);
      const after = await rawRequest(port, "GET /echo/b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      expect(after.endsWith("/b")).toBe(true);
    } finally {
      server.close();
    }
  });
});
