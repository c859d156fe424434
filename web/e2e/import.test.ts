import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, screenshot } from "./browser.ts";
import { fixtureExportZip, largeConversationJson } from "./export-zip.ts";
import { sql } from "../../supabase/local/test/clients.ts";
import { exportInput, openImportPage, signUpInBrowser } from "./session.ts";

const WAIT = 60_000;

function isUpload(request: Request, name: string): boolean {
  return request.method() === "POST" && request.url().includes("/storage/v1/object/imports/") && request.url().endsWith(`/${name}`);
}

describe("the import page in Chromium", () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    page = await context.newPage();
    await signUpInBrowser(page, inject("webUrl"));
    await openImportPage(page);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  async function pick(name: string, mimeType: string, buffer: Buffer) {
    await exportInput(page).setInputFiles({ name, mimeType, buffer });
  }

  it("import page refuses a file that is not .zip or .json with a clear message", async () => {
    await pick("notes.txt", "text/plain", Buffer.from("hello"));
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("Wrong kind of file");
    expect(await alert.textContent()).toContain("“notes.txt” is not a .zip or .json file");
  });

  it("import page takes a file dropped on it", async () => {
    const dataTransfer = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["not an export"], "holiday.png", { type: "image/png" }));
      return dt;
    });
    const card = page.locator(".drop-target");
    await card.dispatchEvent("dragover", { dataTransfer });
    expect(await card.getAttribute("class")).toContain("dragging");
    await card.dispatchEvent("drop", { dataTransfer });
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("“holiday.png” is not a .zip or .json file");
  });

  it("import page says the download was cut short when the ZIP is truncated", async () => {
    const zip = await fixtureExportZip();
    await pick("chatgpt-export.zip", "application/zip", zip.subarray(0, Math.floor(zip.length / 2)));
    const alert = page.getByRole("alert").filter({ hasText: "could not be read" });
    await alert.waitFor({ timeout: WAIT });
    expect(await alert.textContent()).toMatch(/cut short|damaged/);
    await screenshot(page, "import-01-truncated-zip");
  });

  it("import page says when a JSON file is not a ChatGPT export", async () => {
    await pick("conversations.json", "application/json", Buffer.from(JSON.stringify({ hello: "world" })));
    const alert = page.getByRole("alert").filter({ hasText: "could not be read" });
    await alert.waitFor({ timeout: WAIT });
    expect(await alert.textContent()).toMatch(/not a ChatGPT/);
  });

  it("import page resumes after an interrupted upload and a reload without sending stored shards again", async () => {
    // A file on disk, as a person would pick it: its name, size and mtime identify it after the reload.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "engram-e2e-"));
    const file = path.join(dir, "chatgpt-export.zip");
    await fs.writeFile(file, await fixtureExportZip());
    const sent: string[] = [];
    page.on("request", (r) => {
      if (isUpload(r, "shard-00000.ndjson.gz")) sent.push("shard");
      if (isUpload(r, "manifest.json")) sent.push("manifest");
    });
    // The connection drops just as the manifest goes up.
    await page.route("**/storage/v1/object/imports/**/manifest.json", (route) => route.abort("internetdisconnected"));
    await exportInput(page).setInputFiles(file);
    const alert = page.getByRole("alert").filter({ hasText: "Upload interrupted" });
    await alert.waitFor({ timeout: WAIT });
    expect(await alert.textContent()).toContain("Pick the same file again");
    await screenshot(page, "import-02-interrupted");
    expect(sent).toEqual(["shard", "manifest"]);

    // Reload (the tab's memory is gone; only localStorage remembers the import) and pick it again.
    await page.unroute("**/storage/v1/object/imports/**/manifest.json");
    sent.length = 0;
    await page.reload();
    await page.getByRole("heading", { name: "Import your ChatGPT export" }).waitFor();
    await exportInput(page).setInputFiles(file);
    await page.waitForURL(/\/chat$/, { timeout: WAIT });
    expect(sent).toEqual(["manifest"]);
    await page.locator("section.banner").first().waitFor({ timeout: WAIT });
    await screenshot(page, "import-03-resumed-then-chat-mobile");
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("import page sends a shard over 6 MB through resumable (TUS) upload in 6 MB chunks", async () => {
    const tus: string[] = [];
    const onRequest = (r: Request) => {
      if (r.url().includes("/storage/v1/upload/resumable")) tus.push(r.method());
    };
    page.on("request", onRequest);
    // Stop before the server-side import: this test is about the upload.
    await page.route("**/functions/v1/import-trigger", (route) => route.abort("internetdisconnected"));
    await page.goto(`${inject("webUrl")}/import`);
    await pick("conversations.json", "application/json", await largeConversationJson());
    await page.getByText(/Uploading: \d+ %/).waitFor({ timeout: WAIT });
    await page.getByRole("button", { name: "Cancel" }).waitFor();
    await screenshot(page, "import-04-progress");
    await page.getByRole("alert").filter({ hasText: "No connection" }).waitFor({ timeout: WAIT });
    page.off("request", onRequest);
    await page.unroute("**/functions/v1/import-trigger");
    // Creation carries the first 6 MB chunk; the rest follows in PATCH requests.
    expect(tus.filter((m) => m === "POST").length).toBe(1);
    expect(tus.filter((m) => m === "PATCH").length).toBeGreaterThanOrEqual(1);
    const db = await sql();
    try {
      const { rows } = await db.query<{ size: string }>(
        `select (metadata->>'size') as size from storage.objects
          where bucket_id = 'imports'
            and name like (select id::text from auth.users where email = $1) || '/%/shard-00000.ndjson.gz'
          order by created_at desc limit 1`,
        [await page.locator(".who").textContent()],
      );
      expect(rows.length).toBe(1);
      expect(Number(rows[0]!.size)).toBeGreaterThan(6 * 1024 * 1024);
    } finally {
      await db.end();
    }
  });

  it("import page cancels a running upload, keeps what was sent, and resumes it when the same file is picked again", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "engram-e2e-"));
    const file = path.join(dir, "conversations.json");
    await fs.writeFile(file, await largeConversationJson());
    const tus: string[] = [];
    const onRequest = (r: Request) => {
      if (r.url().includes("/storage/v1/upload/resumable")) tus.push(r.method());
    };
    page.on("request", onRequest);
    await page.route("**/functions/v1/import-trigger", (route) => route.abort("internetdisconnected"));
    await page.goto(`${inject("webUrl")}/import`);
    // Hold the upload's second chunk until Cancel is clicked: the first 6 MB are stored, the rest is not.
    let cancelled!: () => void;
    const cancelClicked = new Promise<void>((resolve) => (cancelled = resolve));
    await page.route("**/storage/v1/upload/resumable/**", async (route) => {
      if (route.request().method() !== "PATCH") return route.continue();
      await cancelClicked;
      await route.abort("aborted").catch(() => {});
    });
    await exportInput(page).setInputFiles(file);
    await expect.poll(() => tus.includes("PATCH"), { timeout: WAIT }).toBe(true);
    await page.getByRole("button", { name: "Cancel" }).click();
    cancelled();
    const paused = page.getByRole("status").filter({ hasText: "Import paused" });
    await paused.waitFor();
    await screenshot(page, "import-05-cancelled");
    expect(await page.getByRole("alert").count()).toBe(0);
    await page.unroute("**/storage/v1/upload/resumable/**");

    tus.length = 0;
    await exportInput(page).setInputFiles(file);
    await page.getByRole("alert").filter({ hasText: "No connection" }).waitFor({ timeout: WAIT });
    page.off("request", onRequest);
    await page.unroute("**/functions/v1/import-trigger");
    // TUS resumed the same upload: HEAD for the stored offset, then PATCH for the rest — no new
    // upload from byte 0.
    expect(tus[0]).toBe("HEAD");
    expect(tus).toContain("PATCH");
    expect(tus).not.toContain("POST");
    await fs.rm(dir, { recursive: true, force: true });
  });
});
