import { defineConfig } from "vitest/config";

/**
 * One config, four projects:
 * - `unit`: pure code (shared/, stack internals) — no servers;
 * - `stack`: everything that talks to the local stack (conformance, database, functions) — one
 *   stack per run, started by supabase/local/test/global-setup.ts;
 * - `web`: React component tests in jsdom;
 * - `e2e`: real Chromium against the stack and the built web app (run last by scripts/test.ts).
 */
export default defineConfig({
  test: {
    passWithNoTests: true,
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: ["shared/**/*.test.ts", "supabase/local/src/**/*.test.ts", "scripts/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "stack",
          environment: "node",
          include: [
            "supabase/local/test/**/*.test.ts",
            "supabase/tests/**/*.test.ts",
            "supabase/functions/tests/**/*.test.ts",
          ],
          globalSetup: ["supabase/local/test/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: "./web/vite.config.ts",
        test: {
          name: "web",
          root: "./web",
          environment: "jsdom",
          include: ["src/**/*.test.tsx", "src/**/*.test.ts"],
          setupFiles: ["./src/test/setup.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["web/e2e/**/*.test.ts"],
          globalSetup: ["supabase/local/test/global-setup.ts", "web/e2e/global-setup.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
