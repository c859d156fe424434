import path from "node:path";
import type { TestProject } from "vitest/node";
import { build, preview, type PreviewServer } from "vite";
import { DEMO_ANON_KEY } from "../../supabase/local/src/keys.ts";

let server: PreviewServer | undefined;

/**
 * Builds the web app against the test stack (started by the stack global setup before this one)
 * and serves the production bundle, so the browser tests exercise what users get.
 */
export async function setup(project: TestProject): Promise<void> {
  const apiUrl = `http://127.0.0.1:${process.env.TEST_API_PORT ?? 54331}`;
  const port = Number(process.env.TEST_WEB_PORT ?? 54339);
  process.env.VITE_SUPABASE_URL = apiUrl;
  process.env.VITE_SUPABASE_ANON_KEY = DEMO_ANON_KEY;
  const configFile = path.join(import.meta.dirname, "..", "vite.config.ts");
  const outDir = path.join(import.meta.dirname, "..", "..", ".state", `e2e-dist-${port}`);
  // Vitest runs with NODE_ENV=test, which would make Vite bundle React's development build;
  // the browser tests must exercise the production bundle users get.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ configFile, mode: "production", logLevel: "warn", build: { outDir, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  server = await preview({ configFile, logLevel: "warn", build: { outDir }, preview: { port, strictPort: true } });
  project.provide("webUrl", `http://127.0.0.1:${port}`);
}

export async function teardown(): Promise<void> {
  await new Promise<void>((resolve) => server?.httpServer.close(() => resolve()) ?? resolve());
}

declare module "vitest" {
  export interface ProvidedContext {
    webUrl: string;
  }
}
