import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { Zip, ZipDeflate } from "fflate";
import { generateExport } from "../../shared/testing/generate-export.ts";
import type { Command } from "./command.ts";
import { formatBytes, parseSize } from "./format.ts";

/** `generate --out <file>`: a deterministic synthetic ChatGPT export for tests and benchmarks. */
export const command: Command = {
  usage: "generate --out <file.json|file.zip> [--conversations N | --size 50MB] [--seed 1]",
  summary: "write a deterministic synthetic ChatGPT export (conversations.json, or a ZIP holding it)",
  async run(args) {
    const { values } = parseArgs({ args, options: { out: { type: "string" }, conversations: { type: "string" }, size: { type: "string" }, seed: { type: "string" } } });
    if (!values.out || (values.conversations && values.size)) {
      console.error(`usage: npm run engram -- ${this.usage}`);
      return 2;
    }
    const chunks = generateExport({
      ...(values.conversations ? { conversations: Number(values.conversations) } : {}),
      ...(values.size ? { targetBytes: parseSize(values.size) } : {}),
      seed: Number(values.seed ?? 1),
    });
    const file = createWriteStream(values.out);
    let written = 0;
    const write = async (bytes: Uint8Array) => {
      written += bytes.length;
      if (!file.write(bytes)) await once(file, "drain");
    };
    if (values.out.endsWith(".zip")) {
      const pending: Uint8Array[] = [];
      const zip = new Zip((err, data) => {
        if (err) throw err;
        pending.push(data);
      });
      const entry = new ZipDeflate("conversations.json", { level: 6 });
      zip.add(entry);
      for (const chunk of chunks) {
        entry.push(chunk);
        for (const p of pending.splice(0)) await write(p);
      }
      entry.push(new Uint8Array(0), true);
      zip.end();
      for (const p of pending.splice(0)) await write(p);
    } else {
      for (const chunk of chunks) await write(chunk);
    }
    file.end();
    await once(file, "finish");
    console.log(`wrote ${formatBytes(written)} → ${values.out}`);
    return 0;
  },
};
