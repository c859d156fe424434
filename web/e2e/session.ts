import { randomUUID } from "node:crypto";
import type { Page } from "playwright-core";

/** Signs a fresh user up through the app's form and waits for the chat page; returns the email. */
export async function signUpInBrowser(page: Page, webUrl: string, options: { timeout?: number } = {}): Promise<string> {
  const email = `e2e-${randomUUID()}@example.test`;
  await page.goto(webUrl);
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct-horse-battery-staple");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByRole("heading", { name: "Chat with your memory" }).waitFor({ timeout: options.timeout ?? 60_000 });
  return email;
}

/** Opens the import page through the main navigation. */
export async function openImportPage(page: Page): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Import" }).click();
  await page.getByRole("heading", { name: "Import your ChatGPT export" }).waitFor();
}

/** The import page's file input. */
export function exportInput(page: Page) {
  return page.getByLabel("Choose your export (.zip or .json)");
}
