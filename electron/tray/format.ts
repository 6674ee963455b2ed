/** Short texts for the tray: counts with their noun, sizes people read. */

/** "1 file", "3 files". */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

const SIZE_UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];

/**
 * Decimal units, as Finder and most file managers show them: "512 B", "1.5 MB", "12 MB".
 * One decimal below 10 of a unit, none above, so the status line stays short.
 */
export function humanSize(bytes: number): string {
  let value = Number.isFinite(bytes) ? Math.max(0, bytes) : 0;
  for (let unit = 0; ; unit++) {
    const text = unit === 0 || value >= 10 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, "");
    // Rounding decides the unit: 999.6 KB reads "1 MB", not "1000 KB".
    if (Number(text) < 1000 || unit === SIZE_UNITS.length - 1) return `${text} ${SIZE_UNITS[unit]}`;
    value /= 1000;
  }
}

/** A delay in whole seconds, rounded up: "8 s". */
export function seconds(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))} s`;
}

/** Keeps error messages from stretching a menu across the screen. */
export function clip(text: string, max = 80): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}
