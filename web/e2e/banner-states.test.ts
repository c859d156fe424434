import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sql } from "../../supabase/local/test/clients.ts";
import { launchChromium, screenshot } from "./browser.ts";
import { fixtureExportZip, splitExportZip } from "./export-zip.ts";
import { exportInput, openImportPage, signUpInBrowser } from "./session.ts";

const WAIT = 90_000;

function banner(page: Page, state?: string) {
  return page.locator(state ? `section.banner[data-state="${state}"]` : "section.banner");
}

/** Adds fault-injection rows for the user with `email` (superuser connection; local stack only). */
async function injectFaults(email: string, rows: { kind: string; action: string; delayMs?: number; final?: boolean; times?: number; message?: string }[]) {
  const db = await sql();
  try {
    for (const r of rows) {
      await db.query(
        `insert into engram_private.fault_injections (user_id, task_kind, action, delay_ms, final, times, message)
         select id, $2, $3, $4, $5, $6, $7 from auth.users where email = $1`,
        [email, r.kind, r.action, r.delayMs ?? null, r.final ?? false, r.times ?? null, r.message ?? null],
      );
    }
  } finally {
    await db.end();
  }
}

describe("banner states from real imports in Chromium", () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("a clean export shows the quick pass reading, then progress, then the success note", async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 600 } });
    const page = await context.newPage();
    const email = await signUpInBrowser(page, inject("webUrl"));
    await injectFaults(email, [
      { kind: "quick_pass", action: "delay", delayMs: 3000, times: 1 },
      { kind: "shard", action: "delay", delayMs: 3000, times: 1 },
    ]);
    await openImportPage(page);
    await exportInput(page).setInputFiles({ name: "chatgpt-export.zip", mimeType: "application/zip", buffer: await splitExportZip() });
    await page.waitForURL(/\/chat$/, { timeout: WAIT });

    const importing = banner(page, "importing");
    await importing.waitFor({ timeout: WAIT });
    expect(await importing.textContent()).toContain("Reading your export…");
    await screenshot(page, "state-importing");
    await banner(page, "processing").waitFor({ timeout: WAIT });
    await screenshot(page, "state-processing");
    const complete = banner(page, "complete");
    await complete.waitFor({ timeout: WAIT });
    expect(await complete.textContent()).toContain("Every conversation is now searchable.");
    expect(await complete.getAttribute("class")).toContain("banner-success");
    await screenshot(page, "state-complete-success");
    // Dismissed by hand instead of waiting for it to go.
    await complete.getByRole("button", { name: "Dismiss" }).click();
    await banner(page).waitFor({ state: "detached" });
    await context.close();
  });

  it("a permanent failure offers a re-upload instead of Retry", async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 600 } });
    const page = await context.newPage();
    const email = await signUpInBrowser(page, inject("webUrl"));
    await injectFaults(email, [
      { kind: "quick_pass", action: "fail_permanent", final: true, message: "manifest.json does not match the uploaded shards" },
    ]);
    await openImportPage(page);
    await exportInput(page).setInputFiles({ name: "chatgpt-export.zip", mimeType: "application/zip", buffer: await fixtureExportZip() });
    await page.waitForURL(/\/chat$/, { timeout: WAIT });

    const failed = banner(page, "failed");
    await failed.waitFor({ timeout: WAIT });
    await expect.poll(() => failed.textContent(), { timeout: WAIT }).toContain("Upload your export again");
    expect(await failed.textContent()).toContain("Your import didn't finish.");
    expect(await failed.textContent()).toContain("Your export could not be read: manifest.json does not match the uploaded shards");
    expect(await failed.getByRole("button", { name: /Retry/ }).count()).toBe(0);
    await screenshot(page, "state-failed-permanent");
    await failed.getByRole("link", { name: "Upload your export again" }).click();
    await page.getByRole("heading", { name: "Import your ChatGPT export" }).waitFor();
    await context.close();
  });
});
