import { spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, openAsBlob, readFileSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { normalizeExport } from "../shared/export/normalize-export.ts";
import { readExport } from "../shared/export/read-export.ts";
import { analyzeConversations } from "../shared/memory/analyze-shard.ts";
import type { Conversation } from "../shared/model/conversation.ts";
import { readShard } from "../shared/shards/shard-reader.ts";
import type { ShardFile } from "../shared/shards/shard-writer.ts";
import { generateExport } from "../shared/testing/generate-export.ts";

/**
 * Export library benchmarks (printed, not asserted). Inputs are synthetic ChatGPT exports
 * (shared/testing/generate-export.ts) written to a temp dir and streamed from disk.
 *   1. normalize throughput vs native JSON.parse of the same file, same run   (goal ≥ 0.5×)
 *   2. peak memory growth normalizing 50 MB and 500 MB, in a fresh process    (goal ≤ 64 MB, flat)
 *      (peaks include garbage V8 has not collected yet, so they vary run to run; "live after GC"
 *      shows nothing accumulates)
 *   3. stored shard bytes / conversations.json bytes                           (goal ≤ 0.25)
 *   4. chunking + offline extraction throughput (conversations/s)
 * Sizes: BENCH_SMALL_MB (default 50), BENCH_LARGE_MB (default 500; 0 skips).
 */
const MB = 1024 * 1024;
const self = fileURLToPath(import.meta.url);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function exportStream(file: string): Promise<ReadableStream<Uint8Array>> {
  return openAsBlob(file).then((b) => b.stream() as ReadableStream<Uint8Array>);
}

async function generate(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file);
  for (const chunk of generateExport({ targetBytes: bytes, seed: 1 })) {
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

function best(times: number[]): number {
  return Math.min(...times);
}

async function timeIt(runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    gc();
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return best(times);
}

/** Child mode: normalize one file to a temp dir (as the CLI does) and report peak memory growth. */
async function memoryChild(file: string, outDir: string): Promise<void> {
  gc();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed + base.external + base.arrayBuffers;
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss > peakRss) peakRss = m.rss;
    const heap = m.heapUsed + m.external + m.arrayBuffers;
    if (heap > peakHeap) peakHeap = heap;
  };
  const timer = setInterval(sample, 10);
  await mkdir(outDir, { recursive: true });
  const t = performance.now();
  const manifest = await normalizeExport(
    { name: "conversations.json", stream: await exportStream(file) },
    async (s) => {
      sample();
      await writeFile(path.join(outDir, s.name), s.bytes);
    },
    { onProgress: sample },
  );
  const seconds = (performance.now() - t) / 1000;
  clearInterval(timer);
  sample();
  gc();
  gc();
  const after = process.memoryUsage();
  const retained = after.heapUsed + after.external + after.arrayBuffers - (base.heapUsed + base.external + base.arrayBuffers);
  console.log(JSON.stringify({ rssGrowth: peakRss - base.rss, heapGrowth: peakHeap - (base.heapUsed + base.external + base.arrayBuffers), retained, seconds, conversations: manifest.counts.conversations }));
}

async function main(): Promise<void> {
  const smallMb = Number(process.env.BENCH_SMALL_MB ?? 50);
  const largeMb = Number(process.env.BENCH_LARGE_MB ?? 500);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "engram-export-bench-"));
  try {
    const small = path.join(tmp, "small.json");
    let t = performance.now();
    await generate(small, smallMb * MB);
    const size = statSync(small).size;
    console.log(`generated ${(size / MB).toFixed(1)} MB synthetic conversations.json in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // 1. Throughput vs native JSON.parse.
    const buf = readFileSync(small);
    const decoder = new TextDecoder();
    let text = "";
    const decodeMs = await timeIt(3, () => void (text = decoder.decode(buf)));
    const parseMs = await timeIt(3, () => JSON.parse(text));
    text = "";
    let conversations = 0;
    const readMs = await timeIt(3, async () => {
      conversations = 0;
      await readExport({ name: "conversations.json", stream: await exportStream(small) }, () => void conversations++);
    });
    let files: ShardFile[] = [];
    const normalizeMs = await timeIt(2, async () => {
      files = [];
      await normalizeExport({ name: "conversations.json", stream: await exportStream(small) }, (f) => void files.push(f));
    });
    let nativeBytes = 0;
    const nativeMs = await timeIt(2, async () => {
      nativeBytes = 0;
      await normalizeExport({ name: "conversations.json", stream: await exportStream(small) }, (f) => void (nativeBytes += f.bytes.length), { shards: { gzip: "native" } });
    });
    const mbps = (ms: number) => `${((size / MB) / (ms / 1000)).toFixed(0)} MB/s`;
    console.log(`\n1. throughput on ${(size / MB).toFixed(0)} MB (${conversations} conversations), best of 3 (2):`);
    console.log(`   native JSON.parse(string)            ${parseMs.toFixed(0)} ms  ${mbps(parseMs)}   (+ UTF-8 decode ${decodeMs.toFixed(0)} ms)`);
    console.log(`   readExport (stream from disk, parse + normalize)  ${readMs.toFixed(0)} ms  ${mbps(readMs)}`);
    console.log(`   normalizeExport (… + gzip shards + SHA-256)      ${normalizeMs.toFixed(0)} ms  ${mbps(normalizeMs)}   [portable fflate gzip, the default]`);
    console.log(`   normalizeExport, gzip: "native"                  ${nativeMs.toFixed(0)} ms  ${mbps(nativeMs)}   [CompressionStream]`);
    console.log(`   ratio readExport / JSON.parse       ${(parseMs / readMs).toFixed(2)}×   (vs decode+parse ${((parseMs + decodeMs) / readMs).toFixed(2)}×)   goal ≥ 0.5×`);
    console.log(`   ratio normalizeExport / JSON.parse  ${(parseMs / normalizeMs).toFixed(2)}× portable, ${(parseMs / nativeMs).toFixed(2)}× native   (vs decode+parse ${((parseMs + decodeMs) / normalizeMs).toFixed(2)}× / ${((parseMs + decodeMs) / nativeMs).toFixed(2)}×)`);

    // 3. Stored size.
    const stored = files.reduce((n, f) => n + f.bytes.length, 0);
    console.log(`\n3. stored shard bytes / conversations.json bytes = ${(stored / MB).toFixed(2)} MB / ${(size / MB).toFixed(1)} MB = ${(stored / size).toFixed(3)}   goal ≤ 0.25   (${files.length} shards; native gzip ${(nativeBytes / size).toFixed(3)})`);

    // 4. Chunking + offline extraction.
    const all: Conversation[] = [];
    for (const f of files) all.push(...(await readShard(f.name, f.bytes, f.entry)));
    files = [];
    let chunks = 0;
    let facts = 0;
    const analyzeMs = await timeIt(1, async () => {
      const a = await analyzeConversations(all);
      chunks = a.chunks.length;
      facts = a.facts.length;
    });
    console.log(`\n4. chunking + offline extraction: ${all.length} conversations → ${chunks} chunks, ${facts} facts in ${(analyzeMs / 1000).toFixed(2)} s = ${Math.round(all.length / (analyzeMs / 1000))} conversations/s`);

    // 2. Peak memory, each size in a fresh process.
    console.log("\n2. peak memory growth while normalizing from disk to shard files (fresh process each):");
    const sizes: [string, string][] = [[`${smallMb} MB`, small]];
    if (largeMb > 0) {
      const large = path.join(tmp, "large.json");
      t = performance.now();
      await generate(large, largeMb * MB);
      console.log(`   (generated ${(statSync(large).size / MB).toFixed(0)} MB in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
      sizes.push([`${largeMb} MB`, large]);
    }
    for (const [label, file] of sizes) {
      const r = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", self, "--memory-child", file, path.join(tmp, `out-${path.basename(file)}`)], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`memory child failed: ${r.stderr}`);
      const m = JSON.parse(r.stdout.trim().split("\n").pop()!) as { rssGrowth: number; heapGrowth: number; retained: number; seconds: number; conversations: number };
      console.log(`   ${label.padEnd(7)} peak RSS +${(m.rssGrowth / MB).toFixed(1)} MB, peak heap+buffers +${(m.heapGrowth / MB).toFixed(1)} MB, live after GC +${(m.retained / MB).toFixed(1)} MB  (${m.conversations} conversations in ${m.seconds.toFixed(1)} s)   goal ≤ 64 MB`);
      rmSync(file);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--memory-child") await memoryChild(process.argv[3]!, process.argv[4]!);
else await main();
