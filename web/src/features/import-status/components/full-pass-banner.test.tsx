import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it } from "vitest";
import type { ImportStatus } from "../../../../../shared/import-status.ts";
import { failedStatus, importStatus } from "../../../test/import-status-fixture.ts";
import { FullPassBanner, type FullPassBannerProps } from "./full-pass-banner.tsx";

const idle: FullPassBannerProps["retry"] = { onRetry: () => {}, pending: false, error: null };

function renderBanner(status: ImportStatus, retry: FullPassBannerProps["retry"] = idle) {
  render(
    <MemoryRouter>
      <FullPassBanner status={status} retry={retry} onDismiss={() => {}} reuploadHref="/import" />
    </MemoryRouter>,
  );
  return screen.queryByRole("region", { name: "Deep memory status" });
}

describe("FullPassBanner", () => {
  it("FullPassBanner() shows progress, stage and parts when the full pass is processing", () => {
    const banner = renderBanner(importStatus({ progress_percent: 42, import_stage: "Indexing shard 17" }));
    expect(banner).not.toBeNull();
    expect(banner!.dataset.state).toBe("processing");
    expect(banner!.getAttribute("aria-live")).toBe("polite");
    expect(banner!.textContent).toContain("Building deep memory… 42 %");
    expect(banner!.textContent).toContain("Indexing shard 17");
    expect(banner!.textContent).toContain("17 of 40 parts");
    expect(within(banner!).getByRole("progressbar", { name: "Deep memory progress" }).getAttribute("value")).toBe("42");
    expect(within(banner!).queryByRole("button")).toBeNull();
  });

  it("FullPassBanner() words the stage names the database records", () => {
    expect(renderBanner(importStatus({ import_stage: "retry_queued" }))!.textContent).toContain("— retry queued");
  });

  it("FullPassBanner() clamps progress to 0..100 when the row carries an odd value", () => {
    const status = { ...importStatus(), progress_percent: 140 } as ImportStatus;
    expect(renderBanner(status)!.textContent).toContain("100 %");
  });

  it("FullPassBanner() shows the quick pass while the export is still being read", () => {
    const banner = renderBanner(importStatus({ import_status: "processing", full_pass_status: "pending", progress_percent: 8, import_stage: "Reading shards" }));
    expect(banner!.dataset.state).toBe("importing");
    expect(banner!.textContent).toContain("Reading your export… 8 %");
  });

  it("FullPassBanner() shows an amber notice with the reason and Retry when a retry is allowed", () => {
    const banner = renderBanner(failedStatus());
    expect(banner!.dataset.state).toBe("failed");
    expect(banner!.className).toContain("banner-warning");
    expect(banner!.textContent).toContain("Deep memory didn't finish.");
    expect(banner!.textContent).toContain("the model provider rate-limited us");
    const button = within(banner!).getByRole("button", { name: "Retry deep memory" });
    expect((button as HTMLButtonElement).disabled).toBe(false);
    expect(within(banner!).queryByRole("link")).toBeNull();
  });

  it("FullPassBanner() shows Retrying… on a disabled button while the request is in flight", () => {
    const banner = renderBanner(failedStatus(), { ...idle, pending: true });
    const button = within(banner!).getByRole("button", { name: "Retrying…" });
    expect((button as HTMLButtonElement).disabled).toBe(true);
  });

  it("FullPassBanner() says inline why a retry request failed", () => {
    const banner = renderBanner(failedStatus(), { ...idle, error: "Too many attempts — try again in 30 s." });
    expect(within(banner!).getByRole("alert").textContent).toBe("Too many attempts — try again in 30 s.");
  });

  it("FullPassBanner() offers a re-upload instead of Retry when the failure is permanent", () => {
    const banner = renderBanner(
      failedStatus({ full_pass_error: "shard-00003.ndjson.gz does not match its checksum", full_pass_error_kind: "permanent", can_retry: false, retry_blocked_reason: "permanent_failure" }),
    );
    expect(banner!.textContent).toContain("Your export could not be read: shard-00003.ndjson.gz does not match its checksum");
    expect(banner!.textContent).toContain("Retrying would fail the same way");
    expect(within(banner!).queryByRole("button", { name: /retry/i })).toBeNull();
    expect(within(banner!).getByRole("link", { name: "Upload your export again" }).getAttribute("href")).toBe("/import");
  });

  it("FullPassBanner() explains too_many_attempts and links to a re-upload", () => {
    const banner = renderBanner(failedStatus({ full_pass_attempts: 5, can_retry: false, retry_blocked_reason: "too_many_attempts" }));
    expect(banner!.textContent).toContain("It has failed several times in a row");
    expect(within(banner!).queryByRole("button", { name: /retry/i })).toBeNull();
    expect(within(banner!).getByRole("link", { name: "Upload your export again" })).toBeTruthy();
  });

  it("FullPassBanner() says when a retry is possible again when rate-limited", () => {
    const banner = renderBanner(failedStatus({ can_retry: false, retry_blocked_reason: "rate_limited", retry_after_seconds: 90 }));
    expect(banner!.textContent).toContain("You can retry in 90 s.");
  });

  it("FullPassBanner() offers Retry for a run that stopped responding though the row says processing", () => {
    const banner = renderBanner(importStatus({ stale: true, can_retry: true, retry_blocked_reason: null }));
    expect(banner!.dataset.state).toBe("failed");
    expect(banner!.textContent).toContain("stopped responding");
    expect(within(banner!).getByRole("button", { name: "Retry deep memory" })).toBeTruthy();
  });

  it("FullPassBanner() shows a success note when the full pass completed with every item", () => {
    const banner = renderBanner(importStatus({ full_pass_status: "complete", import_status: "complete", full_pass_completed_at: "2026-11-29T10:05:00.000Z", done_items: 40 }));
    expect(banner!.dataset.state).toBe("complete");
    expect(banner!.className).toContain("banner-success");
    expect(banner!.textContent).toContain("Every conversation is now searchable.");
    expect(within(banner!).getByRole("button", { name: "Dismiss" })).toBeTruthy();
  });

  it("FullPassBanner() says how many items are missing when the run completed with failed items", () => {
    const banner = renderBanner(importStatus({ full_pass_status: "complete", import_status: "complete", failed_items: 3, total_items: 40 }));
    expect(banner!.className).toContain("banner-warning");
    expect(banner!.textContent).toContain("3 items of your export could not be processed and are missing from it.");
    expect(banner!.textContent).not.toContain("Every conversation");
  });

  it("FullPassBanner() renders nothing when no full pass has started", () => {
    expect(renderBanner(importStatus({ import_status: "none", full_pass_status: "pending" }))).toBeNull();
  });
});
