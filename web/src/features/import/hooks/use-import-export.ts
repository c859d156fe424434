import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useCallback, useRef, useState } from "react";
import { supabaseUrl } from "../../../lib/supabase.ts";
import { useSupabase } from "../../../lib/supabase-context.tsx";
import { importStatusKeys } from "../../import-status/api/query-keys.ts";
import { importKeys } from "../api/query-keys.ts";
import { startNormalizeWorker } from "../worker/start-normalize-worker.ts";
import { initialProgress, runImport, type ImportProgress } from "../api/run-import.ts";

/**
 * Imports a chosen export: a mutation around {@link runImport} (worker → shards → Storage →
 * import-trigger), plus the live progress of the running import (client state: it exists only
 * in this tab while the file is read) and a cancel. Cancelling keeps what is stored; picking the
 * same file again resumes.
 */
export function useImportExport(userId: string) {
  const client = useSupabase();
  const queryClient = useQueryClient();
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const controller = useRef<AbortController | null>(null);

  const mutation = useMutation({
    mutationKey: importKeys.trigger(userId),
    mutationFn: async (file: File) => {
      controller.current?.abort();
      const abort = new AbortController();
      controller.current = abort;
      setProgress(initialProgress(file.size));
      return await runImport(
        { client, supabaseUrl, userId, storage: window.localStorage, startWorker: startNormalizeWorker },
        file,
        { signal: abort.signal, onProgress: setProgress },
      );
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: importStatusKeys.detail(userId) }),
  });

  const cancel = useCallback(() => {
    controller.current?.abort(new DOMException("The import was cancelled.", "AbortError"));
  }, []);

  const cancelled = mutation.error instanceof DOMException && mutation.error.name === "AbortError";
  return { ...mutation, progress, cancel, cancelled };
}
