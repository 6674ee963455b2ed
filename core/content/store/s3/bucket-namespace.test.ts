import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3ClientFor, startS3rver, type S3rverServer } from "../../../../e2e/helpers/s3rver.mjs";
import { startTcpProxy, type TcpProxy } from "../../../../e2e/helpers/tcp-proxy.mjs";
import { MemoryMetadataStore } from "../../../metadata/store/memory/index.js";
import { SqliteMetadataStore } from "../../../metadata/store/sqlite/index.js";
import type { MetadataStore, NewEntry } from "../../../metadata/store.js";
import type { FileAttr, FileId, Timespec } from "../../../metadata/types.js";
import { newNode } from "../../../testing/new-node.js";
import { s3StoreOptions } from "../../../testing/s3-store.js";
import { newContentId } from "../../store.js";
import { attrsFromMetadata, BucketNamespace, fileNameProblem } from "./bucket-namespace.js";
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

describe("attributes from object metadata", () => {
  it("reads rclone's and s3fs's mtime, s3fs's st_mode and owner", () => {
    expect(attrsFromMetadata({ mtime: "1700000000.123456789123", mode: "33188", uid: "1000", gid: "100" })).toEqual({
      mtime: { sec: 1_700_000_000, nsec: 123_456_789 },
      mode: 0o644,
      uid: 1000,
      gid: 100,
    });
    expect(attrsFromMetadata({ mtime: "1600000000", mode: "416" })).toEqual({ mtime: { sec: 1_600_000_000, nsec: 0 }, mode: 0o640 });
  });

  it("ignores what is malformed or belongs to another kind of file", () => {
    expect(attrsFromMetadata({ mtime: "yesterday", mode: String(0o40755), uid: "-1", gid: "99999999999" })).toEqual({});
    expect(attrsFromMetadata({ mtime: "1e9", mode: "0x1ff" })).toEqual({});
    expect(attrsFromMetadata({})).toEqual({});
  });
});

const MiB = 2 ** 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
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
      const local = (await this.create(dirId, name, newNode("file", { contentId: newContentId(), size: 1 }), now)).attr;
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
  const proxies: TcpProxy[] = [];
  let shares = 0;

  beforeAll(async () => {
    server = await startS3rver({ buckets: [BUCKET] });
    sdk = s3ClientFor(server);
  });

  afterAll(async () => {
    await Promise.allSettled(stores.map((store) => store.close()));
    await Promise.allSettled(proxies.map((proxy) => proxy.close()));
    sdk?.destroy();
    await server?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  /**
   * A bucket-layout share on a fresh prefix over `inner`, with the warnings it logs; `proxy`
   * puts a TCP proxy between the store and S3 (the test's own SDK client talks to S3 directly).
   */
  async function openShare(inner: MetadataStore, { listTtlMs = 60_000, proxy }: { listTtlMs?: number; proxy?: TcpProxy } = {}) {
    const n = ++shares;
    const prefix = `share${n}/`;
    const warnings: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => warnings.push((JSON.parse(line) as { msg: string }).msg) });
    const store = await S3ContentStore.open(
      s3StoreOptions({ ...server, bucket: BUCKET }, prefix, join(scratch, `cache-${n}`), {
        layout: "bucket",
        listTtlMs,
        ...(proxy ? { endpoint: proxy.endpoint } : {}),
        logger,
        cache: { maxBytes: 64 * MiB, uploads: 2, readAheadChunks: 2 },
      }),
    );
    stores.push(store);
    const ns = store.namespace(inner, { uid: 0, gid: 0 }) as BucketNamespace;
    const root = await ns.getOrCreateRoot("/bucket", newNode("dir"));
    const put = (key: string, body: string, metadata?: Record<string, string>) =>
      sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: prefix + key, Body: Buffer.from(body), Metadata: metadata }));
    const remove = (key: string) => sdk.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: prefix + key }));
    /** [name, type, size] of each entry, in listing order. */
    const entries = async (dirId = root.id) => (await ns.readDir(dirId, 0, 100)).entries.map((e) => [e.name, e.attr.type, e.attr.size]);
    const head = (key: string) => sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: prefix + key }));
    return { ns, root, put, remove, entries, warnings, store, head };
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

  it("keeps a file kept on this computer through listings, also when another tool puts an object with its name", async () => {
    const { ns, root, put, remove, entries, store, head } = await openShare(SqliteMetadataStore.open({ path: ":memory:" }));
    await put("photo.jpg", "jpg");
    expect(await entries()).toEqual([["photo.jpg", "file", 3]]);
    const id = newContentId();
    await store.place(id, "local", true);
    const now = { sec: 1, nsec: 0 };
    const litter = (await ns.create(root.id, ".DS_Store", newNode("file", { contentId: id }), now)).attr;
    await store.write(id, 0, Buffer.from("view settings"));
    await store.sync(id);
    await ns.setAttr(litter.id, { size: 13, mode: 0o600 });
    await store.remoteCache.drain();
    await expect(head(".DS_Store")).rejects.toThrow();
    // Gone from the bucket meanwhile: the listing's sweep leaves the local file alone.
    await remove("photo.jpg");
    await ns.refresh(root.id);
    expect(await entries()).toEqual([[".DS_Store", "file", 13]]);
    // Another tool's object under the same name does not replace it either.
    await put(".DS_Store", "someone else's");
    await ns.refresh(root.id);
    expect((await ns.lookup(root.id, ".DS_Store")).id).toBe(litter.id);
    expect(await entries()).toEqual([[".DS_Store", "file", 13]]);
    expect((await store.read(id, 0, 100)).toString()).toBe("view settings");
    // Removing the local file leaves that object where it is.
    await ns.unlink(root.id, ".DS_Store", now);
    await store.delete(id);
    await store.remoteCache.drain();
    expect((await head(".DS_Store")).ContentLength).toBe(14);
  });

  it("lists a directory before lookupIn and unlink answer, and unlinks only the kind of node asked for", async () => {
    const { ns, root, put, entries } = await openShare(SqliteMetadataStore.open({ path: ":memory:" }));
    await put("doc.txt", "doc");
    await put("pics/a.jpg", "jpg");
    const found = await ns.lookupIn(root.id, "doc.txt");
    expect(found.entry).toMatchObject({ type: "file", size: 3 });
    expect(found.dir).toEqual(await ns.get(root.id));
    expect((await ns.lookupIn(root.id, "free")).entry).toBeNull();
    const now = newNode("dir").mtime;
    await expect(ns.unlink(root.id, "pics", now, "nonDir")).rejects.toMatchObject({ code: "IsDir" });
    await expect(ns.unlink(root.id, "doc.txt", now, "dir")).rejects.toMatchObject({ code: "NotDir" });
    await expect(ns.unlink(root.id, "pics", now, "dir")).rejects.toMatchObject({ code: "NotEmpty" });
    expect(await entries()).toEqual([
      ["doc.txt", "file", 3],
      ["pics", "dir", 4096],
    ]);
    const removed = await ns.unlink(root.id, "doc.txt", now, "nonDir");
    expect(removed.node.nlink).toBe(0);
    expect(removed.dir).toEqual(await ns.get(root.id));
  });

  it("makes a directory while S3 is down, keeps it through failed listings, and writes its marker once S3 answers", async () => {
    const { ns, root, entries, store, head } = await openShare(SqliteMetadataStore.open({ path: ":memory:" }));
    expect(await entries()).toEqual([]);
    await server.stop();
    try {
      const made = (await ns.create(root.id, "made", newNode("dir"), newNode("dir").mtime)).attr;
      // A listing on demand says it failed; the cached listing stays.
      await expect(ns.refresh(root.id)).rejects.toMatchObject({ code: "Io" });
      expect(await entries()).toEqual([["made", "dir", 0]]);
      expect(store.remoteStatus().pendingFiles).toBe(1);
      await server.start();
      await store.remoteCache.drain();
      expect((await head("made/")).ContentLength).toBe(0);
      await ns.refresh(root.id);
      expect((await ns.lookup(root.id, "made")).id).toBe(made.id);
    } finally {
      if (!server.alive) await server.start();
    }
  });

  it("sends a new mode, owner or mtime of an uploaded file to its object's metadata", async () => {
    const { ns, root, store, head } = await openShare(SqliteMetadataStore.open({ path: ":memory:" }));
    const contentId = newContentId();
    const file = (await ns.create(root.id, "notes.txt", newNode("file", { contentId }), newNode("file").mtime)).attr;
    await store.write(contentId, 0, Buffer.from("some notes"));
    await store.sync(contentId);
    await store.remoteCache.drain();
    const uploaded = await head("notes.txt");
    expect(uploaded.Metadata?.mode).toBe(String(0o100644));
    await ns.setAttr(file.id, { mode: 0o600, uid: 2000, mtime: { sec: 1_700_000_000, nsec: 5 } });
    await store.remoteCache.drain();
    const changed = await head("notes.txt");
    expect(changed.Metadata).toMatchObject({ mode: String(0o100600), uid: "2000", mtime: "1700000000.000000005" });
    expect(changed.ContentLength).toBe(10);
  });

  it("takes mode, owner and mtime from the metadata of an object another tool wrote, once the object is used", async () => {
    const { ns, root, store } = await openShare(SqliteMetadataStore.open({ path: ":memory:" }));
    await sdk.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `share${shares}/synced.txt`,
        Body: Buffer.from("from rclone"),
        Metadata: { mtime: "1600000000.5", mode: String(0o100640), uid: "33", gid: "44" },
      }),
    );
    const listed = await ns.lookup(root.id, "synced.txt");
    // A listing only knows size and LastModified.
    expect(listed).toMatchObject({ mode: 0o644, uid: 0, gid: 0 });
    expect((await store.read(listed.contentId!, 0, 100)).toString()).toBe("from rclone");
    await expect.poll(async () => (await ns.get(listed.id)).mode).toBe(0o640);
    expect(await ns.get(listed.id)).toMatchObject({ uid: 33, gid: 44, mtime: { sec: 1_600_000_000, nsec: 500_000_000 } });
  });

  it("completes a file streamed under a temporary name where its parts are, then moves it to its final name", async () => {
    const { ns, root, store, head, entries } = await openShare(SqliteMetadataStore.open({ path: ":memory:" }));
    const contentId = newContentId();
    const now = newNode("file").mtime;
    await ns.create(root.id, ".big.bin.partial", newNode("file", { contentId }), now);
    const data = Buffer.alloc(40 * MiB, 7);
    data.write("start", 0);
    data.write("end", data.length - 3);
    for (let offset = 0; offset < data.length; offset += MiB) await store.write(contentId, offset, data.subarray(offset, offset + MiB));
    await expect.poll(() => store.transfers.bytesUploaded, { timeout: 10_000 }).toBeGreaterThanOrEqual(10 * MiB);
    // As rsync and browsers do: the finished file gets its real name.
    await ns.rename(root.id, ".big.bin.partial", root.id, "big.bin", now);
    await store.sync(contentId);
    await store.remoteCache.drain();
    expect((await head("big.bin")).ContentLength).toBe(data.length);
    await expect(head(".big.bin.partial")).rejects.toThrow();
    // Streamed once, moved by S3 itself: nothing went up twice.
    expect(store.transfers.bytesUploaded).toBe(data.length);
    expect((await store.read(contentId, data.length - 3, 3)).toString()).toBe("end");
    // The listing shows the final name only, also while the temporary object still existed.
    await ns.refresh(root.id);
    expect((await entries()).map(([name]) => name)).toEqual(["big.bin"]);
  });

  it("answers from the cached listing at once after the TTL while S3 is slow, and refreshes it in the background", async () => {
    const proxy = await startTcpProxy({ targetPort: server.port });
    proxies.push(proxy);
    const { put, entries } = await openShare(SqliteMetadataStore.open({ path: ":memory:" }), { listTtlMs: 200, proxy });
    await put("a", "1");
    expect(await entries()).toEqual([["a", "file", 1]]);
    await put("b", "22");
    await sleep(300);
    // Slow enough to show, well within the request timeout: waiting for it would list "b".
    proxy.setDelay(1_500);
    expect(await entries()).toEqual([["a", "file", 1]]);
    // The refresh is on its way through the slow proxy meanwhile.
    await sleep(500);
    expect(await entries()).toEqual([["a", "file", 1]]);
    proxy.setDelay(0);
    await expect.poll(entries, { timeout: 15_000 }).toEqual([
      ["a", "file", 1],
      ["b", "file", 2],
    ]);
  });

  it("keeps the cached listing while S3 is unreachable, says so once, and catches up once S3 answers", async () => {
    const proxy = await startTcpProxy({ targetPort: server.port });
    proxies.push(proxy);
    const { put, entries, warnings } = await openShare(SqliteMetadataStore.open({ path: ":memory:" }), { listTtlMs: 200, proxy });
    await put("x", "1");
    expect(await entries()).toEqual([["x", "file", 1]]);
    proxy.setOffline(true);
    await put("y", "2");
    for (let i = 0; i < 4; i++) {
      await sleep(400);
      expect(await entries()).toEqual([["x", "file", 1]]);
    }
    expect(warnings.filter((message) => message.includes("listing"))).toHaveLength(1);
    proxy.setOffline(false);
    await expect.poll(entries, { timeout: 30_000 }).toEqual([
      ["x", "file", 1],
      ["y", "file", 1],
    ]);
  });

  it("fetches the mode, owner and mtime of listed objects in the background, leaving a file changed locally meanwhile alone", async () => {
    const proxy = await startTcpProxy({ targetPort: server.port });
    proxies.push(proxy);
    const { ns, root, put } = await openShare(SqliteMetadataStore.open({ path: ":memory:" }), { proxy });
    await put("synced.txt", "from rclone", { mtime: "1600000000.25", mode: String(0o100640), uid: "33", gid: "44" });
    await put("mine.txt", "from s3fs", { mtime: "1500000000", mode: String(0o100600) });
    // The HEADs that follow the listing take a while: the local change lands while they run.
    proxy.setDelay(500);
    const synced = await ns.lookup(root.id, "synced.txt");
    const mine = await ns.lookup(root.id, "mine.txt");
    expect(synced).toMatchObject({ mode: 0o644, uid: 0, gid: 0 });
    // As a SETATTR does: the change time moves on.
    const changed = await ns.setAttr(mine.id, { mode: 0o604, ctime: { sec: mine.ctime.sec + 1, nsec: 0 } });
    proxy.setDelay(0);
    // Nobody opens the files.
    await expect.poll(async () => (await ns.get(synced.id)).mtime, { timeout: 10_000 }).toEqual({ sec: 1_600_000_000, nsec: 250_000_000 });
    expect(await ns.get(synced.id)).toMatchObject({ mode: 0o640, uid: 33, gid: 44 });
    await sleep(1_500);
    expect(await ns.get(mine.id)).toMatchObject({ mode: 0o604, mtime: changed.mtime });
  });

  it("refuses a directory rename that would make a key under it longer than 1024 bytes, changing nothing", async () => {
    const { ns, root, entries } = await openShare(SqliteMetadataStore.open({ path: ":memory:" }));
    const now = newNode("dir").mtime;
    let dir = (await ns.create(root.id, "a", newNode("dir"), now)).attr;
    // "a/" + three 251-byte and one 201-byte segments + a 60-byte name: a key of 1016 bytes.
    for (const name of ["b".repeat(250), "c".repeat(250), "d".repeat(250), "e".repeat(200)]) dir = (await ns.create(dir.id, name, newNode("dir"), now)).attr;
    const file = (await ns.create(dir.id, "f".repeat(60), newNode("file", { contentId: newContentId() }), now)).attr;
    await expect(ns.rename(root.id, "a", root.id, "a".repeat(10), now)).rejects.toMatchObject({ code: "NameTooLong" });
    expect(await entries()).toEqual([["a", "dir", 0]]);
    expect((await ns.lookup(dir.id, "f".repeat(60))).id).toBe(file.id);
    // Exactly 1024 bytes fit.
    await ns.rename(root.id, "a", root.id, "a".repeat(9), now);
    expect(await entries()).toEqual([["a".repeat(9), "dir", 0]]);
  });

  it("does not bring back, from a listing under way, a removed file or directory or a renamed file's old key", async () => {
    const proxy = await startTcpProxy({ targetPort: server.port });
    proxies.push(proxy);
    const { ns, root, put, head, entries, store } = await openShare(SqliteMetadataStore.open({ path: ":memory:" }), { proxy });
    await put("gone", "1");
    await put("going", "1");
    await put("moved", "22");
    await put("empty/", "");
    expect((await entries()).map(([name]) => name)).toEqual(["going", "gone", "moved", "empty"]);
    // A listing on its way through a slow proxy sees every object. Before its page arrives,
    // "gone" is removed (its delete queues behind the listing), "going" is unlinked but its
    // content not yet released (as between a REMOVE and its content delete), "moved" renamed,
    // the directory "empty" removed (its marker's delete queues behind the listing too).
    proxy.setDelay(800);
    const listing = ns.refresh(root.id);
    await sleep(200);
    const now = newNode("file").mtime;
    const gone = await ns.unlink(root.id, "gone", now, "nonDir");
    await store.delete(gone.node.contentId!);
    const going = await ns.unlink(root.id, "going", now, "nonDir");
    await ns.rename(root.id, "moved", root.id, "renamed", now);
    await ns.unlink(root.id, "empty", now, "dir");
    await listing;
    await store.delete(going.node.contentId!);
    proxy.setDelay(0);
    expect(await entries()).toEqual([["renamed", "file", 2]]);
    await store.remoteCache.drain();
    for (const key of ["gone", "going", "moved", "empty/"]) await expect(head(key)).rejects.toThrow();
    expect((await head("renamed")).ContentLength).toBe(2);
    await ns.refresh(root.id);
    expect(await entries()).toEqual([["renamed", "file", 2]]);
  });

  it("refuses createMany from callers: only its listing creates in bulk", async () => {
    const { ns, root } = await openShare(new MemoryMetadataStore());
    await expect(ns.createMany(root.id, [{ name: "f", node: newNode("file") }], newNode("file").mtime)).rejects.toMatchObject({ code: "NotSupported" });
  });
});
