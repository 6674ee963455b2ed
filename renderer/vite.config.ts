/**
 * Bundles the settings UI into dist/renderer, which `dittofs serve` serves at `/` (see
 * core/control/http.ts) and the desktop app loads from disk: relative asset URLs work for both.
 */
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/renderer", import.meta.url)),
    emptyOutDir: true,
    // Everything is a file of its own: the CSP allows no inline script, style or data: script.
    assetsInlineLimit: 0,
  },
});
