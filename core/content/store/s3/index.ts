import type { S3Client } from "@aws-sdk/client-s3";
import { isRemoteError } from "../../../cache/remote/backend.js";
import { RemoteCache } from "../../../cache/remote/disk-cache.js";
import type { RemoteCacheStatus } from "../../../cache/remote/status.js";
import { fsError } from "../../../errors.js";
import type { Logger } from "../../../util/logger.js";
import type { ContentStore } from "../../store.js";
import { checkContentId, checkRange, checkReadInto, checkSize } from "../../validate.js";
import { createS3Client, type S3Credentials } from "./client.js";
import { S3ObjectBackend } from "./objects.js";

export interface S3ContentStoreOptions {
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
    readAheadChunks: number;
  };
  logger: Logger;
}

/** What FSSTAT reports as free: a bucket has no size limit that S3 tells anyone about. */
const UNBOUNDED_BYTES = 2 ** 50;

/**
 * Content in S3 with the `opaque` layout (the seed's design): one object per content id under
 * the prefix, metadata in the metadata store. Every byte goes through the disk cache
 * (core/cache/remote/disk-cache.ts), which gives S3 the random writes it lacks and makes COMMIT
 * a local fsync plus a queued upload.
 */
export class S3ContentStore implements ContentStore {
  readonly kind = "s3";

  private constructor(
    private readonly client: S3Client,
    private readonly cache: RemoteCache,
  ) {}

  /**
   * Checks that the bucket is there and the credentials work (a clear error now rather than a
   * hang at the first write), then opens the cache, which resumes uploads a crash left behind.
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
      await backend.check();
      const cache = await RemoteCache.open({
        dir: options.cache.dir,
        backend,
        keyOf: (id) => id,
        maxBytes: options.cache.maxBytes,
        minFreeBytes: options.cache.minFreeBytes,
        uploadConcurrency: options.cache.uploads,
        uploadAfterMs: options.cache.uploadAfterMs,
        remoteTimeoutMs: options.cache.remoteTimeoutMs,
        readAheadChunks: options.cache.readAheadChunks,
        logger: options.logger,
      });
      return new S3ContentStore(client, cache);
    } catch (err) {
      client.destroy();
      throw isRemoteError(err) ? new Error(err.message, { cause: err }) : err;
    }
  }

  /** The cache, for status events (`status`, `uploaded`, `error`) and drain() in tests. */
  get remoteCache(): RemoteCache {
    return this.cache;
  }

  async read(id: string, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    checkContentId(id);
    checkRange(offset, length);
    checkReadInto(into, length);
    return this.cache.read(id, offset, length, into);
  }

  async write(id: string, offset: number, data: Buffer): Promise<void> {
    checkContentId(id);
    checkRange(offset, data.length);
    return this.cache.write(id, offset, data);
  }

  async truncate(id: string, size: number): Promise<void> {
    checkContentId(id);
    checkSize(size);
    return this.cache.truncate(id, size);
  }

  async size(id: string): Promise<number> {
    checkContentId(id);
    return this.cache.size(id);
  }

  async sync(id: string): Promise<void> {
    checkContentId(id);
    return this.cache.sync(id);
  }

  async waitRemote(id: string): Promise<void> {
    checkContentId(id);
    return this.cache.waitRemote(id);
  }

  async delete(id: string): Promise<void> {
    checkContentId(id);
    return this.cache.delete(id);
  }

  remoteStatus(): RemoteCacheStatus {
    return this.cache.status();
  }

  async space(): Promise<{ used: number; available: number }> {
    return { used: this.cache.status().cacheBytes, available: UNBOUNDED_BYTES };
  }

  async close(): Promise<void> {
    try {
      await this.cache.close();
    } catch (err) {
      throw fsError("Io", `closing the cache of ${this.cache.remote} failed: ${(err as Error).message}`, err);
    } finally {
      this.client.destroy();
    }
  }
}
