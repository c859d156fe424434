import { useEffect, useState } from "react";
import { useLiveImportStatus } from "../api/use-live-import-status.ts";
import { useRetryFullPass } from "../api/retry-full-pass.ts";
import { FullPassBanner } from "./full-pass-banner.tsx";

/** How long the "deep memory is ready" note stays before the banner goes by itself. */
export const COMPLETE_NOTE_MS = 6_000;

/**
 * The live banner for the signed-in user: status from {@link useLiveImportStatus}, Retry through
 * {@link useRetryFullPass}. Dismissal is UI state, remembered per status episode so a new failure
 * shows again.
 */
export function DeepMemoryBanner({ userId }: { userId: string }) {
  const { data: status, error } = useLiveImportStatus(userId);
  const retry = useRetryFullPass(userId);
  const episode = status
    ? `${status.full_pass_status}:${status.full_pass_attempts ?? 0}:${status.full_pass_completed_at ?? ""}`
    : "";
  const [dismissed, setDismissed] = useState<string | null>(null);

  useEffect(() => {
    if (status?.full_pass_status !== "complete") return;
    const timer = setTimeout(() => setDismissed(episode), COMPLETE_NOTE_MS);
    return () => clearTimeout(timer);
  }, [status?.full_pass_status, episode]);

  if (error) {
    return (
      <p role="alert" className="banner banner-warning">
        {error.message}
      </p>
    );
  }
  if (!status || dismissed === episode) return null;
  return (
    <FullPassBanner
      status={status}
      retry={{
        onRetry: () => retry.mutate(),
        pending: retry.isPending,
        error: retry.isError ? retry.error.message : null,
      }}
      onDismiss={() => setDismissed(episode)}
      reuploadHref="/import"
    />
  );
}
