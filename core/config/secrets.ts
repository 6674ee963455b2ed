import { readFile } from "node:fs/promises";
import type { SecretRef } from "./types.js";

/**
 * Resolves `secret:NAME` references: the host's secret store (the desktop plugs in the OS
 * keychain). Returns null when it has no such secret.
 */
export interface SecretResolver {
  resolve(name: string): Promise<string | null>;
}

const REF = /^(env|file|secret):(.+)$/;

/** "env:NAME", "file:/path" or "secret:NAME" as a SecretRef; undefined for anything else. */
export function parseSecretRef(text: string): SecretRef | undefined {
  const match = REF.exec(text.trim());
  if (!match) return undefined;
  const name = match[2]!.trim();
  if (name === "") return undefined;
  if (match[1] === "env" && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
  return { from: match[1] as SecretRef["from"], name };
}

export function describeSecretRef(ref: SecretRef): string {
  return `${ref.from}:${ref.name}`;
}

/**
 * The secret a reference names. Errors say which reference could not be resolved and why,
 * never anything about the value.
 */
export async function resolveSecret(ref: SecretRef, resolver: SecretResolver | null, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const where = describeSecretRef(ref);
  switch (ref.from) {
    case "env": {
      const value = env[ref.name];
      if (value === undefined || value === "") throw new Error(`secret ${where}: environment variable ${ref.name} is not set`);
      return value;
    }
    case "file": {
      let text: string;
      try {
        text = await readFile(ref.name, "utf8");
      } catch (err) {
        throw new Error(`secret ${where}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? "error"})`, { cause: err });
      }
      // Files written by editors and secret managers often end in a newline that is not part of the secret.
      const value = text.replace(/\r?\n$/, "");
      if (value === "") throw new Error(`secret ${where}: the file is empty`);
      return value;
    }
    case "secret": {
      if (!resolver) throw new Error(`secret ${where}: no secret store is available here (use env: or file: with dittofs serve)`);
      const value = await resolver.resolve(ref.name);
      if (value === null || value === "") throw new Error(`secret ${where}: not found in the secret store`);
      return value;
    }
  }
}
