import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium } from "./browser.ts";
import { signUpInBrowser } from "./session.ts";

describe("auth in Chromium", () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("a session survives a reload; sign out, then sign in again with the same password", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const email = await signUpInBrowser(page, inject("webUrl"));
    await page.reload();
    await page.getByRole("heading", { name: "Chat with your memory" }).waitFor();
    expect(await page.locator(".who").textContent()).toBe(email);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to Engram" }).waitFor();
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("wrong-password-123");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    expect(await page.getByRole("alert").textContent()).toBe("That email and password don't match an account.");
    await page.getByLabel("Password").fill("correct-horse-battery-staple");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("heading", { name: "Chat with your memory" }).waitFor();
    await context.close();
  });

  it("protected pages ask for a session, and 'Try it without an account' signs in anonymously", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${inject("webUrl")}/memory`);
    await page.getByRole("heading", { name: "Sign in to Engram" }).waitFor();
    await page.getByRole("button", { name: "Try it without an account" }).click();
    await page.getByRole("heading", { name: "Your memory" }).waitFor();
    expect(await page.locator(".who").textContent()).toBe("Guest");
    await context.close();
  });
});
