import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ImportStatus } from "../../../../../shared/import-status.ts";
import { failedStatus, importStatus } from "../../../test/import-status-fixture.ts";
import { COMPLETE_NOTE_MS, DismissibleBanner, RECENT_COMPLETE_MS } from "./deep-memory-banner.tsx";

const retry = { onRetry: () => {}, pending: false, error: null };

function view(status: ImportStatus) {
  return (
    <MemoryRouter>
      <DismissibleBanner status={status} retry={retry} reuploadHref="/import" />
    </MemoryRouter>
  );
}

const banner = () => screen.queryByRole("region", { name: "Deep memory status" });

afterEach(() => {
  vi.useRealTimers();
});

describe("DismissibleBanner", () => {
  it("DismissibleBanner() hides a failure when dismissed and shows the next failure again", async () => {
    const user = userEvent.setup();
    const { rerender } = render(view(failedStatus({ full_pass_attempts: 1 })));
    await user.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(banner()).toBeNull();
    rerender(view(failedStatus({ full_pass_attempts: 1, updated_at: "2026-11-29T10:02:00.000Z" })));
    expect(banner()).toBeNull();
    rerender(view(failedStatus({ full_pass_attempts: 2 })));
    expect(banner()?.dataset.state).toBe("failed");
  });

  it("DismissibleBanner() can be dismissed from the keyboard", async () => {
    const user = userEvent.setup();
    render(view(failedStatus()));
    await user.tab();
    expect(document.activeElement?.textContent).toBe("Retry deep memory");
    await user.tab();
    expect(document.activeElement?.getAttribute("aria-label")).toBe("Dismiss");
    await user.keyboard("{Enter}");
    expect(banner()).toBeNull();
  });

  it("DismissibleBanner() shows the success note after a live completion and hides it after COMPLETE_NOTE_MS", () => {
    vi.useFakeTimers({ now: Date.parse("2026-11-29T12:00:00.000Z") });
    const { rerender } = render(view(importStatus()));
    expect(banner()?.dataset.state).toBe("processing");
    // Completed long ago by the server's clock, but seen happening while the page was open.
    rerender(view(importStatus({ full_pass_status: "complete", import_status: "complete", full_pass_completed_at: "2026-11-29T09:00:00.000Z" })));
    expect(banner()?.dataset.state).toBe("complete");
    act(() => vi.advanceTimersByTime(COMPLETE_NOTE_MS - 1));
    expect(banner()?.dataset.state).toBe("complete");
    act(() => vi.advanceTimersByTime(1));
    expect(banner()).toBeNull();
  });

  it("DismissibleBanner() shows a completion from moments ago on page load, not one from long ago", () => {
    vi.useFakeTimers({ now: Date.parse("2026-11-29T12:00:00.000Z") });
    const recent = new Date(Date.now() - RECENT_COMPLETE_MS / 2).toISOString();
    const { unmount } = render(view(importStatus({ full_pass_status: "complete", import_status: "complete", full_pass_completed_at: recent })));
    expect(banner()?.dataset.state).toBe("complete");
    unmount();
    const old = new Date(Date.now() - RECENT_COMPLETE_MS * 2).toISOString();
    render(view(importStatus({ full_pass_status: "complete", import_status: "complete", full_pass_completed_at: old })));
    expect(banner()).toBeNull();
  });

  it("DismissibleBanner() keeps the banner when a retry starts a new processing episode after completion was dismissed", async () => {
    const user = userEvent.setup();
    const { rerender } = render(view(importStatus()));
    rerender(view(importStatus({ full_pass_status: "complete", import_status: "complete", full_pass_completed_at: new Date().toISOString() })));
    await user.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(banner()).toBeNull();
    rerender(view(importStatus({ full_pass_attempts: 2 })));
    expect(banner()?.dataset.state).toBe("processing");
  });
});
