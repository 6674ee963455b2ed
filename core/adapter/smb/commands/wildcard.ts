import { wildcardMatch } from "../../../util/name-patterns.js";

/**
 * Windows search patterns (MS-FSA §2.1.4.4): "*" and "?", and the DOS forms clients send for
 * them — "<" (DOS_STAR), ">" (DOS_QM), '"' (DOS_DOT) — matched without case. "*" and "*.*" match
 * every name, as on Windows.
 */
export function matchesPattern(name: string, pattern: string): boolean {
  if (pattern === "*" || pattern === "*.*" || pattern === "<.*") return true;
  const p = pattern.replace(/</g, "*").replace(/>/g, "?").replace(/"/g, ".").toUpperCase();
  const n = name.toUpperCase();
  if (!/[*?]/.test(p)) return p === n;
  return wildcardMatch(p, n);
}
