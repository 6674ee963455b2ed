/** One problem found in a config: where (key path, line when known) and what was expected. */
export interface ConfigIssue {
  /** Key path as written in YAML, e.g. "shares[0].metadata_store"; "(top level)" for the document. */
  path: string;
  message: string;
  /** 1-based line in the source file, when the problem can be located. */
  line?: number;
}

/** A config that cannot be used. `message` lists every issue, one per line. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(`invalid config ${source}:\n${issues.map((issue) => `  ${formatIssue(source, issue)}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** "dittofs.yaml:12: shares[0].metadata_store: unknown metadata store …" */
export function formatIssue(source: string, issue: ConfigIssue): string {
  const where = issue.line === undefined ? `${source}: ` : `${source}:${issue.line}: `;
  return `${where}${issue.path}: ${issue.message}`;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** ["shares", 0, "root", "mode"] → "shares[0].root.mode". */
export function formatPath(segments: readonly PropertyKey[]): string {
  let path = "";
  for (const segment of segments) {
    if (typeof segment === "number") path += `[${segment}]`;
    else if (IDENTIFIER.test(String(segment))) path += path === "" ? String(segment) : `.${String(segment)}`;
    else path += `[${JSON.stringify(String(segment))}]`;
  }
  return path === "" ? "(top level)" : path;
}

/** How a received value is shown in messages: strings quoted, structures named. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}
