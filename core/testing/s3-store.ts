import type { S3ContentStoreOptions } from "../content/store/s3/index.js";
import { silentLogger } from "../util/logger.js";

const MiB = 2 ** 20;

/** Where a test's S3 store talks to: an s3rver (e2e/helpers/s3rver.mjs) and one of its buckets. */
export interface TestS3 {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
}

export type S3StoreOverrides = Partial<Omit<S3ContentStoreOptions, "cache">> & { cache?: Partial<S3ContentStoreOptions["cache"]> };

/**
 * Options of an S3 content store for tests: small parts (5 MiB, so multipart shows with little
 * data), short timeouts, uploads only when synced or drained, the cache under `cacheDir`.
 */
export function s3StoreOptions(s3: TestS3, prefix: string, cacheDir: string, overrides: S3StoreOverrides = {}): S3ContentStoreOptions {
  const { cache, ...rest } = overrides;
  return {
    layout: "opaque",
    listTtlMs: 30_000,
    bucket: s3.bucket,
    prefix,
    endpoint: s3.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestTimeoutMs: 10_000,
    connectTimeoutMs: 1_000,
    concurrency: 4,
    partSize: 5 * MiB,
    cache: {
      dir: cacheDir,
      maxBytes: 256 * MiB,
      minFreeBytes: 0,
      uploads: 4,
      uploadAfterMs: 60_000,
      remoteTimeoutMs: 5_000,
      fullWaitMs: 10_000,
      readAheadChunks: 4,
      revalidateAfterMs: 3_000,
      ...cache,
    },
    logger: silentLogger,
    ...rest,
  };
}
