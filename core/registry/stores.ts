import type { DittoConfig } from "../config/types.js";
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

/**
 * Opens every store the config names. If one cannot be opened, those already open are closed
 * and the error says which store failed and why.
 */
export async function createStores(config: DittoConfig, logger: Logger): Promise<NamedStores> {
  const stores: NamedStores = { metadata: new Map(), content: new Map() };
  try {
    for (const [name, spec] of Object.entries(config.metadata.stores)) {
      const where = spec.type === "sqlite" ? ` at ${spec.sqlite.path}` : "";
      const store = await opening(`metadata store "${name}" (${spec.type}${where})`, async () =>
        spec.type === "sqlite" ? SqliteMetadataStore.open({ path: spec.sqlite.path }) : new MemoryMetadataStore(),
      );
      stores.metadata.set(name, store);
      logger.info({ store: name, kind: spec.type, path: spec.type === "sqlite" ? spec.sqlite.path : undefined }, "metadata store open");
    }
    for (const [name, spec] of Object.entries(config.content.stores)) {
      const where = spec.type === "fs" ? ` at ${spec.fs.path}` : "";
      const store = await opening(`content store "${name}" (${spec.type}${where})`, async () =>
        spec.type === "fs"
          ? FsContentStore.open({ root: spec.fs.path, maxOpenFiles: spec.fs.maxOpenFiles })
          : new MemoryContentStore(),
      );
      stores.content.set(name, store);
      logger.info({ store: name, kind: spec.type, path: spec.type === "fs" ? spec.fs.path : undefined }, "content store open");
    }
  } catch (err) {
    await closeStores(stores, logger);
    throw err;
  }
  return stores;
}

async function opening<T>(what: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (err) {
    throw new Error(`cannot open ${what}: ${(err as Error).message}`, { cause: err });
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
