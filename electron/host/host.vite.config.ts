/**
 * Bundles the core host into dist/electron/host/host-main.js (replacing tsc's output there): one
 * file loads in a fraction of the time the few hundred modules of the core take one by one. The
 * native modules stay outside, and so do the AWS SDK and pg, which the core imports lazily (their
 * importers become chunks beside it, loaded when an S3 or PostgreSQL share needs them).
 */
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const EXTERNAL = [/^node:/, ...builtinModules.map((name) => new RegExp(`^${name}(/|$)`)), /^better-sqlite3$/, /^@napi-rs\/keyring(\/|$)/, /^pg(\/|$)/, /^@aws-sdk\//];

export default defineConfig({
  build: {
    ssr: fileURLToPath(new URL("host-main.ts", import.meta.url)),
    outDir: fileURLToPath(new URL("../../dist/electron/host", import.meta.url)),
    emptyOutDir: false,
    minify: false,
    sourcemap: true,
    target: "node20",
    rollupOptions: {
      external: EXTERNAL,
      output: { format: "esm", entryFileNames: "host-main.js", chunkFileNames: "host-chunks/[name].js" },
    },
  },
  ssr: { noExternal: true, target: "node" },
});
