import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { initialProgress, type ImportProgress } from "../api/run-import.ts";
import { ImportProgressView } from "./import-progress.tsx";

function progress(overrides: Partial<ImportProgress> = {}): ImportProgress {
  const base = initialProgress(300_000_000);
  return { ...base, stage: "reading", ...overrides };
}

describe("ImportProgressView", () => {
  it("ImportProgressView() shows bytes and conversations read and stored", () => {
    render(
      <ImportProgressView
        progress={progress({
          parse: { bytesRead: 150_000_000, totalBytes: 300_000_000, conversations: 1200, failed: 0, done: false },
          upload: { bytesStored: 2_000_000, bytesProduced: 4_000_000, shardsStored: 1, shardsSkipped: 0, shardsProduced: 2, conversationsStored: 1000, done: false },
        })}
      />,
    );
    const reading = screen.getByRole("progressbar", { name: /Reading/ });
    expect(reading.getAttribute("value")).toBe("50");
    expect(screen.getByText(/Reading:/).textContent).toBe("Reading: 50 % — 150 MB of 300 MB, 1,200 conversations");
    expect(screen.getByRole("progressbar", { name: /Uploading/ }).getAttribute("value")).toBe("50");
    expect(screen.getByText(/Uploading:/).textContent).toBe("Uploading: 50 % — 2.0 MB of 4.0 MB so far, 1 of 2 parts, 1,000 conversations");
    expect(screen.getByRole("status").textContent).toBe("Reading your export in the background…");
  });

  it("ImportProgressView() says a resumed import skips what is already stored", () => {
    render(
      <ImportProgressView
        progress={progress({
          resumed: true,
          stage: "uploading",
          parse: { bytesRead: 300_000_000, totalBytes: 300_000_000, conversations: 5000, failed: 3, done: true },
          upload: { bytesStored: 5_000_000, bytesProduced: 6_000_000, shardsStored: 5, shardsSkipped: 4, shardsProduced: 6, conversationsStored: 4000, done: false },
        })}
      />,
    );
    expect(screen.getByRole("status").textContent).toContain("Resuming the earlier upload of this file.");
    expect(screen.getByText(/Reading:/).textContent).toContain("100 %");
    expect(screen.getByText(/Reading:/).textContent).toContain("3 unreadable");
    expect(screen.getByText(/Uploading:/).textContent).toContain("(4 already stored, not sent again)");
    expect(screen.getByText(/Uploading:/).textContent).not.toContain("so far");
  });

  it("ImportProgressView() waits for the first part before showing an upload percentage", () => {
    render(<ImportProgressView progress={progress()} />);
    expect(screen.getByText(/Uploading:/).textContent).toBe("Uploading: waiting for the first part");
    expect(screen.getByRole("progressbar", { name: /Uploading/ }).getAttribute("value")).toBe("0");
  });
});
