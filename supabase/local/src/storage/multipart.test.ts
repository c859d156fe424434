import { describe, expect, it } from "vitest";
import { boundaryOf, dispositionOf, readMultipart } from "./multipart.ts";

/** A real multipart body, as undici's FormData serialises it. */
async function encode(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const request = new Request("http://x/", { method: "POST", body: form });
  return {
    body: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get("content-type") ?? "",
  };
}

async function* chunked(body: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size);
}

async function parts(body: Buffer, contentType: string, chunkSize: number) {
  const out: { name: string; filename?: string; type?: string; data: string }[] = [];
  await readMultipart(chunked(body, chunkSize), boundaryOf(contentType), async (headers, stream) => {
    const bufs: Buffer[] = [];
    for await (const b of stream) bufs.push(b);
    out.push({ ...dispositionOf(headers), type: headers["content-type"], data: Buffer.concat(bufs).toString("latin1") });
  });
  return out;
}

describe("readMultipart", () => {
  it("readMultipart() yields every field and file intact whatever the chunk boundaries", async () => {
    const form = new FormData();
    const binary = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) % 256));
    form.append("", new Blob([binary], { type: "application/zip" }), "export.zip");
    form.append("cacheControl", "3600");
    form.append("metadata", JSON.stringify({ a: "é" }));
    const { body, contentType } = await encode(form);
    for (const size of [1, 7, 64, 1000, body.length]) {
      const got = await parts(body, contentType, size);
      expect(got).toEqual([
        { name: "", filename: "export.zip", type: "application/zip", data: binary.toString("latin1") },
        { name: "cacheControl", type: undefined, data: "3600" },
        { name: "metadata", type: undefined, data: Buffer.from(JSON.stringify({ a: "é" })).toString("latin1") },
      ]);
    }
  });

  it("readMultipart() rejects a body cut off before its closing delimiter", async () => {
    const form = new FormData();
    form.append("", new Blob(["abc"]), "a.txt");
    const { body, contentType } = await encode(form);
    await expect(parts(body.subarray(0, body.length - 10), contentType, 16)).rejects.toThrow(/unexpected end/);
  });
});
