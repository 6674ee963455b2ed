/** The host's log file: `<logs>/dittofs.log`, kept bounded by moving a big one aside at start. */
import { mkdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";

export const LOG_FILE = "dittofs.log";
/** A log larger than this at start becomes dittofs.log.1 (replacing the one there): at most twice this on disk. */
export const MAX_LOG_BYTES = 10 * 1024 * 1024;

/** Makes the folder, moves a log over `maxBytes` to `<name>.1`, and returns the log's path. */
export function prepareLogFile(dir: string, maxBytes = MAX_LOG_BYTES): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOG_FILE);
  const size = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  if (size > maxBytes) renameSync(path, `${path}.1`);
  return path;
}
