import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { RemoteCacheStatus } from "../content/remote-status.js";
import type { DittoConfig, ShareConfig } from "../config/types.js";
import { ContentService } from "../content/service.js";
import type { ContentStore } from "../content/store.js";
import { WriteLeases } from "../content/write-leases.js";
import { fsError } from "../errors.js";
import { MetadataService } from "../metadata/service.js";
import type { MetadataStore } from "../metadata/store.js";
import type { FileId } from "../metadata/types.js";
import type { Logger } from "../util/logger.js";
import { NamePatterns } from "../util/name-patterns.js";
import { ClientCaches } from "./client-caches.js";
import { RegistryContentCoordinator } from "./content-coordinator.js";
import { handleKeyFor, handleShareId, ShareHandles, shareIdFor } from "./handle.js";
import { ConfiguredShare, type Share } from "./share.js";
import { closeStores, createStores, type NamedStores, type StoreOptions } from "./stores.js";

/** The metadata store secret that file handle keys are derived from. */
const HANDLE_SECRET = "file-handles";

export interface ResolvedHandle {
  share: Share;
  fileId: FileId;
}

export interface RegistryOptions {
  logger: Logger;
  /** Named stores; the registry owns them from now on and closes them in close(). */
  stores: NamedStores;
  shares: readonly ShareConfig[];
  /** Write-back cache size of the ContentService. */
  maxDirtyBytes: number;
  /** Age at which cached unstable writes are written back with no COMMIT (default 5 s). */
  flushAfterMs?: number;
}

/**
 * Named stores, shares → stores, and file handle → share. Owns the MetadataService and the
 * ContentService and registers every share in both; a store named by several shares is one
 * instance serving all of them.
 */
export class Registry {
  private readonly byName = new Map<string, ConfiguredShare>();
  private readonly byId = new Map<number, ConfiguredShare>();
  /** Write leases of the shares several servers share (see leasesFor). */
  private readonly leases: WriteLeases[] = [];
  /** This server in lease tables other servers read: host, process and a random part. */
  private readonly serverId = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  /** Each share's file handles (signed with the share's key), by share id. */
  private readonly handles = new Map<number, ShareHandles>();
  private closing: Promise<void> | null = null;
  /** SMB oplocks and leases, which NFS reads and writes break (see ClientCaches). */
  readonly clientCaches = new ClientCaches();

  private constructor(
    private readonly logger: Logger,
    private readonly stores: NamedStores,
    private readonly metadataService: MetadataService,
    private readonly contentService: ContentService,
    private readonly coordinator: RegistryContentCoordinator,
  ) {}

  /** Opens the config's stores and registers its shares. */
  static async fromConfig(config: DittoConfig, logger: Logger, options: StoreOptions = {}): Promise<Registry> {
    const stores = await createStores(config, logger, options);
    return Registry.create({
      logger,
      stores,
      shares: config.shares,
      maxDirtyBytes: config.cache.maxDirtyBytes,
      flushAfterMs: config.cache.flushAfter,
    });
  }

  /**
   * Registers the shares over already open stores. On any failure (unknown store, duplicate
   * name, two share names hashing to one id, a root that cannot be created) every store is
   * closed and the error rethrown.
   */
  static async create(options: RegistryOptions): Promise<Registry> {
    const { logger, stores } = options;
    const content = new ContentService(logger.child({ component: "content" }), {
      maxDirtyBytes: options.maxDirtyBytes,
      flushAfterMs: options.flushAfterMs,
    });
    const coordinator = new RegistryContentCoordinator(content, logger.child({ component: "content" }));
    const metadata = new MetadataService(logger.child({ component: "metadata" }), coordinator);
    const registry = new Registry(logger, stores, metadata, content, coordinator);
    try {
      for (const config of options.shares) await registry.addShare(config);
    } catch (err) {
      await closeStores(stores, logger).catch(() => {});
      throw err;
    }
    return registry;
  }

  private async addShare(config: ShareConfig): Promise<void> {
    const metadataStore = this.stores.metadata.get(config.metadataStore);
    if (!metadataStore) throw new Error(`share ${config.name}: unknown metadata store "${config.metadataStore}"`);
    const contentStore = this.stores.content.get(config.contentStore);
    if (!contentStore) throw new Error(`share ${config.name}: unknown content store "${config.contentStore}"`);
    if (this.byName.has(config.name)) throw new Error(`share ${config.name} is configured twice`);
    const id = shareIdFor(config.name);
    const clash = this.byId.get(id);
    if (clash) {
      // Handles carry only the id, so two shares with one id could not be told apart.
      throw new Error(`shares ${clash.name} and ${config.name} have the same share id ${id}; rename one of them`);
    }
    const share = new ConfiguredShare(id, config);
    // A bucket-layout S3 store brings the namespace (the bucket's keys) and caches it in the metadata store.
    const namespace = contentStore.namespace?.(metadataStore, { uid: config.root.uid, gid: config.root.gid }) ?? metadataStore;
    const leases = this.leasesFor(config.name, metadataStore, contentStore);
    await this.metadataService.registerShare({
      name: config.name,
      store: namespace,
      readOnly: config.readOnly,
      rootUid: config.root.uid,
      rootGid: config.root.gid,
      rootMode: config.root.mode,
      // Only a store with a remote side has anywhere else to keep litter (the folder layout would
      // need the names out of the user's folder too; memory and fs content is local anyway). On a
      // share several servers share, the others could not read it: it goes to the bucket there.
      localNames: contentStore.place && !leases ? NamePatterns.compile(config.litter) : undefined,
    });
    this.contentService.registerShare(config.name, contentStore, config.durability, leases);
    this.handles.set(id, new ShareHandles(handleKeyFor(await metadataStore.secret(HANDLE_SECRET), config.name), id));
    this.byName.set(share.name, share);
    this.byId.set(id, share);
    this.logger.info(
      { share: share.name, id, metadataStore: config.metadataStore, contentStore: config.contentStore, readOnly: share.readOnly },
      "share registered",
    );
  }

  /**
   * Write leases for a share that several servers share: a metadata store that leases (PostgreSQL)
   * over content with a remote side (S3). None (undefined) for a share one server owns.
   */
  private leasesFor(share: string, metadataStore: MetadataStore, contentStore: ContentStore): WriteLeases | undefined {
    const { acquireLease, releaseLease } = metadataStore;
    if (!acquireLease || !releaseLease || !contentStore.waitRemote) return undefined;
    const table = { acquireLease: acquireLease.bind(metadataStore), releaseLease: releaseLease.bind(metadataStore) };
    const leases = new WriteLeases(table, this.serverId, (contentId) => this.contentService.settle(share, contentId), this.logger.child({ share }));
    this.leases.push(leases);
    return leases;
  }

  get metadata(): MetadataService {
    return this.metadataService;
  }

  get content(): ContentService {
    return this.contentService;
  }

  shares(): ConfiguredShare[] {
    return [...this.byName.values()];
  }

  share(name: string): ConfiguredShare | undefined {
    return this.byName.get(name);
  }

  /**
   * The share a path names or lies inside ("/export/photos/2024" → "/export" and
   * ["photos", "2024"]); the longest matching share name wins. "." and ".." never match.
   */
  shareForPath(path: string): { share: ConfiguredShare; below: string[] } | undefined {
    for (let end = path.length; end > 0; end = path.lastIndexOf("/", end - 1)) {
      const share = this.byName.get(path.slice(0, end));
      if (!share) continue;
      const below = path.slice(end).split("/").filter((segment) => segment !== "");
      return below.some((segment) => segment === "." || segment === "..") ? undefined : { share, below };
    }
    return undefined;
  }

  shareById(id: number): ConfiguredShare | undefined {
    return this.byId.get(id);
  }

  metadataStore(name: string): MetadataStore | undefined {
    return this.stores.metadata.get(name);
  }

  contentStore(name: string): ContentStore | undefined {
    return this.stores.content.get(name);
  }

  /** Upload queue, cache and last error of a share whose content store has a remote side; else null. */
  remoteStatus(share: Share): RemoteCacheStatus | null {
    return this.contentService.remoteStatus(share.name);
  }

  /** Runs again the uploads of a share that S3 refused for good (status `stalled`), after the cause is fixed. */
  retryUploads(share: Share): number {
    return this.contentService.retryUploads(share.name);
  }

  /**
   * Lists a directory of a bucket-layout share (default: its root) from the bucket again now,
   * for a "refresh" in the desktop app; false for a share whose tree is its own.
   */
  refreshListing(share: Share, dirId?: FileId): Promise<boolean> {
    return this.metadataService.refreshListing(share.name, dirId);
  }

  /** Opaque handle (≤ 64 bytes): [version][share id][file id][MAC with the share's key]. */
  handleFor(share: Share, fileId: FileId): Buffer {
    return this.handlesOf(share.id).encode(fileId);
  }

  /** The handle of a share's root directory (what MOUNT returns). */
  async rootHandle(share: Share): Promise<Buffer> {
    const root = await this.metadataService.root(share.name);
    return this.handleFor(share, root.id);
  }

  /**
   * FsError("BadHandle") for malformed handles and handles this server did not sign for their
   * share, FsError("Stale") for an unknown share.
   */
  resolveHandle(handle: Buffer): ResolvedHandle {
    const shareId = handleShareId(handle);
    const share = this.byId.get(shareId);
    if (!share) throw fsError("Stale", `no share with id ${shareId}`);
    return { share, fileId: this.handlesOf(shareId).verify(handle) };
  }

  private handlesOf(shareId: number): ShareHandles {
    const handles = this.handles.get(shareId);
    if (!handles) throw fsError("Stale", `no share with id ${shareId}`);
    return handles;
  }

  /**
   * Closes every store once. Call after the adapters stopped and the content service flushed
   * (DittoServer.stop does both); idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.coordinator.close();
      // Leases go back once their files are in the remote store, so other servers may write them.
      await Promise.all(this.leases.map((leases) => leases.close())).catch((err: unknown) =>
        this.logger.warn({ err }, "could not give back every write lease; they expire on their own"),
      );
      await closeStores(this.stores, this.logger);
    })();
    return this.closing;
  }
}
