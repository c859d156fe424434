import type { SupabaseClient } from "@supabase/supabase-js";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useSupabase } from "../../../lib/supabase-context.tsx";
import { authKeys } from "./query-keys.ts";

/** Email + password credentials. */
export interface Credentials {
  email: string;
  password: string;
}

/** What the auth form can ask for. */
export type AuthAction = "sign-in" | "sign-up" | "anonymous";

const MESSAGES: Record<string, string> = {
  invalid_credentials: "That email and password don't match an account.",
  user_already_exists: "An account with this email already exists — sign in instead.",
  weak_password: "Choose a longer password (at least 6 characters).",
  anonymous_provider_disabled: "Trying without an account is not enabled here.",
  validation_failed: "Check the email address.",
};

/** Signs in, signs up or starts an anonymous session; errors carry a readable message. */
export async function authenticate(client: SupabaseClient, action: AuthAction, credentials?: Credentials) {
  const result =
    action === "anonymous"
      ? await client.auth.signInAnonymously()
      : action === "sign-up"
        ? await client.auth.signUp(credentials!)
        : await client.auth.signInWithPassword(credentials!);
  if (result.error) {
    const code = (result.error as { code?: string }).code ?? "";
    throw new Error(MESSAGES[code] ?? result.error.message);
  }
  if (!result.data.session) throw new Error("Check your inbox to confirm your email, then sign in.");
  return result.data.session;
}

export function useAuthenticate() {
  const client = useSupabase();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ action, credentials }: { action: AuthAction; credentials?: Credentials }) =>
      authenticate(client, action, credentials),
    onSuccess: (session) => queryClient.setQueryData(authKeys.session, session),
  });
}
