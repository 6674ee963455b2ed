import { readFile } from "node:fs/promises";
import path from "node:path";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Node } from "yaml";
import { ConfigError } from "./errors.js";
import type { DittoConfig } from "./types.js";
import { validateConfig } from "./validate.js";

export interface ParseOptions {
  /** Relative store paths resolve against this directory; default: cwd. */
  baseDir?: string;
}

/** Reads, parses and validates a YAML config file; relative store paths resolve against its folder. */
export async function loadConfig(file: string): Promise<DittoConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new ConfigError(file, [{ path: "(file)", message: `cannot read the config: ${reason}` }]);
  }
  return parseConfig(text, file, { baseDir: path.dirname(path.resolve(file)) });
}

/** Parses and validates YAML text; `sourceName` (a file name) prefixes every message. */
export function parseConfig(text: string, sourceName: string, options: ParseOptions = {}): DittoConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      sourceName,
      doc.errors.map((err) => {
        const line = err.linePos?.[0].line;
        // The first line of a pretty YAML error is the message; its position is shown as the line.
        const message = err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
        const issue = { path: "(yaml)", message };
        return line === undefined ? issue : { ...issue, line };
      }),
    );
  }
  readLeadingZeroModesAsOctal(doc.contents);
  const locate = (segments: readonly PropertyKey[]): number | undefined => {
    const offset = offsetOf(doc.contents, segments);
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  return validateConfig(doc.toJS({ maxAliasCount: 100 }), sourceName, { ...options, locate });
}

/**
 * YAML 1.2 reads `mode: 0755` as decimal 755; people writing a mode mean octal, as chmod does.
 * A plain `mode` scalar with a leading zero is therefore handed to the schema as an octal string.
 */
function readLeadingZeroModesAsOctal(root: Node | null): void {
  if (root === null) return;
  visit(root, {
    Pair(_key, pair) {
      if (isScalar(pair.key) && pair.key.value === "mode" && isScalar(pair.value)) {
        const source = pair.value.source;
        if (pair.value.type === "PLAIN" && typeof source === "string" && /^0[0-7]+$/.test(source)) {
          pair.value.value = source;
        }
      }
    },
  });
}

/**
 * Source offset of the deepest node on the key path (the key itself for mapping entries), so a
 * missing key points at its parent. Undefined when not even the first segment exists.
 */
function offsetOf(root: Node | null, segments: readonly PropertyKey[]): number | undefined {
  let node: unknown = root;
  let offset = isNodeWithRange(root) && segments.length === 0 ? root.range[0] : undefined;
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      if (isNodeWithRange(pair.key)) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (!isNodeWithRange(item)) break;
      offset = item.range[0];
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

function isNodeWithRange(value: unknown): value is { range: [number, number, number] } {
  return typeof value === "object" && value !== null && Array.isArray((value as { range?: unknown }).range);
}
