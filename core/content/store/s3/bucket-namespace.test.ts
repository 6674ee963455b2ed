import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3ClientFor, startS3rver, type S3rverServer } from "../../../../e2e/helpers/s3rver.mjs";
import { MemoryMetadataStore } from "../../../metadata/store/memory/index.js";
import { SqliteMetadataStore } from "../../../metadata/store/sqlite/index.js";
import type { MetadataStore, NewEntry } from "../../../metadata/store.js";
import type { FileAttr, FileId, Timespec } from "../../../metadata/types.js";
import { newNode } from "../../../testing/new-node.js";
import { newContentId } from "../../store.js";
import { BucketNamespace, fileNameProblem } from "./bucket-namespace.js";
import { S3ContentStore } from "./index.js";

describe("which key segments can be file names", () => {
  it("accepts ordinary names, unicode and spaces", () => {
    for (const name of ["a.txt", "photo 2024.jpg", "été", "x".repeat(255), "..hidden"]) expect(fileNameProblem(name)).toBeNull();
  });

  it("refuses empty segments, dot segments, over-long names and NUL", () => {
    expect(fileNameProblem("")).toBe("has an empty path segment");
    expect(fileNameProblem("/x")).toBe("has an empty path segment");
    expect(fileNameProblem(".")).toBe('has a "." segment');
    expect(fileNameProblem("..")).toBe('has a ".." segment');
    expect(fileNameProblem("é".repeat(128))).toBe("has a segment longer than 255 bytes");
    expect(fileNameProblem("a\0b")).toBe("contains a NUL character");
  });
});

const MiB = 2 ** 20;
const BUCKET = "dittofs-listing";

/**
 * A memory store in which names get taken by a local create while a listing stores its page,
 * as when a client creates a file in a directory whose first listing is still running.
 */
class RacedStore extends MemoryMetadataStore {
  readonly racedIds = new Map<string, FileId>();

  constructor(private readonly racers: readonly string[]) {
    super();
  }

  override async createMany(dirId: FileId, entries: readonly NewEntry[], now: Timespec): Promise<Array<FileAttr | null>> {
    for (const name of this.racers) {
      if (!entries.some((entry) => entry.name === name)) continue;
      const local = await this.create(dirId, name, newNode("file", { contentId: newContentId(), size: 1 }), now);
      this.racedIds.set(name, local.id);
    }
    return super.createMany(dirId, entries, now);
  }
}

/**
 * A directory listing stored into a real metadata store, against s3rver: new names are created
 * together per page, names the directory has are compared with the bucket, and a name taken
 * while a page was being stored is compared instead of created.
 */
describe("listing a bucket into the metadata store", () => {
  let server: S3rverServer;
  let sdk: S3Client;
  const scratch = mkdtempSync(join(tmpdir(), "dittofs-bucket-listing-"));
  const stores: S3ContentStore[] = [];
  let shares = 0;

  beforeAll(async () => {
    server = await startS3rver({ buckets: [BUCKET] });
    sdk = s3ClientFor(server);
  });

  afterAll(async () => {
    await Promise.allSettled(stores.map((store) => store.close()));
    sdk?.destroy();
    await server?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** A bucket-layout share on a fresh prefix over `inner`, with the warnings it logs. */
  async function openShare(inner: MetadataStore) {
    const n = ++shares;
    const prefix = `share${n}/`;
    const warnings: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => warnings.push((JSON.parse(line) as { msg: string }).msg) });
    const store = await S3ContentStore.open({
      layout: "bucket",
      listTtlMs: 60_000,
      bucket: BUCKET,
      prefix,
      endpoint: server.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      requestTimeoutMs: 10_000,
      connectTimeoutMs: 1_000,
      concurrency: 4,
      partSize: 5 * MiB,
      cache: {
        dir: join(scratch, `cache-${n}`),
        maxBytes: 64 * MiB,
        minFreeBytes: 0,
        uploads: 2,
        uploadAfterMs: 60_000,
        remoteTimeoutMs: 5_000,
        readAheadChunks: 2,
        revalidateAfterMs: 3_000,
      },
      logger,
    });
    stores.push(store);
    const ns = store.namespace(inner, { uid: 0, gid: 0 }) as BucketNamespace;
    const root = await ns.getOrCreateRoot("/bucket", newNode("dir"));
    const put = (key: string, body: string) => sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: prefix + key, Body: Buffer.from(body) }));
    const remove = (key: string) => sdk.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: prefix + key }));
    /** [name, type, size] of each entry, in listing order. */
    const entries = async (dirId = root.id) => (await ns.readDir(dirId, 0, 100)).entries.map((e) => [e.name, e.attr.type, e.attr.size]);
    return { ns, root, put, remove, entries, warnings };
  }

  it("stores a new directory's objects and prefixes, the file keeping a name that is also a prefix", async () => {
    const { ns, root, put, entries, warnings } = await openShare(SqliteMetadataStore.open({ path: ":memory:" }));
    await put("a.txt", "hello");
    await put("b", "abc");
    await put("b/inner.txt", "hidden");
    await put("c/", "");
    await put("c/x", "x");
    await put("d/e", "e");
    expect(await entries()).toEqual([
      ["a.txt", "file", 5],
      ["b", "file", 3],
      ["c", "dir", 4096],
      ["d", "dir", 4096],
    ]);
    expect((await ns.get(root.id)).nlink).toBe(4);
    const c = await ns.lookup(root.id, "c");
    expect(await entries(c.id)).toEqual([["x", "file", 1]]);
    expect(warnings).toEqual(["skipping the objects under b/: a file has the name of that directory"]);
  });

  it("compares a name taken while its page was being stored instead of failing the listing", async () => {
    const inner = new RacedStore(["taken.txt", "dir"]);
    const { ns, root, put, entries, warnings } = await openShare(inner);
    await put("before.txt", "1");
    await put("taken.txt", "from the bucket");
    await put("dir/inside", "2");
    expect(await entries()).toEqual([
      // Created locally first, so first in the directory; the bucket's object is its content now.
      ["taken.txt", "file", 15],
      ["dir", "file", 1],
      ["before.txt", "file", 1],
    ]);
    expect((await ns.lookup(root.id, "taken.txt")).id).toBe(inner.racedIds.get("taken.txt"));
    expect(warnings).toEqual(["skipping the objects under dir/: a file has the name of that directory"]);
  });

  it("lists a directory it has again: adds new names, takes changed objects, drops deleted ones", async () => {
    const { ns, root, put, remove, entries } = await openShare(SqliteMetadataStore.open({ path: ":memory:" }));
    await put("x1", "1");
    await put("x2", "22");
    await put("old/y", "y");
    expect(await entries()).toEqual([
      ["x1", "file", 1],
      ["x2", "file", 2],
      ["old", "dir", 4096],
    ]);
    const x1 = await ns.lookup(root.id, "x1");
    await put("x1", "1111");
    await remove("x2");
    await remove("old/y");
    await put("x3", "333");
    await put("sub/z", "z");
    await ns.refresh(root.id);
    expect(await entries()).toEqual([
      ["x1", "file", 4],
      ["x3", "file", 3],
      ["sub", "dir", 4096],
    ]);
    expect((await ns.lookup(root.id, "x1")).id).toBe(x1.id);
    expect((await ns.get(root.id)).nlink).toBe(3);
  });

  it("refuses createMany from callers: only its listing creates in bulk", async () => {
    const { ns, root } = await openShare(new MemoryMetadataStore());
    await expect(ns.createMany(root.id, [{ name: "f", node: newNode("file") }], newNode("file").mtime)).rejects.toMatchObject({ code: "NotSupported" });
  });
});
