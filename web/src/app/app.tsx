import type { Session } from "@supabase/supabase-js";
import { lazy, Suspense } from "react";
import { BrowserRouter, Navigate, NavLink, Route, Routes } from "react-router-dom";
import { useSignOut } from "../features/auth/api/sign-out.ts";
import { RequireSession } from "../features/auth/components/require-session.tsx";
import { DeepMemoryBanner } from "../features/import-status/components/deep-memory-banner.tsx";

const ImportPage = lazy(() => import("../features/import/components/import-page.tsx"));
const ChatPage = lazy(() => import("../features/chat/components/chat-page.tsx"));
const MemoryPage = lazy(() => import("../features/memory/components/memory-page.tsx"));

function Shell({ session }: { session: Session }) {
  const signOut = useSignOut();
  const userId = session.user.id;
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Engram</span>
        <nav aria-label="Main">
          <NavLink to="/chat">Chat</NavLink>
          <NavLink to="/import">Import</NavLink>
          <NavLink to="/memory">Memory</NavLink>
        </nav>
        <span className="who">{session.user.email || "Guest"}</span>
        <button type="button" className="link" onClick={() => signOut.mutate()}>
          Sign out
        </button>
      </header>
      <DeepMemoryBanner userId={userId} />
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p aria-busy="true">Loading…</p>}>
          <Routes>
            <Route path="/import" element={<ImportPage userId={userId} />} />
            <Route path="/chat" element={<ChatPage userId={userId} />} />
            <Route path="/memory" element={<MemoryPage userId={userId} />} />
            <Route path="*" element={<Navigate to="/chat" replace />} />
          </Routes>
        </Suspense>
      </main>
    </div>
  );
}

/** The app: everything behind a session; routes for chat, import and memory. */
export function App() {
  return (
    <BrowserRouter>
      <RequireSession>{(session) => <Shell session={session} />}</RequireSession>
    </BrowserRouter>
  );
}
