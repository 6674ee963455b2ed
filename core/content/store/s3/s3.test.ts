import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { s3ClientFor, startS3rver, type S3rverServer } from "../../../../e2e/helpers/s3rver.mjs";
import { isFsError } from "../../../errors.js";
import { MemoryMetadataStore } from "../../../metadata/store/memory/index.js";
import type { MetadataStore } from "../../../metadata/store.js";
import { newNode, T } from "../../../testing/new-node.js";
import { s3StoreOptions, type S3StoreOverrides } from "../../../testing/s3-store.js";
import { type ContentStore, isValidContentId } from "../../store.js";
import { runContentStoreConformance } from "../../storetest/index.js";
import { S3ContentStore, type S3ContentStoreOptions } from "./index.js";

const MiB = 2 ** 20;
const BUCKET = "dittofs-test";

let server: S3rverServer;
let sdk: S3Client;
const scratch = mkdtempSync(join(tmpdir(), "dittofs-s3-store-"));
let dirs = 0;
let prefixes = 0;
const open: S3ContentStore[] = [];

beforeAll(async () => {
  server = await startS3rver({ buckets: [BUCKET] });
  sdk = s3ClientFor(server);
});

afterAll(async () => {
  await Promise.allSettled(open.map((store) => store.close()));
  sdk?.destroy();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

function options(overrides: S3StoreOverrides = {}): S3ContentStoreOptions {
  return s3StoreOptions({ ...server, bucket: BUCKET }, `p${++prefixes}/`, join(scratch, `cache-${++dirs}`), overrides);
}

async function openStore(overrides: S3StoreOverrides = {}): Promise<S3ContentStore> {
  const store = await S3ContentStore.open(options(overrides));
  open.push(store);
  return store;
}

async function closeStore(store: S3ContentStore): Promise<void> {
  open.splice(open.indexOf(store), 1);
  await store.close();
}

async function getObject(key: string): Promise<Buffer> {
  const result = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await result.Body!.transformToByteArray());
}

async function objectExists(key: string): Promise<boolean> {
  try {
    await sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch {
    return false;
  }
}

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

runContentStoreConformance("s3 (opaque layout, s3rver)", () => openStore());

/**
 * The bucket layout keys content by path, so each content id the suite uses becomes a file of
 * that name in the share root first (through the layout's own namespace); then every call goes
 * to the store as it is.
 */
class FilesInBucketRoot implements ContentStore {
  readonly kind = "s3";
  private readonly created = new Set<string>();

  constructor(
    private readonly store: S3ContentStore,
    private readonly tree: MetadataStore,
    private readonly rootId: string,
  ) {}

  static async open(): Promise<FilesInBucketRoot> {
    const store = await openStore({ layout: "bucket" });
    const tree = store.namespace(new MemoryMetadataStore(), { uid: 0, gid: 0 })!;
    const root = await tree.getOrCreateRoot("/bucket", newNode("dir"));
    return new FilesInBucketRoot(store, tree, root.id);
  }

  private async file(id: string): Promise<string> {
    if (isValidContentId(id) && !this.created.has(id)) {
      this.created.add(id);
      await this.tree.create(this.rootId, id, newNode("file", { contentId: id }), T);
    }
    return id;
  }

  async read(id: string, offset: number, length: number, into?: Buffer) {
    return this.store.read(await this.file(id), offset, length, into);
  }
  async write(id: string, offset: number, data: Buffer) {
    return this.store.write(await this.file(id), offset, data);
  }
  async truncate(id: string, size: number) {
    return this.store.truncate(await this.file(id), size);
  }
  async size(id: string) {
    return this.store.size(await this.file(id));
  }
  async sync(id: string) {
    return this.store.sync(await this.file(id));
  }
  async delete(id: string) {
    return this.store.delete(await this.file(id));
  }
  space() {
    return this.store.space();
  }
  close() {
    return closeStore(this.store);
  }
}


runContentStoreConformance("s3 (bucket layout, s3rver)", () => FilesInBucketRoot.open());

describe("S3ContentStore (opaque layout) against s3rver", () => {
  afterEach(async () => {
    if (!server.alive) await server.start();
  });

  it("uploads a synced file as one object under the prefix, readable by a fresh cache", async () => {
    const store = await openStore();
    const prefix = `p${prefixes}/`;
    const data = randomBytes(9 * MiB + 123);
    await store.write("file1", 0, data);
    await store.sync("file1");
    expect(store.remoteStatus().pendingFiles).toBe(1);
    await store.remoteCache.drain();
    expect(store.remoteStatus()).toMatchObject({ pendingFiles: 0, pendingBytes: 0, uploads: [], lastError: null });
    expect(sha(await getObject(`${prefix}file1`))).toBe(sha(data));
    await closeStore(store);

    const cold = await openStore({ prefix });
    expect(await cold.size("file1")).toBe(data.length);
    expect(sha(await cold.read("file1", 0, data.length))).toBe(sha(data));
    expect((await cold.read("file1", 5 * MiB - 7, 100)).equals(data.subarray(5 * MiB - 7, 5 * MiB + 93))).toBe(true);
  });

  it("rewrites the middle of a remote object, truncates and extends it, with only a fresh cache", async () => {
    const first = await openStore();
    const prefix = `p${prefixes}/`;
    const expected = randomBytes(12 * MiB);
    await first.write("big", 0, expected);
    await first.sync("big");
    await first.remoteCache.drain();
    await closeStore(first);

    const store = await openStore({ prefix });
    const patch = randomBytes(1000);
    await store.write("big", 6 * MiB + 10, patch);
    patch.copy(expected, 6 * MiB + 10);
    await store.truncate("big", 10 * MiB);
    await store.truncate("big", 11 * MiB);
    const grown = Buffer.concat([expected.subarray(0, 10 * MiB), Buffer.alloc(MiB)]);
    expect(sha(await store.read("big", 0, 11 * MiB))).toBe(sha(grown));
    await store.sync("big");
    await store.remoteCache.drain();
    expect(sha(await getObject(`${prefix}big`))).toBe(sha(grown));
  });

  it("reports uploads in flight with their progress, and an event per uploaded file", async () => {
    const store = await openStore({ partSize: 5 * MiB, concurrency: 1 });
    const prefix = `p${prefixes}/`;
    const seen: Array<{ key: string; bytes: number; done: number }> = [];
    const uploaded: Array<{ key: string; bytes: number }> = [];
    store.remoteCache.on("status", (status) => seen.push(...status.uploads));
    store.remoteCache.on("uploaded", (event) => uploaded.push(event));
    await store.write("progress", 0, randomBytes(60 * MiB));
    await store.sync("progress");
    expect(store.remoteStatus()).toMatchObject({ pendingFiles: 1, pendingBytes: 60 * MiB });
    await store.remoteCache.drain();
    expect(uploaded).toEqual([{ key: "progress", bytes: 60 * MiB }]);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((upload) => upload.key === "progress" && upload.bytes === 60 * MiB && upload.done <= upload.bytes)).toBe(true);
    expect(seen.some((upload) => upload.done > 0 && upload.done < upload.bytes)).toBe(true);
    expect(store.remoteStatus()).toMatchObject({ pendingFiles: 0, pendingBytes: 0, uploads: [] });
    expect(await objectExists(`${prefix}progress`)).toBe(true);
  });

  it("uploads parts of a large file while it is still being written, so COMMIT leaves only the tail to send", async () => {
    const store = await openStore({ partSize: 5 * MiB, concurrency: 2 });
    const prefix = `p${prefixes}/`;
    const data = randomBytes(48 * MiB + 777);
    for (let offset = 0; offset < data.length; offset += MiB) await store.write("stream", offset, data.subarray(offset, offset + MiB));
    // Nobody committed yet, and parts are on their way already.
    await expect.poll(() => store.transfers.bytesUploaded, { timeout: 10_000 }).toBeGreaterThanOrEqual(20 * MiB);
    expect(store.remoteStatus().uploads.some((upload) => upload.key === "stream" && upload.done > 0)).toBe(true);
    await store.sync("stream");
    await store.remoteCache.drain();
    expect(sha(await getObject(`${prefix}stream`))).toBe(sha(data));
    // Every byte went up once: the final upload reused the streamed parts.
    expect(store.transfers.bytesUploaded).toBe(data.length);
    expect(store.remoteStatus()).toMatchObject({ pendingFiles: 0, pendingBytes: 0, uploads: [] });
  });

  it("starts the upload afresh when bytes already streamed are written again", async () => {
    const store = await openStore({ partSize: 5 * MiB, concurrency: 2 });
    const prefix = `p${prefixes}/`;
    const data = randomBytes(40 * MiB);
    for (let offset = 0; offset < data.length; offset += MiB) await store.write("again", offset, data.subarray(offset, offset + MiB));
    await expect.poll(() => store.transfers.bytesUploaded, { timeout: 10_000 }).toBeGreaterThanOrEqual(10 * MiB);
    const patch = randomBytes(4096);
    await store.write("again", 3 * MiB, patch);
    patch.copy(data, 3 * MiB);
    await store.sync("again");
    await store.remoteCache.drain();
    expect(sha(await getObject(`${prefix}again`))).toBe(sha(data));
  });

  it("drops streamed parts a truncate cut into, and uploads what the file holds after it", async () => {
    const store = await openStore({ partSize: 5 * MiB, concurrency: 2 });
    const prefix = `p${prefixes}/`;
    const data = randomBytes(40 * MiB);
    for (let offset = 0; offset < data.length; offset += MiB) await store.write("cut", offset, data.subarray(offset, offset + MiB));
    await expect.poll(() => store.transfers.bytesUploaded, { timeout: 10_000 }).toBeGreaterThanOrEqual(15 * MiB);
    await store.truncate("cut", 12 * MiB);
    const tail = randomBytes(18 * MiB);
    await store.write("cut", 12 * MiB, tail);
    await store.sync("cut");
    await store.remoteCache.drain();
    expect(sha(await getObject(`${prefix}cut`))).toBe(sha(Buffer.concat([data.subarray(0, 12 * MiB), tail])));
  });

  it("checks cached bytes against the object before reading them again, dropping them when it was rewritten", async () => {
    const store = await openStore({ cache: { revalidateAfterMs: 200 } });
    const prefix = `p${prefixes}/`;
    await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}shared`, Body: "version one" }));
    expect((await store.read("shared", 0, 100)).toString()).toBe("version one");
    // Another server (or tool) rewrites the object; a read right away may still be served from the cache.
    await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}shared`, Body: "version two, longer" }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await store.read("shared", 0, 100)).toString()).toBe("version two, longer");
    expect(await store.size("shared")).toBe(19);
    // Local changes are never replaced by the remote object.
    await store.write("shared", 0, Buffer.from("LOCAL"));
    await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}shared`, Body: "version three" }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await store.read("shared", 0, 100)).toString()).toBe("LOCALon two, longer");
  });

  it("deletes the object once the file is deleted", async () => {
    const store = await openStore();
    const prefix = `p${prefixes}/`;
    await store.write("gone", 0, Buffer.from("bye"));
    await store.sync("gone");
    await store.remoteCache.drain();
    expect(await objectExists(`${prefix}gone`)).toBe(true);
    await store.delete("gone");
    await store.remoteCache.drain();
    expect(await objectExists(`${prefix}gone`)).toBe(false);
    expect(await store.size("gone")).toBe(0);
  });

  it("resumes uploads journaled before a shutdown when the cache opens again", async () => {
    const cacheDir = join(scratch, "resume");
    await server.stop();
    // S3 is down: the commit is durable locally, the upload cannot happen.
    const data = randomBytes(3 * MiB);
    await server.start();
    const store = await openStore({ cache: { dir: cacheDir } });
    const prefix = `p${prefixes}/`;
    await server.stop();
    await store.write("later", 0, data);
    await store.sync("later");
    await closeStore(store);
    expect(await objectExistsAfterRestart(`${prefix}later`)).toBe(false);

    const reopened = await openStore({ prefix, cache: { dir: cacheDir } });
    expect(reopened.remoteStatus().pendingFiles).toBe(1);
    await reopened.remoteCache.drain();
    expect(sha(await getObject(`${prefix}later`))).toBe(sha(data));
    expect(reopened.remoteStatus().pendingFiles).toBe(0);
  });

  it("keeps accepting commits while S3 is down and uploads them when it is back", async () => {
    const store = await openStore();
    const prefix = `p${prefixes}/`;
    const errors: string[] = [];
    store.remoteCache.on("failure", (failure) => errors.push(failure.message));
    await server.kill();
    const data = randomBytes(2 * MiB);
    await store.write("offline", 0, data);
    await store.sync("offline");
    await expect.poll(() => store.remoteStatus().lastError, { timeout: 10_000 }).not.toBeNull();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toContain("offline");
    await server.start();
    await store.remoteCache.drain();
    expect(store.remoteStatus().lastError).toBeNull();
    expect(sha(await getObject(`${prefix}offline`))).toBe(sha(data));
  });

  it("makes waitRemote wait for the upload, and fail with Io when S3 stays down", async () => {
    const store = await openStore({ cache: { remoteTimeoutMs: 1_500 } });
    const prefix = `p${prefixes}/`;
    await store.write("remote", 0, Buffer.from("durable"));
    await store.sync("remote");
    await store.waitRemote("remote");
    expect((await getObject(`${prefix}remote`)).toString()).toBe("durable");

    await server.kill();
    await store.write("remote", 0, Buffer.from("DURABLE"));
    await store.sync("remote");
    const failure = await store.waitRemote("remote").then(
      () => null,
      (err: unknown) => err,
    );
    expect(isFsError(failure) && failure.code).toBe("Io");
    expect((failure as Error).message).toContain("did not reach");
  });

  it("slows writers down when the cache is full of unsent bytes, and loses nothing", async () => {
    const store = await openStore({ cache: { maxBytes: 8 * MiB } });
    const prefix = `p${prefixes}/`;
    let throttled = false;
    store.remoteCache.on("status", (status) => {
      throttled ||= status.throttled;
    });
    const data = randomBytes(40 * MiB);
    for (let offset = 0; offset < data.length; offset += MiB) {
      await store.write("flood", offset, data.subarray(offset, offset + MiB));
      expect(store.remoteStatus().cacheBytes).toBeLessThanOrEqual(8 * MiB + 64 * MiB);
    }
    await store.sync("flood");
    await store.remoteCache.drain();
    expect(sha(await getObject(`${prefix}flood`))).toBe(sha(data));
    expect(store.remoteStatus().cacheBytes).toBeLessThanOrEqual(64 * MiB);
  });

  it("tells a writer to try again later (TryLater) when the cache stays full of unsent bytes, and says why", async () => {
    const store = await openStore({ cache: { maxBytes: 8 * MiB, fullWaitMs: 1_000 } });
    const prefix = `p${prefixes}/`;
    await server.kill();
    const data = randomBytes(9 * MiB);
    for (let offset = 0; offset < 8 * MiB; offset += MiB) await store.write("full", offset, data.subarray(offset, offset + MiB));
    await store.sync("full");
    await expect.poll(() => store.remoteStatus().lastError, { timeout: 10_000 }).not.toBeNull();
    const refused = await store.write("full", 8 * MiB, data.subarray(8 * MiB)).then(
      () => null,
      (err: unknown) => err,
    );
    expect(isFsError(refused, "TryLater")).toBe(true);
    expect((refused as Error).message).toContain("disk cache is full");
    expect(store.remoteStatus().full).toContain(`uploads are failing: `);
    expect(store.remoteStatus().full).toContain(server.endpoint);

    await server.start();
    await store.remoteCache.drain();
    await store.write("full", 8 * MiB, data.subarray(8 * MiB));
    expect(store.remoteStatus().full).toBeNull();
    await store.sync("full");
    await store.remoteCache.drain();
    expect(sha(await getObject(`${prefix}full`))).toBe(sha(data));
  });

  it("loses nothing when many writes land out of order in a cache that keeps filling up", async () => {
    const store = await openStore({ cache: { maxBytes: 8 * MiB, uploads: 2 } });
    const prefix = `p${prefixes}/`;
    const data = randomBytes(48 * MiB);
    const order = [...Array(48).keys()].sort(() => Math.random() - 0.5);
    const writers = Array.from({ length: 12 }, async () => {
      for (let block = order.pop(); block !== undefined; block = order.pop()) {
        await store.write("shuffled", block * MiB, data.subarray(block * MiB, (block + 1) * MiB));
      }
    });
    await Promise.all(writers);
    await store.sync("shuffled");
    await store.remoteCache.drain();
    expect(sha(await getObject(`${prefix}shuffled`))).toBe(sha(data));
    expect(sha(await store.read("shuffled", 0, data.length))).toBe(sha(data));
  });

  it("serves a sequential cold read with read-ahead and evicts clean bytes to stay under its limit", async () => {
    const key = `p${prefixes + 1}/cold`;
    const data = randomBytes(24 * MiB);
    await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: data }));
    const store = await openStore({ prefix: `p${prefixes + 1}/`, cache: { maxBytes: 64 * MiB } });
    const parts: Buffer[] = [];
    for (let offset = 0; offset < data.length; offset += MiB) parts.push(await store.read("cold", offset, MiB));
    expect(sha(Buffer.concat(parts))).toBe(sha(data));
  });

  it("reads bytes written into a chunk it has just fetched, not the fetched ones", async () => {
    const key = `p${prefixes + 1}/fetched`;
    const data = randomBytes(8 * MiB);
    await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: data }));
    const store = await openStore({ prefix: `p${prefixes + 1}/` });
    expect((await store.read("fetched", 0, MiB)).equals(data.subarray(0, MiB))).toBe(true);
    const patch = randomBytes(1000);
    await store.write("fetched", 2 * MiB + 10, patch);
    patch.copy(data, 2 * MiB + 10);
    expect((await store.read("fetched", 2 * MiB, MiB)).equals(data.subarray(2 * MiB, 3 * MiB))).toBe(true);
    expect(sha(await store.read("fetched", 0, data.length))).toBe(sha(data));
  });

  it("refuses to open on a missing bucket with a clear error", async () => {
    await expect(S3ContentStore.open(options({ bucket: "no-such-bucket" }))).rejects.toThrow(/no-such-bucket.*does not exist/);
  });

  it("opens offline when S3 cannot be reached, keeps what is written, and uploads it once S3 answers", async () => {
    await server.stop();
    const started = Date.now();
    const store = await openStore();
    expect(Date.now() - started).toBeLessThan(10_000);
    const prefix = `p${prefixes}/`;
    expect(store.remoteStatus().lastError?.message).toContain(server.endpoint.replace("http://", ""));
    const data = randomBytes(3 * MiB);
    await store.write("offline-start", 0, data);
    await store.sync("offline-start");
    expect(store.remoteStatus()).toMatchObject({ pendingFiles: 1 });
    await server.start();
    await store.remoteCache.drain();
    expect(sha(await getObject(`${prefix}offline-start`))).toBe(sha(data));
    await expect.poll(() => store.remoteStatus().lastError, { timeout: 10_000 }).toBeNull();
  });

  it("refuses to open when the credentials are rejected", async () => {
    await expect(S3ContentStore.open(options({ credentials: { accessKeyId: "NOT-A-KEY", secretAccessKey: "x" } }))).rejects.toThrow(/rejected the credentials/);
  });

  /** Whether the object exists, with S3 started for the question and left running. */
  async function objectExistsAfterRestart(key: string): Promise<boolean> {
    if (!server.alive) await server.start();
    return objectExists(key);
  }
});
