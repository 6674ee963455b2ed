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
  // Greedy matching with backtracking to the last "*": linear in practice, never exponential.
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (i < n.length) {
    if (j < p.length && (p[j] === "?" || p[j] === n[i])) {
      i++;
      j++;
    } else if (j < p.length && p[j] === "*") {
      star = j++;
      mark = i;
    } else if (star !== -1) {
      j = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (j < p.length && p[j] === "*") j++;
  return j === p.length;
}
