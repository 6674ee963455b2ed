import { mkdirSync } from "node:fs";
import path from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { isRemoteError, type RemoteObject } from "./cache/backend.js";
import { RemoteCache } from "./cache/disk-cache.js";
import { BY_ID, type ObjectLocator } from "./cache/locator.js";
import type { RemoteCacheStatus } from "../../remote-status.js";
import { fsError } from "../../../errors.js";
import type { MetadataStore } from "../../../metadata/store.js";
import type { FileAttr } from "../../../metadata/types.js";
import type { Logger } from "../../../util/logger.js";
import type { ContentPlace, ContentStore, ShareOwner } from "../../store.js";
import { BucketIndex } from "./bucket-index.js";
import { BucketNamespace } from "./bucket-namespace.js";
import { checkContentId, checkRange, checkReadInto, checkSize } from "../../validate.js";
import { createS3Client, type S3Credentials } from "./client.js";
import { LocalOnlyContent } from "./local-only.js";
import { S3ObjectBackend, type S3TransferStats } from "./objects.js";

export interface S3ContentStoreOptions {
  /** "opaque": one object per content id. "bucket": one object per file, keyed by its path. */
  layout: "opaque" | "bucket";
  /** Bucket layout: directories listed longer ago than this are listed again when used. */
  listTtlMs: number;
  bucket: string;
  /** "" or ending in "/". */
  prefix: string;
  /** Custom endpoint; undefined for AWS. */
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  /** Undefined: the SDK's default credential chain. */
  credentials?: S3Credentials;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  /** Parts or ranges in flight per transfer. */
  concurrency: number;
  partSize: number;
  cache: {
    dir: string;
    maxBytes: number;
    minFreeBytes: number;
    uploads: number;
    uploadAfterMs: number;
    remoteTimeoutMs: number;
    fullWaitMs: number;
    readAheadChunks: number;
    revalidateAfterMs: number;
  };
  logger: Logger;
}

/** What FSSTAT reports as free: a bucket has no size limit that S3 tells anyone about. */
const UNBOUNDED_BYTES = 2 ** 50;
/** A store started offline checks for S3 this often until it answers. */
const RECHECK_FIRST_MS = 2_000;
const RECHECK_MAX_MS = 30_000;
/** Bytes copied at a time when a file moves between S3 and this computer. */
const MOVE_CHUNK = 1 << 20;

/** Where a bucket-layout store finds and sets a file's attributes (object metadata) once bound to its share. */
interface AttributeSource {
  attrsOf: ((contentId: string) => Promise<FileAttr | null>) | null;
  described: ((contentId: string, object: RemoteObject) => void) | null;
}

/**
 * The bucket layout's keys: where a file belongs follows its path (BucketIndex), where its
 * object is follows the uploads and moves. Uploads carry mode, owner and mtime as object
 * metadata, named as s3fs and rclone read them.
 */
function byPath(index: BucketIndex, attributes: AttributeSource): ObjectLocator {
  return {
    target: (id) => index.byContent(id)?.key ?? null,
    current: (id) => index.byContent(id)?.remoteKey ?? null,
    metadata: async (id) => {
      const attr = await attributes.attrsOf?.(id).catch(() => null);
      if (!attr) return undefined;
      return {
        mtime: `${attr.mtime.sec}.${String(attr.mtime.nsec).padStart(9, "0")}`,
        // s3fs: the whole st_mode (S_IFREG | permissions), in decimal.
        mode: String(0o100000 | attr.mode),
        uid: String(attr.uid),
        gid: String(attr.gid),
      };
    },
    settled: (id, key, etag) => {
      const node = index.byContent(id);
      if (!node) return;
      // The object carries the node's own attributes: nothing to fetch back.
      index.setUploaded(node.nodeId, key, etag);
    },
    described: (id, object) => attributes.described?.(id, object),
    claimedByOther: (key, id) => index.holding(key).some((node) => node.contentId !== id),
    occupant: (key, id) => {
      const other = index.holding(key).find((node) => node.contentId !== null && node.contentId !== id && node.remoteKey === key);
      return other ? { id: other.contentId!, leaving: other.key !== key } : null;
    },
  };
}

/**
 * Content in S3. With the `opaque` layout (the seed's design) there is one object per content
 * id under the prefix and the metadata lives in the metadata store. With the `bucket` layout one
 * object is one file under its own path: the store then also provides the share's namespace
 * (BucketNamespace), which lists the bucket into the share's metadata store. Every byte goes
 * through the disk cache (./cache/disk-cache.ts), which gives S3 the random writes it
 * lacks and makes COMMIT a local fsync plus a queued upload.
 *
 * Files with litter names (ShareConfig.litter) never reach S3: the metadata service places their
 * content ids "local" (place) and this store routes those ids to LocalOnlyContent, beside the cache.
 * Routing here, by content id, keeps one rule for both layouts and every protocol: the bytes of
 * such a file never enter the disk cache (so no upload can carry them, and no eviction can drop
 * them), and the bucket layout's namespace skips uploads, moves and metadata copies for them. The
 * place is a durable set of ids rather than a mark inside the id, because a file keeps its content
 * id when a rename moves it across the line. Directories with litter names stay ordinary.
 */
export class S3ContentStore implements ContentStore {
  readonly kind = "s3";
  /** The namespace of the share this store backs (bucket layout), whose background work stops first at close. */
  private bound: BucketNamespace | null = null;
  private closed = false;
  private recheck: NodeJS.Timeout | null = null;

  private constructor(
    private readonly client: S3Client,
    private readonly cache: RemoteCache,
    private readonly backend: S3ObjectBackend,
    private readonly index: BucketIndex | null,
    private readonly local: LocalOnlyContent,
    private readonly attributes: AttributeSource,
    private readonly options: S3ContentStoreOptions,
  ) {}

  /**
   * Checks that the bucket is there and the credentials work (a clear error now rather than a
   * hang at the first write), then opens the cache, which resumes uploads a crash left behind.
   * An endpoint that cannot be reached (a laptop without network) does not stop the store: it
   * starts offline, serves what the cache holds, keeps changes for later, says so in its status
   * and checks again until S3 answers. A missing bucket or rejected credentials do stop it.
   */
  static async open(options: S3ContentStoreOptions): Promise<S3ContentStore> {
    const client = createS3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      requestTimeoutMs: options.requestTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      maxSockets: Math.max(16, options.concurrency * options.cache.uploads * 2),
      maxAttempts: 3,
      logger: options.logger,
    });
    try {
      const backend = new S3ObjectBackend({
        client,
        bucket: options.bucket,
        prefix: options.prefix,
        partSize: options.partSize,
        concurrency: options.concurrency,
        endpoint: options.endpoint,
        logger: options.logger,
      });
      let unreachable: unknown = null;
      await backend.check().catch((err: unknown) => {
        if (!isRemoteError(err) || !err.retryable) throw err;
        unreachable = err;
      });
      const attributes: AttributeSource = { attrsOf: null, described: null };
      mkdirSync(options.cache.dir, { recursive: true });
      const local = await LocalOnlyContent.open(path.join(options.cache.dir, "local"));
      const index = options.layout === "bucket" ? new BucketIndex(path.join(options.cache.dir, "bucket.sqlite")) : null;
      const cache = await RemoteCache.open({
        dir: options.cache.dir,
        backend,
        locator: index ? byPath(index, attributes) : BY_ID,
        maxBytes: options.cache.maxBytes,
        minFreeBytes: options.cache.minFreeBytes,
        uploadConcurrency: options.cache.uploads,
        uploadAfterMs: options.cache.uploadAfterMs,
        remoteTimeoutMs: options.cache.remoteTimeoutMs,
        fullWaitMs: options.cache.fullWaitMs,
        readAheadChunks: options.cache.readAheadChunks,
        revalidateAfterMs: options.cache.revalidateAfterMs,
        logger: options.logger,
      });
      // Renames acknowledged before a restart whose objects had not moved yet.
      for (const node of index?.moving() ?? []) cache.reconcile(node.contentId!);
      const store = new S3ContentStore(client, cache, backend, index, local, attributes, options);
      if (unreachable !== null) store.startOffline(unreachable);
      return store;
    } catch (err) {
      client.destroy();
      throw isRemoteError(err) ? new Error(err.message, { cause: err }) : err;
    }
  }

  private startOffline(err: unknown): void {
    this.options.logger.warn(
      { remote: this.backend.description },
      "S3 cannot be reached: starting offline (cached files are served, changes are kept and uploaded once it answers)",
    );
    this.cache.noteFailure(err, "checking the bucket");
    const check = (delayMs: number): void => {
      this.recheck = setTimeout(() => {
        this.backend.check().then(
          () => {
            this.recheck = null;
            this.cache.noteSuccess();
          },
          (failure: unknown) => {
            if (this.closed) return;
            this.cache.noteFailure(failure, "checking the bucket");
            check(Math.min(RECHECK_MAX_MS, delayMs * 2));
          },
        );
      }, delayMs);
      this.recheck.unref();
    };
    check(RECHECK_FIRST_MS);
  }

  /**
   * The bucket layout's namespace for the one share this store backs, over `inner` (the share's
   * metadata store, which becomes the listing cache).
   */
  namespace(inner: MetadataStore, owner: ShareOwner): MetadataStore | null {
    if (!this.index) return null;
    if (this.bound) throw new Error(`the bucket ${this.backend.description} can back only one share`);
    const index = this.index;
    this.attributes.attrsOf = async (contentId) => {
      const node = index.byContent(contentId);
      return node ? inner.get(node.nodeId) : null;
    };
    const namespace = new BucketNamespace(
      inner,
      { index, cache: this.cache, backend: this.backend, local: this.local },
      { uid: owner.uid, gid: owner.gid, listTtlMs: this.options.listTtlMs, logger: this.options.logger },
    );
    this.attributes.described = (contentId, object) => namespace.takeObjectMetadata(contentId, object);
    this.bound = namespace;
    return namespace;
  }

  /** The cache, for status events (`status`, `uploaded`, `failure`) and drain() in tests. */
  get remoteCache(): RemoteCache {
    return this.cache;
  }

  /** Bytes sent, copied server-side and received since the store opened. */
  get transfers(): Readonly<S3TransferStats> {
    return this.backend.stats;
  }

  async read(id: string, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    checkContentId(id);
    checkRange(offset, length);
    checkReadInto(into, length);
    if (this.local.has(id)) return this.local.store.read(id, offset, length, into);
    return this.cache.read(id, offset, length, into);
  }

  async write(id: string, offset: number, data: Buffer): Promise<void> {
    checkContentId(id);
    checkRange(offset, data.length);
    if (this.local.has(id)) return this.local.store.write(id, offset, data);
    return this.cache.write(id, offset, data);
  }

  async truncate(id: string, size: number): Promise<void> {
    checkContentId(id);
    checkSize(size);
    if (this.local.has(id)) return this.local.store.truncate(id, size);
    return this.cache.truncate(id, size);
  }

  async size(id: string): Promise<number> {
    checkContentId(id);
    if (this.local.has(id)) return this.local.store.size(id);
    return this.cache.size(id);
  }

  async sync(id: string): Promise<void> {
    checkContentId(id);
    if (this.local.has(id)) return this.local.store.sync(id);
    return this.cache.sync(id);
  }

  async waitRemote(id: string): Promise<void> {
    checkContentId(id);
    // Content kept here is as remote as it will ever be.
    if (this.local.has(id)) return;
    return this.cache.waitRemote(id);
  }

  async delete(id: string): Promise<void> {
    checkContentId(id);
    if (this.local.has(id)) {
      await this.local.store.delete(id);
      await this.local.unmark(id);
      const node = this.index?.byContent(id);
      if (node) this.index!.remove(node.nodeId);
      return;
    }
    await this.deleteRemote(id, false);
  }

  /**
   * Moves the bytes of `id` between S3 (through the cache) and LocalOnlyContent. The side it goes
   * to is complete and durable before it is marked as the one to use and the other side is dropped.
   */
  async place(id: string, where: ContentPlace, fresh = false): Promise<void> {
    checkContentId(id);
    if ((where === "local") === this.local.has(id)) return;
    if (where === "local") {
      // A new file was never in S3: asking there (or deleting there) would only tell it the id.
      try {
        if (!fresh) await this.copy(id, (offset, length) => this.cache.read(id, offset, length), (offset, data) => this.local.store.write(id, offset, data), await this.cache.size(id));
        await this.local.store.sync(id);
        await this.local.mark(id);
      } catch (err) {
        // S3 could not be read (offline): the file stays where it was, with nothing left behind here.
        await this.local.store.delete(id).catch(() => {});
        throw err;
      }
      if (!fresh) await this.deleteRemote(id, true);
      return;
    }
    // An empty file is an empty object (bucket layout): it gets one even with nothing to copy.
    this.cache.track(id);
    await this.copy(id, (offset, length) => this.local.store.read(id, offset, length), (offset, data) => this.cache.write(id, offset, data), await this.local.store.size(id));
    await this.cache.sync(id);
    await this.local.unmark(id);
    await this.local.store.delete(id);
  }

  private async copy(
    id: string,
    read: (offset: number, length: number) => Promise<Buffer>,
    write: (offset: number, data: Buffer) => Promise<void>,
    size: number,
  ): Promise<void> {
    for (let offset = 0; offset < size; offset += MOVE_CHUNK) {
      const data = await read(offset, Math.min(MOVE_CHUNK, size - offset));
      if (data.length === 0) break;
      await write(offset, data);
    }
  }

  /**
   * Drops the object of `id` (and what the cache holds of it). `keepName`: the file stays, kept
   * here from now on (bucket layout: its index row stays, with no object behind it).
   */
  private async deleteRemote(id: string, keepName: boolean): Promise<void> {
    if (!this.index) return this.cache.delete(id);
    const node = this.index.byContent(id);
    const current = node?.remoteKey ?? null;
    // A rename that replaced this file put another file at the same key: that object stays.
    const taken = current !== null && this.index.atKey(current).some((other) => other.nodeId !== node?.nodeId);
    await this.cache.delete(id, taken ? null : current);
    if (!node) return;
    if (keepName) this.index.put({ nodeId: node.nodeId, contentId: id, key: node.key, remoteKey: null, etag: null, seen: node.seen });
    else this.index.remove(node.nodeId);
  }

  remoteStatus(): RemoteCacheStatus {
    return this.cache.status();
  }

  retryUploads(): number {
    return this.cache.retryUploads();
  }

  async space(): Promise<{ used: number; available: number }> {
    return { used: this.cache.status().cacheBytes, available: UNBOUNDED_BYTES };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.recheck) clearTimeout(this.recheck);
    await this.bound?.close();
    try {
      await this.cache.close();
      this.index?.close();
      await this.local.close();
    } catch (err) {
      throw fsError("Io", `closing the cache of ${this.cache.remote} failed: ${(err as Error).message}`, err);
    } finally {
      this.client.destroy();
    }
  }
}
