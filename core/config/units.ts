/** Human-friendly sizes ("64MiB") and durations ("10s") used in the YAML config. */

const SIZE_UNITS: ReadonlyMap<string, number> = new Map([
  ["", 1],
  ["b", 1],
  ["kb", 1e3],
  ["mb", 1e6],
  ["gb", 1e9],
  ["tb", 1e12],
  ["kib", 2 ** 10],
  ["mib", 2 ** 20],
  ["gib", 2 ** 30],
  ["tib", 2 ** 40],
]);

const DURATION_UNITS: ReadonlyMap<string, number> = new Map([
  ["ms", 1],
  ["s", 1000],
  ["m", 60_000],
  ["h", 3_600_000],
]);

const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;
const DURATION = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i;

/**
 * Bytes for a size: a non-negative integer, or a string such as "512KiB", "64MiB", "1.5GiB",
 * "100MB" (KiB/MiB/GiB/TiB are powers of 1024, KB/MB/GB/TB powers of 1000, case-insensitive).
 * Undefined for anything else.
 */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
  if (typeof value !== "string") return undefined;
  const match = SIZE.exec(value.trim());
  if (!match) return undefined;
  const multiplier = SIZE_UNITS.get(match[2]!.toLowerCase());
  if (multiplier === undefined) return undefined;
  const bytes = Math.round(Number(match[1]) * multiplier);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/**
 * Milliseconds for a duration: a non-negative number of milliseconds, or a string with a unit
 * such as "500ms", "10s", "1.5m", "1h". Undefined for anything else.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  }
  if (typeof value !== "string") return undefined;
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const multiplier = DURATION_UNITS.get(match[2]!.toLowerCase());
  if (multiplier === undefined) return undefined;
  const ms = Math.round(Number(match[1]) * multiplier);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** "64MiB", "1.5GiB", "300B": the shortest binary form, for messages and status lines. */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = Number.isInteger(value) ? String(value) : value.toFixed(1).replace(/\.0$/, "");
  return `${text}${units[unit]}`;
}
