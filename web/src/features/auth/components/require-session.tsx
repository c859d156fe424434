import type { Session } from "@supabase/supabase-js";
import type { ReactNode } from "react";
import { AuthForm } from "./auth-form.tsx";
import { useSession } from "../api/use-session.ts";

/** Renders `children(session)` for a signed-in person, the sign-in form otherwise. */
export function RequireSession({ children }: { children: (session: Session) => ReactNode }) {
  const { data: session, isPending } = useSession();
  if (isPending) return <p aria-busy="true">Loading…</p>;
  if (!session) return <AuthForm />;
  return <>{children(session)}</>;
}
