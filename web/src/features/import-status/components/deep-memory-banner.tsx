import { useEffect, useRef, useState } from "react";
import type { ImportStatus } from "../../../../../shared/import-status.ts";
import { useLiveImportStatus } from "../api/use-live-import-status.ts";
import { useRetryFullPass } from "../api/retry-full-pass.ts";
import { FullPassBanner, type FullPassBannerProps } from "./full-pass-banner.tsx";

/** How long the "deep memory is ready" note stays before the banner goes by itself. */
export const COMPLETE_NOTE_MS = 6_000;

/** A completion this recent (by the server's clock) still earns the note after a page load. */
export const RECENT_COMPLETE_MS = 2 * 60_000;

/**
 * The live banner for the signed-in user: status from {@link useLiveImportStatus}, Retry through
 * {@link useRetryFullPass}.
 */
export function DeepMemoryBanner({ userId }: { userId: string }) {
  const { data: status, error } = useLiveImportStatus(userId);
  const retry = useRetryFullPass(userId);

  if (error) {
    return (
      <p role="alert" className="banner banner-warning">
        {error.message}
      </p>
    );
  }
  if (!status) return null;
  return (
    <DismissibleBanner
      status={status}
      retry={{
        onRetry: () => retry.mutate(),
        pending: retry.isPending,
        error: retry.isError ? retry.error.message : null,
      }}
      reuploadHref="/import"
    />
  );
}

/** Identifies one status episode: a dismissal holds until the status, attempt or completion changes. */
export function statusEpisode(status: ImportStatus): string {
  return `${status.import_status}:${status.full_pass_status}:${status.full_pass_attempts}:${status.full_pass_completed_at ?? ""}`;
}

/**
 * {@link FullPassBanner} with the UI-only parts: dismissal (remembered per status episode, so a
 * new failure shows again) and the success note, which appears when the pass completes while
 * the page is open (or completed moments ago) and goes by itself after {@link COMPLETE_NOTE_MS}.
 */
export function DismissibleBanner({ status, ...props }: Omit<FullPassBannerProps, "onDismiss">) {
  const episode = statusEpisode(status);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const sawUnfinished = useRef(false);
  const complete = status.full_pass_status === "complete";
  if (!complete) sawUnfinished.current = true;
  const completedAt = status.full_pass_completed_at ? Date.parse(status.full_pass_completed_at) : NaN;
  const freshlyComplete = complete && (sawUnfinished.current || Date.now() - completedAt < RECENT_COMPLETE_MS);

  useEffect(() => {
    if (!complete) return;
    const timer = setTimeout(() => setDismissed(episode), COMPLETE_NOTE_MS);
    return () => clearTimeout(timer);
  }, [complete, episode]);

  if (dismissed === episode || (complete && !freshlyComplete)) return null;
  return <FullPassBanner status={status} {...props} onDismiss={() => setDismissed(episode)} />;
}
