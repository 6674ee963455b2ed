import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3ClientFor, startS3rver, type S3rverServer } from "../../../../../e2e/helpers/s3rver.mjs";
import { S3ObjectBackend } from "../objects.js";
import { silentLogger } from "../../../../util/logger.js";
import type { CopyOptions, ObjectBackend, PartialUpload, UploadOptions, UploadSource } from "./backend.js";
import { RemoteCache } from "./disk-cache.js";
import { BY_ID } from "./locator.js";

const MiB = 2 ** 20;
const BUCKET = "dittofs-cache-test";

let server: S3rverServer;
let client: S3Client;
const scratch = mkdtempSync(join(tmpdir(), "dittofs-disk-cache-"));

beforeAll(async () => {
  server = await startS3rver({ buckets: [BUCKET] });
  client = s3ClientFor(server);
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** The real S3 backend, noting the multipart uploads it begins and is asked to abandon. */
class RecordingBackend implements ObjectBackend {
  static readonly begun: string[] = [];
  readonly abandoned: string[] = [];
  private readonly s3 = new S3ObjectBackend({ client, bucket: BUCKET, prefix: "abandon/", partSize: 5 * MiB, concurrency: 2, logger: silentLogger });
  readonly description = this.s3.description;

  check = () => this.s3.check();
  head = (key: string) => this.s3.head(key);
  read = (key: string, offset: number, length: number, into: Buffer) => this.s3.read(key, offset, length, into);
  upload = (key: string, sources: readonly UploadSource[], options?: UploadOptions) => this.s3.upload(key, sources, options);
  copy = (from: string, to: string, options?: { metadata?: Record<string, string> }) => this.s3.copy(from, to, options);
  delete = (key: string) => this.s3.delete(key);
  list = (prefix: string, options?: { delimiter?: string; continuation?: string | null; maxKeys?: number }) => this.s3.list(prefix, options);

  async begin(key: string, options?: { metadata?: Record<string, string> }): Promise<PartialUpload> {
    const partial = await this.s3.begin(key, options);
    RecordingBackend.begun.push(`${key} ${partial.uploadId}`);
    return partial;
  }

  async abandon(key: string, uploadId: string): Promise<void> {
    this.abandoned.push(`${key} ${uploadId}`);
    await this.s3.abandon(key, uploadId);
  }
}

function openCache(dir: string, backend: ObjectBackend): Promise<RemoteCache> {
  return RemoteCache.open({
    dir,
    backend,
    locator: BY_ID,
    maxBytes: 256 * MiB,
    minFreeBytes: 0,
    uploadConcurrency: 2,
    uploadAfterMs: 60_000,
    remoteTimeoutMs: 5_000,
    fullWaitMs: 10_000,
    readAheadChunks: 2,
    revalidateAfterMs: 3_000,
    logger: silentLogger,
  });
}

describe("RemoteCache streaming uploads", () => {
  it("aborts, at the next start, a multipart upload that a file was streamed into when the last run ended", async () => {
    const dir = join(scratch, "abandon");
    const first = await openCache(dir, new RecordingBackend());
    const data = randomBytes(40 * MiB);
    for (let offset = 0; offset < data.length; offset += MiB) await first.write("growing", offset, data.subarray(offset, offset + MiB));
    await expect.poll(() => RecordingBackend.begun.length, { timeout: 10_000 }).toBe(1);
    // Ending the run while the file is still being streamed (as a crash would) leaves the upload open.
    await first.close();

    const secondBackend = new RecordingBackend();
    const second = await openCache(dir, secondBackend);
    await expect.poll(() => secondBackend.abandoned, { timeout: 10_000 }).toEqual(RecordingBackend.begun);
    await second.drain();
    await second.close();

    // Abandoned once: the journal forgot it.
    const thirdBackend = new RecordingBackend();
    const third = await openCache(dir, thirdBackend);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(thirdBackend.abandoned).toEqual([]);
    await third.close();
  });
});

/** The real S3 backend under credentials a test can replace, as a user correcting them would. */
class SwitchableBackend implements ObjectBackend {
  /** Requests that look an object up or write one. */
  calls = 0;
  constructor(public s3: S3ObjectBackend) {}
  get description() {
    return this.s3.description;
  }

  check = () => this.s3.check();
  head = (key: string) => {
    this.calls++;
    return this.s3.head(key);
  };
  read = (key: string, offset: number, length: number, into: Buffer) => this.s3.read(key, offset, length, into);
  upload = (key: string, sources: readonly UploadSource[], options?: UploadOptions) => {
    this.calls++;
    return this.s3.upload(key, sources, options);
  };
  copy = (from: string, to: string, options?: CopyOptions) => this.s3.copy(from, to, options);
  delete = (key: string, options?: { ifMatch?: string }) => this.s3.delete(key, options);
  list = (prefix: string, options?: { delimiter?: string; continuation?: string | null; maxKeys?: number }) => this.s3.list(prefix, options);
}

describe("RemoteCache after a failure retrying does not fix", () => {
  const clients: S3Client[] = [];
  /** s3rver knows only the key id S3RVER: any other is rejected (InvalidAccessKeyId), for good. */
  const backendAs = (accessKeyId: string) => {
    const s3 = s3ClientFor(server, { accessKeyId, maxAttempts: 1 });
    clients.push(s3);
    return new S3ObjectBackend({ client: s3, bucket: BUCKET, prefix: "stalled/", logger: silentLogger });
  };
  const objectText = async (key: string) =>
    Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `stalled/${key}` }))).Body!.transformToByteArray()).toString();

  afterAll(() => {
    for (const s3 of clients) s3.destroy();
  });

  it("stops the upload, keeps the change and says why, then resumes it on retryUploads()", async () => {
    const backend = new SwitchableBackend(backendAs("REVOKED"));
    const cache = await openCache(join(scratch, "stalled"), backend);
    try {
      await cache.write("kept", 0, Buffer.from("kept through a credential change"));
      await cache.sync("kept");
      await expect.poll(() => cache.status().stalled, { timeout: 10_000 }).toMatchObject({ files: 1, reason: expect.stringContaining("credentials") });
      expect(cache.status().pendingFiles).toBe(1);
      // Long enough for two retries with backoff, were it still retrying.
      const tries = backend.calls;
      expect(tries).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(backend.calls).toBe(tries);

      backend.s3 = backendAs(server.accessKeyId);
      expect(cache.retryUploads()).toBe(1);
      await cache.drain();
      expect(await objectText("kept")).toBe("kept through a credential change");
      expect(cache.status()).toMatchObject({ stalled: null, pendingFiles: 0 });
    } finally {
      await cache.close();
    }
  });

  it("resumes the stopped uploads at the next start, with corrected credentials", async () => {
    const dir = join(scratch, "stalled-restart");
    const first = await openCache(dir, new SwitchableBackend(backendAs("REVOKED")));
    await first.write("restarted", 0, Buffer.from("uploaded after the restart"));
    await first.sync("restarted");
    await expect.poll(() => first.status().stalled?.files, { timeout: 10_000 }).toBe(1);
    await first.close();

    const second = await openCache(dir, new SwitchableBackend(backendAs(server.accessKeyId)));
    try {
      await second.drain();
      expect(await objectText("restarted")).toBe("uploaded after the restart");
      expect(second.status().pendingFiles).toBe(0);
    } finally {
      await second.close();
    }
  });
});
