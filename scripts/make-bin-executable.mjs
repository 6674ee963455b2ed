/* global process */
/**
 * Run after tsc (`npm run build`): tsc emits files without the executable bit, but the package's
 * `bin` entries are run directly (`npx dittofs`, a global install's symlink). Adds the execute
 * bit for whoever may read the file; on Windows, which has no such bit, this changes nothing.
 */
import { chmodSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8"));
const bins = typeof pkg.bin === "string" ? [pkg.bin] : Object.values(pkg.bin ?? {});

for (const bin of bins) {
  const path = resolve(root, bin);
  let mode;
  try {
    mode = statSync(path).mode;
  } catch {
    process.stderr.write(`make-bin-executable: ${bin} (a "bin" of package.json) was not built\n`);
    process.exit(1);
  }
  // Each read bit (0o4 per class) shifted onto its execute bit (0o1): 0644 → 0755, 0600 → 0700.
  chmodSync(path, (mode & 0o7777) | ((mode & 0o444) >> 2));
}
