import { describe, expect, it } from "vitest";
import { client, newUser, serviceClient, stackInfo } from "../../local/test/clients.ts";
import { invoke } from "./helpers.ts";

describe("import-worker", () => {
  it("import-worker answers 403 when a user JWT calls it", async () => {
    const user = await newUser("worker-auth");
    const r = await invoke(user.client, "import-worker", {});
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("forbidden");
  });

  it("import-worker answers 403 for the anon key", async () => {
    const r = await invoke(client(), "import-worker", {});
    expect(r.status).toBe(403);
  });

  it("import-worker accepts the service role and answers 202", async () => {
    const r = await invoke(serviceClient(), "import-worker", { reason: "test" });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ accepted: true });
  });

  it("import-worker answers CORS preflight without credentials", async () => {
    const res = await fetch(`${stackInfo().url}/functions/v1/import-worker`, { method: "OPTIONS" });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });
});
