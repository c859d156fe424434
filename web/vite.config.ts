import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** The Engram web app. `npm start` serves it on 5173 against the local stack. */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  server: { host: "127.0.0.1", port: 5173, strictPort: true, fs: { allow: [".."] } },
  preview: { host: "127.0.0.1", port: 4173, strictPort: true },
  worker: { format: "es" },
  build: { outDir: "dist", emptyOutDir: true },
});
