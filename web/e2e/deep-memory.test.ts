import { randomUUID } from "node:crypto";
import type { Browser, BrowserContext, CDPSession, Page, WebSocket as PageSocket } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sql } from "../../supabase/local/test/clients.ts";
import { launchChromium, screenshot } from "./browser.ts";
import { fixtureExportZip } from "./export-zip.ts";

const WAIT = 90_000;

/** The deep-memory banner of a page, when it is in `state` (processing, failed, complete, importing). */
function banner(page: Page, state?: string) {
  return page.locator(state ? `section.banner[data-state="${state}"]` : "section.banner");
}

/** Records every WebSocket the page opens, so a test can cut them like a flaky network would. */
async function trackSockets(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const sockets: WebSocket[] = [];
    (window as unknown as { __sockets: WebSocket[] }).__sockets = sockets;
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
      }
    };
  });
}

/** Takes the page offline and closes its open sockets (Realtime included). */
async function cutNetwork(page: Page, cdp: CDPSession): Promise<void> {
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await page.evaluate(() => {
    for (const socket of (window as unknown as { __sockets: WebSocket[] }).__sockets) socket.close();
  });
}

async function restoreNetwork(cdp: CDPSession): Promise<void> {
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
}

/** Asks the chat a question and returns the answer's text and the titles of its sources. */
async function ask(page: Page, question: string): Promise<{ text: string; sources: string[] }> {
  const answers = page.locator("li.message-assistant");
  const before = await answers.count();
  await page.getByLabel("Ask something about yourself or your past conversations").fill(question);
  await page.getByRole("button", { name: "Ask" }).click();
  const answer = answers.nth(before);
  await answer.waitFor({ timeout: WAIT });
  return {
    text: (await answer.locator("p").first().textContent()) ?? "",
    sources: await answer.locator("cite").allTextContents(),
  };
}

describe("the web app in Chromium", () => {
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it("sign-up, import, chat, failed full pass, Retry and completion follow live in two pages, across a Realtime cut", async () => {
    const webUrl = inject("webUrl");
    const email = `e2e-${randomUUID()}@example.test`;
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));

    // 1. Sign up.
    await page.goto(webUrl);
    await page.getByRole("button", { name: "Create an account" }).click();
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("correct-horse-battery-staple");
    await page.getByRole("button", { name: "Sign up" }).click();
    await page.getByRole("heading", { name: "Chat with your memory" }).waitFor({ timeout: WAIT });

    // The full pass will fail once (its shard task, for good at once), and each shard attempt
    // takes 4 s so every state stays on screen long enough to see.
    const db = await sql();
    try {
      const { rows } = await db.query<{ id: string }>("select id from auth.users where email = $1", [email]);
      const userId = rows[0]!.id;
      await db.query(
        `insert into engram_private.fault_injections (user_id, task_kind, action, delay_ms, times) values ($1, 'shard', 'delay', 4000, 2);
         `.trim(),
        [userId],
      );
      await db.query(
        `insert into engram_private.fault_injections (user_id, task_kind, action, final, times, message)
         values ($1, 'shard', 'fail', true, 1, 'the embedding service was unavailable')`,
        [userId],
      );
    } finally {
      await db.end();
    }

    // A second page of the same session, whose Realtime connection we will cut.
    const second = await context.newPage();
    await trackSockets(second);
    const cdp = await context.newCDPSession(second);
    const openSockets: PageSocket[] = [];
    second.on("websocket", (ws) => {
      if (ws.url().includes("/realtime/v1/")) openSockets.push(ws);
    });
    await second.goto(`${webUrl}/chat`);
    await second.getByRole("heading", { name: "Chat with your memory" }).waitFor({ timeout: WAIT });

    // 2. Import the fixture ZIP through the UI.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Import" }).click();
    await page.getByRole("heading", { name: "Import your ChatGPT export" }).waitFor();
    await page.getByLabel("Choose your export (.zip or .json)").setInputFiles({
      name: "chatgpt-export.zip",
      mimeType: "application/zip",
      buffer: await fixtureExportZip(),
    });
    await page.waitForURL(/\/chat$/, { timeout: WAIT });

    // 3. quick_ready: the full pass is running, in both pages.
    await banner(page, "processing").waitFor({ timeout: WAIT });
    await screenshot(page, "01-processing");
    await banner(second, "processing").waitFor({ timeout: WAIT });

    // 4. Cut page two's network (Realtime socket closed, offline) while the pass is running.
    expect(openSockets.length).toBeGreaterThan(0);
    const closed = openSockets.length;
    await cutNetwork(second, cdp);
    // Every socket page two had open (its Realtime connection) is closed now.
    await expect.poll(() => openSockets.filter((ws) => ws.isClosed()).length).toBe(closed);

    // 5. Chat from quick_ready on: a known fact (from the custom instructions) with its source.
    const first = await ask(page, "What do I do as a nurse?");
    expect(first.text).toContain("nurse in Lisbon");
    expect(first.sources).toContain("Custom instructions");
    await screenshot(page, "02-chat-answer-quick-ready");

    // 6. The full pass fails: amber banner with the reason and the button.
    const failed = banner(page, "failed");
    await failed.waitFor({ timeout: WAIT });
    await expect.poll(() => failed.textContent()).toContain("the embedding service was unavailable");
    await failed.getByRole("button", { name: "Retry deep memory" }).waitFor();
    await screenshot(page, "03-failed");

    // Page two missed that transition while cut off; still showing processing.
    expect(await banner(second, "processing").count()).toBe(1);
    await screenshot(second, "04-second-page-cut-off");
    // Back online: it resubscribes, refetches, and shows the failure.
    const reconnected = second.waitForEvent("websocket", { predicate: (ws) => ws.url().includes("/realtime/v1/"), timeout: WAIT });
    await restoreNetwork(cdp);
    await reconnected;
    await banner(second, "failed").waitFor({ timeout: WAIT });
    await screenshot(second, "05-second-page-after-reconnect");

    // 7. Retry: "Retrying…" → progress → complete → gone, in both pages.
    // Hold the request on the wire until "Retrying…" has been seen (a slow network, deterministically).
    let releaseRetry!: () => void;
    const retrySeen = new Promise<void>((resolve) => (releaseRetry = resolve));
    await page.route("**/functions/v1/retry-full-pass", async (route) => {
      await retrySeen;
      await route.continue();
    });
    await failed.getByRole("button", { name: "Retry deep memory" }).click();
    const retrying = page.getByRole("button", { name: "Retrying…", disabled: true });
    await retrying.waitFor({ timeout: WAIT });
    await screenshot(page, "06-retrying");
    releaseRetry();
    await banner(page, "processing").waitFor({ timeout: WAIT });
    await retrying.waitFor({ state: "detached", timeout: WAIT });
    await screenshot(page, "07-processing-after-retry");
    await banner(second, "processing").waitFor({ timeout: WAIT });

    await banner(page, "complete").waitFor({ timeout: WAIT });
    await expect.poll(() => banner(page, "complete").textContent()).toContain("Deep memory is ready.");
    // The fixture holds three broken conversations (a missing node, a loop, no current node): said, not hidden.
    expect(await banner(page, "complete").textContent()).toContain("3 items of your export could not be processed");
    await screenshot(page, "08-complete");
    await banner(second, "complete").waitFor({ timeout: WAIT });
    await screenshot(second, "09-second-page-complete");

    await banner(page).waitFor({ state: "detached", timeout: WAIT });
    await banner(second).waitFor({ state: "detached", timeout: WAIT });
    await screenshot(page, "10-banner-gone");

    // 8. Deep memory now answers from the conversations themselves, with the conversation as source.
    const deep = await ask(page, "Where do I live?");
    expect(deep.text).toContain("Lisbon");
    expect(deep.sources).toContain("Kyoto trip 🎌");
    await screenshot(page, "11-chat-answer-deep-memory");

    // 9. The memory page: activity plot, top topics, the profile, facts with their sources.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Memory" }).click();
    await page.getByRole("heading", { name: "Your memory" }).waitFor();
    await page.getByRole("img", { name: /Conversations per month/ }).waitFor({ timeout: WAIT });
    await page.getByRole("list", { name: "Top topics" }).waitFor();
    const fact = page.locator(".facts > li", { hasText: "nurse in Lisbon" }).first();
    await fact.waitFor();
    expect(await fact.locator("cite").allTextContents()).toContain("Custom instructions");
    await screenshot(page, "12-memory-page");

    expect(errors).toEqual([]);
  });
});
