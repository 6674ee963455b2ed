/**
 * Bundles the preload into one CommonJS file, dist/electron/preload.cjs: a sandboxed preload may
 * require("electron") and nothing else, so its own modules travel inside it.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    outDir: fileURLToPath(new URL("../dist/electron", import.meta.url)),
    emptyOutDir: false,
    minify: false,
    sourcemap: true,
    lib: { entry: fileURLToPath(new URL("preload.ts", import.meta.url)), formats: ["cjs"], fileName: () => "preload.cjs" },
    rollupOptions: { external: ["electron"] },
  },
});
