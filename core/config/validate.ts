import { homedir } from "node:os";
import path from "node:path";
import type { z } from "zod";
import { ConfigError, formatPath, type ConfigIssue } from "./errors.js";
import { configSchema } from "./schema.js";
import type { DittoConfig } from "./types.js";

/** Where the problem sits, as key-path segments; turned into a line number when the source is YAML. */
export interface LocatedIssue {
  segments: PropertyKey[];
  message: string;
}

export interface ValidateOptions {
  /** Relative store paths resolve against this directory (the config file's); default: cwd. */
  baseDir?: string;
  /** Finds the source line of a key path, when the config came from a document. */
  locate?: (segments: readonly PropertyKey[]) => number | undefined;
}

/**
 * Validates a plain object shaped like the YAML config (snake_case keys) and returns the typed
 * config, or throws ConfigError listing every problem found.
 */
export function validateConfig(raw: unknown, sourceName: string, options: ValidateOptions = {}): DittoConfig {
  const fail = (located: LocatedIssue[]): never => {
    const issues = located.map((issue) => toConfigIssue(issue, options.locate));
    // Report in file order; issues without a line (missing sections) keep their place at the end.
    issues.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
    throw new ConfigError(sourceName, issues);
  };
  if (raw === null || raw === undefined) {
    fail([{ segments: [], message: "the config is empty: expected a mapping with metadata, content and shares" }]);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) fail(parsed.error.issues.flatMap(fromZodIssue));
  const config = parsed.data!;
  const problems = crossReferenceIssues(config);
  if (problems.length > 0) fail(problems);
  return resolveStorePaths(config, options.baseDir ?? process.cwd());
}

function toConfigIssue(issue: LocatedIssue, locate: ValidateOptions["locate"]): ConfigIssue {
  const line = locate?.(issue.segments);
  const result: ConfigIssue = { path: formatPath(issue.segments), message: issue.message };
  if (line !== undefined) result.line = line;
  return result;
}

function fromZodIssue(issue: z.core.$ZodIssue): LocatedIssue[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ segments: [...issue.path, key], message: issue.message }));
  }
  return [{ segments: [...issue.path], message: issue.message }];
}

/** What the schema cannot see alone: references between sections, duplicates, port clashes. */
function crossReferenceIssues(config: DittoConfig): LocatedIssue[] {
  const issues: LocatedIssue[] = [];
  const metadataStores = Object.keys(config.metadata.stores);
  const contentStores = Object.keys(config.content.stores);
  const firstIndexOf = new Map<string, number>();
  const bucketUser = new Map<string, number>();
  config.shares.forEach((share, index) => {
    const content = config.content.stores[share.contentStore];
    if (content?.type === "s3" && content.s3.layout === "bucket") {
      // The bucket's keys are the share's paths: a second share would be a second tree over the same keys.
      const user = bucketUser.get(share.contentStore);
      if (user === undefined) bucketUser.set(share.contentStore, index);
      else {
        issues.push({
          segments: ["shares", index, "content_store"],
          message: `content store ${JSON.stringify(share.contentStore)} has the bucket layout and already backs shares[${user}] (give each share its own bucket or prefix)`,
        });
      }
    }
    if (config.metadata.stores[share.metadataStore]?.type === "postgres" && content?.type === "s3") {
      // PostgreSQL is how several servers share one tree: only the opaque layout keeps the tree
      // out of the bucket's keys, and only remote durability keeps what a server acknowledged
      // from dying with that server's disk.
      if (content.s3.layout !== "opaque") {
        issues.push({
          segments: ["content", "stores", share.contentStore, "s3", "layout"],
          message: `must be "opaque" for shares[${index}], whose metadata store is PostgreSQL (shared by several servers), got "${content.s3.layout}"`,
        });
      }
      if (share.durability !== "remote") {
        issues.push({
          segments: ["shares", index, "durability"],
          message: `must be "remote" on a share with PostgreSQL metadata and S3 content (several servers share it: a COMMIT must reach S3), got "${share.durability}"`,
        });
      }
    }
    if (!metadataStores.includes(share.metadataStore)) {
      issues.push({
        segments: ["shares", index, "metadata_store"],
        message: `unknown metadata store ${JSON.stringify(share.metadataStore)} (expected one of: ${metadataStores.join(", ")})`,
      });
    }
    if (!contentStores.includes(share.contentStore)) {
      issues.push({
        segments: ["shares", index, "content_store"],
        message: `unknown content store ${JSON.stringify(share.contentStore)} (expected one of: ${contentStores.join(", ")})`,
      });
    }
    const first = firstIndexOf.get(share.name);
    if (first === undefined) firstIndexOf.set(share.name, index);
    else {
      issues.push({
        segments: ["shares", index, "name"],
        message: `duplicate share name ${JSON.stringify(share.name)} (already used by shares[${first}])`,
      });
    }
  });

  const { nfs, portmap, smb } = config.adapters;
  if (!nfs.enabled && !smb.enabled) {
    issues.push({ segments: ["adapters", "nfs", "enabled"], message: "no protocol adapter is enabled: expected true here or in adapters.smb.enabled" });
  }
  if (smb.enabled) {
    const smbNames = new Map<string, number>();
    config.shares.forEach((share, index) => {
      const key = share.smb.name.toUpperCase();
      const first = smbNames.get(key);
      if (first === undefined) smbNames.set(key, index);
      else {
        issues.push({
          segments: ["shares", index, "smb", "name"],
          message: `SMB share name ${JSON.stringify(share.smb.name)} is already used by shares[${first}] (SMB names compare without case; set smb.name)`,
        });
      }
    });
    const taken = [nfs.enabled ? nfs.port : null, nfs.enabled ? nfs.mountPort : null, portmap.enabled ? portmap.port : null];
    if (smb.port !== 0 && taken.includes(smb.port)) {
      issues.push({ segments: ["adapters", "smb", "port"], message: `already used by another adapter, got ${smb.port}` });
    }
  }
  if (nfs.mountPort !== null && nfs.mountPort !== 0 && nfs.mountPort === nfs.port) {
    issues.push({
      segments: ["adapters", "nfs", "mount_port"],
      message: `must differ from adapters.nfs.port (MOUNT is always served on the NFS port too), got ${nfs.mountPort}`,
    });
  }
  if (portmap.enabled && portmap.port !== 0) {
    const clash = portmap.port === nfs.port ? "adapters.nfs.port" : portmap.port === nfs.mountPort ? "adapters.nfs.mount_port" : null;
    if (clash !== null) {
      issues.push({ segments: ["adapters", "portmap", "port"], message: `already used by ${clash}, got ${portmap.port}` });
    }
  }
  return issues;
}

function resolveStorePaths(config: DittoConfig, baseDir: string): DittoConfig {
  const resolve = (p: string) => {
    const expanded = p === "~" ? homedir() : p.startsWith("~/") ? path.join(homedir(), p.slice(2)) : p;
    return path.resolve(baseDir, expanded);
  };
  const metadata = Object.fromEntries(
    Object.entries(config.metadata.stores).map(([name, store]) => [
      name,
      store.type === "sqlite" ? { ...store, sqlite: { path: resolve(store.sqlite.path) } } : store,
    ]),
  );
  const content = Object.fromEntries(
    Object.entries(config.content.stores).map(([name, store]) => [
      name,
      store.type === "fs"
        ? { ...store, fs: { ...store.fs, path: resolve(store.fs.path), index: store.fs.index === null ? null : resolve(store.fs.index) } }
        : store.type === "s3" && store.cache.path !== null
          ? { ...store, cache: { ...store.cache, path: resolve(store.cache.path) } }
          : store,
    ]),
  );
  return { ...config, metadata: { stores: metadata }, content: { stores: content } };
}
