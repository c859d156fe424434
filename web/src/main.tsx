import { QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/app.tsx";
import { createQueryClient } from "./lib/query-client.ts";
import { supabase } from "./lib/supabase.ts";
import { SupabaseProvider } from "./lib/supabase-context.tsx";
import "./styles.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <SupabaseProvider client={supabase}>
      <QueryClientProvider client={createQueryClient()}>
        <App />
      </QueryClientProvider>
    </SupabaseProvider>
  </StrictMode>,
);
