/** Most patterns one list may hold, and the longest pattern (as a file name: NAME_MAX). */
export const MAX_NAME_PATTERNS = 64;
export const MAX_NAME_PATTERN_LENGTH = 255;

/** Why `pattern` cannot be a name pattern, or null when it can. */
export function namePatternProblem(pattern: string): string | null {
  if (pattern === "") return "is empty";
  if (pattern.length > MAX_NAME_PATTERN_LENGTH) return `is longer than ${MAX_NAME_PATTERN_LENGTH} characters`;
  if (pattern.includes("/")) return 'contains "/" (a pattern matches one name, not a path)';
  if (pattern.includes("\0")) return "contains a NUL character";
  return null;
}

/**
 * File names matched against `*` (any run of characters, also none) and `?` (one character)
 * patterns, without case (Windows writes THUMBS.DB as readily as Thumbs.db). A pattern matches a
 * whole name, never part of a path. Patterns are compiled once into code-point arrays and matched
 * by the greedy two-pointer walk with one backtrack point (O(name × pattern) at worst), so a hostile
 * pattern like `*a*a*a*b` costs no more than that: no regular expression is ever built from it.
 */
export class NamePatterns {
  /** Patterns without wildcards, lower-cased: one set lookup. */
  private readonly exact = new Set<string>();
  private readonly wild: string[][] = [];

  private constructor(patterns: readonly string[]) {
    for (const pattern of patterns) {
      const problem = namePatternProblem(pattern);
      if (problem !== null) throw new Error(`name pattern ${JSON.stringify(pattern)} ${problem}`);
      const folded = pattern.toLowerCase();
      if (/[*?]/.test(folded)) this.wild.push(Array.from(folded));
      else this.exact.add(folded);
    }
  }

  /** Throws when there are too many patterns or one is not a valid name pattern. */
  static compile(patterns: readonly string[]): NamePatterns {
    if (patterns.length > MAX_NAME_PATTERNS) throw new Error(`at most ${MAX_NAME_PATTERNS} name patterns, got ${patterns.length}`);
    return new NamePatterns(patterns);
  }

  get empty(): boolean {
    return this.exact.size === 0 && this.wild.length === 0;
  }

  matches(name: string): boolean {
    const folded = name.toLowerCase();
    if (this.exact.has(folded)) return true;
    if (this.wild.length === 0) return false;
    const chars = Array.from(folded);
    return this.wild.some((pattern) => wildcardMatch(pattern, chars));
  }
}

/**
 * Whether `name` matches `pattern`, whose `*` stands for any run of characters (also none) and
 * `?` for one, compared as given (fold the case first). Strings compare by UTF-16 unit, arrays by
 * element (code points from Array.from). Greedy, backtracking only to the last `*`: O(name ×
 * pattern) at worst, never exponential.
 */
export function wildcardMatch(pattern: ArrayLike<string>, name: ArrayLike<string>): boolean {
  let p = 0;
  let n = 0;
  // Where the last `*` was and the name position it is currently standing in for.
  let star = -1;
  let starAt = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === "?" || (pattern[p] !== "*" && pattern[p] === name[n]))) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      starAt = n;
    } else if (star !== -1) {
      // Let the last `*` take one more character and try again from there.
      p = star + 1;
      n = ++starAt;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}
