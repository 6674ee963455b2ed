import path from "node:path";
import { dataDir } from "../config/defaults.js";
import { resolveSecret, type SecretResolver } from "../config/secrets.js";
import type { ContentStoreConfig, DittoConfig, MetadataStoreConfig, SecretRef } from "../config/types.js";
import { FolderContentStore } from "../content/store/fs/folder.js";
import { FsContentStore } from "../content/store/fs/index.js";
import { MemoryContentStore } from "../content/store/memory/index.js";
import type { ContentStore } from "../content/store.js";
import { MemoryMetadataStore } from "../metadata/store/memory/index.js";
import { SqliteMetadataStore } from "../metadata/store/sqlite/index.js";
import type { MetadataStore } from "../metadata/store.js";
import type { Logger } from "../util/logger.js";

/** The named stores of a config, each opened once. */
export interface NamedStores {
  metadata: Map<string, MetadataStore>;
  content: Map<string, ContentStore>;
}

export interface StoreOptions {
  /** Resolves `secret:` references (the desktop's OS keychain); without it only env: and file: work. */
  secrets?: SecretResolver | null;
}

/**
 * Opens every store the config names. If one cannot be opened, those already open are closed
 * and the error says which store failed and why.
 */
export async function createStores(config: DittoConfig, logger: Logger, options: StoreOptions = {}): Promise<NamedStores> {
  const stores: NamedStores = { metadata: new Map(), content: new Map() };
  const secret = (ref: SecretRef) => resolveSecret(ref, options.secrets ?? null);
  try {
    for (const [name, spec] of Object.entries(config.metadata.stores)) {
      const store = await opening("metadata", name, `metadata store "${name}" (${describeMetadata(spec)})`, () =>
        openMetadataStore(spec, secret, logger.child({ store: name })),
      );
      stores.metadata.set(name, store);
      logger.info({ store: name, kind: spec.type, at: describeMetadata(spec) }, "metadata store open");
    }
    for (const [name, spec] of Object.entries(config.content.stores)) {
      const store = await opening("content", name, `content store "${name}" (${describeContent(spec)})`, () =>
        openContentStore(name, spec, secret, logger.child({ store: name })),
      );
      stores.content.set(name, store);
      logger.info({ store: name, kind: spec.type, at: describeContent(spec) }, "content store open");
    }
  } catch (err) {
    await closeStores(stores, logger);
    throw err;
  }
  return stores;
}

type Secret = (ref: SecretRef) => Promise<string>;

// The S3 and PostgreSQL stores (and their client libraries) load only when a config uses them:
// loading the AWS SDK alone took a quarter of a second, paid by every start of the desktop's host.

async function openMetadataStore(spec: MetadataStoreConfig, secret: Secret, logger: Logger): Promise<MetadataStore> {
  switch (spec.type) {
    case "sqlite":
      return SqliteMetadataStore.open({ path: spec.sqlite.path });
    case "postgres": {
      const pg = spec.postgres;
      const { PostgresMetadataStore } = await import("../metadata/store/postgres/index.js");
      return PostgresMetadataStore.open({
        host: pg.host,
        port: pg.port,
        database: pg.database,
        user: pg.user,
        password: pg.password ? await secret(pg.password) : undefined,
        maxConns: pg.maxConns,
        ssl: pg.ssl,
        connectTimeoutMs: pg.connectTimeout,
        logger,
      });
    }
    case "memory":
      return new MemoryMetadataStore();
  }
}

async function openContentStore(name: string, spec: ContentStoreConfig, secret: Secret, logger: Logger): Promise<ContentStore> {
  switch (spec.type) {
    case "fs": {
      const { fs } = spec;
      if (fs.layout === "opaque") return FsContentStore.open({ root: fs.path, maxOpenFiles: fs.maxOpenFiles });
      return FolderContentStore.open({
        root: fs.path,
        indexPath: fs.index ?? path.join(dataDir(), "folder-index", `${name}.db`),
        maxOpenFiles: fs.maxOpenFiles,
        revalidateMs: fs.revalidateAfter,
      });
    }
    case "s3": {
      const { s3, cache } = spec;
      const { S3ContentStore } = await import("../content/store/s3/index.js");
      const credentials =
        s3.accessKeyId !== null && s3.secretAccessKey !== null
          ? {
              accessKeyId: typeof s3.accessKeyId === "string" ? s3.accessKeyId : await secret(s3.accessKeyId),
              secretAccessKey: await secret(s3.secretAccessKey),
            }
          : undefined;
      return S3ContentStore.open({
        layout: s3.layout,
        listTtlMs: s3.listTtl,
        bucket: s3.bucket,
        prefix: s3.prefix,
        endpoint: s3.endpoint ?? undefined,
        region: s3.region,
        forcePathStyle: s3.forcePathStyle,
        credentials,
        requestTimeoutMs: s3.requestTimeout,
        connectTimeoutMs: s3.connectTimeout,
        concurrency: s3.concurrency,
        partSize: s3.partSize,
        cache: {
          dir: cache.path ?? path.join(dataDir(), "cache", name),
          maxBytes: cache.maxSize,
          minFreeBytes: cache.minFree,
          uploads: cache.uploads,
          uploadAfterMs: cache.uploadAfter,
          remoteTimeoutMs: cache.remoteTimeout,
          fullWaitMs: cache.fullWait,
          readAheadChunks: cache.readAhead,
          revalidateAfterMs: cache.revalidateAfter,
        },
        logger,
      });
    }
    case "memory":
      return new MemoryContentStore();
  }
}

/** Where a store lives, for messages and logs (never a secret). */
function describeMetadata(spec: MetadataStoreConfig): string {
  switch (spec.type) {
    case "sqlite":
      return `sqlite at ${spec.sqlite.path}`;
    case "postgres":
      return `postgres at ${spec.postgres.host}:${spec.postgres.port}/${spec.postgres.database}`;
    case "memory":
      return "memory";
  }
}

function describeContent(spec: ContentStoreConfig): string {
  switch (spec.type) {
    case "fs":
      return `fs at ${spec.fs.path}${spec.fs.layout === "folder" ? " (folder layout)" : ""}`;
    case "s3":
      return `s3://${spec.s3.bucket}/${spec.s3.prefix}${spec.s3.endpoint ? ` at ${spec.s3.endpoint}` : ""}`;
    case "memory":
      return "memory";
  }
}

/** A store the server could not open, named, so that an embedder can serve the other shares without it. */
export class StoreOpenError extends Error {
  override readonly name = "StoreOpenError";
  constructor(
    readonly kind: "metadata" | "content",
    readonly store: string,
    message: string,
    options: ErrorOptions,
  ) {
    super(message, options);
  }
}

async function opening<T>(kind: "metadata" | "content", name: string, what: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (err) {
    throw new StoreOpenError(kind, name, `cannot open ${what}: ${(err as Error).message}`, { cause: err });
  }
}

/** Closes each distinct store once; failures are logged and the first is rethrown after all tried. */
export async function closeStores(stores: NamedStores, logger: Logger): Promise<void> {
  const all = new Map<MetadataStore | ContentStore, string>();
  for (const [name, store] of stores.metadata) if (!all.has(store)) all.set(store, `metadata store "${name}"`);
  for (const [name, store] of stores.content) if (!all.has(store)) all.set(store, `content store "${name}"`);
  const results = await Promise.allSettled([...all.keys()].map((store) => store.close()));
  let firstError: unknown;
  results.forEach((result, index) => {
    if (result.status === "rejected") {
      const what = [...all.values()][index];
      logger.error({ err: result.reason }, `closing ${what} failed`);
      firstError ??= result.reason;
    }
  });
  if (firstError !== undefined) throw firstError;
}
