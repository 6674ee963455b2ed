/**
 * Listings of a bucket-layout share that never make a client wait on S3 once a directory was
 * listed, attributes of objects other tools wrote that converge without anyone opening them, and
 * a directory rename whose keys would not fit S3. Driven through libnfs against s3rver, with a
 * TCP proxy between dittofs and s3rver that makes S3 slow or unreachable on command.
 */
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { E2eServer } from "./helpers/harness.js";
import { type DirEntryJson, ERRNO, type StatJson, nfsLs } from "./helpers/nfsclient.mjs";
import { s3ClientFor, startS3rver, type S3rverServer } from "./helpers/s3rver.mjs";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy.mjs";

const BUCKET = "dittofs-listing";
const PREFIX = "drive/";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("listings and attributes of an S3 bucket share", () => {
  let s3: S3rverServer;
  let sdk: S3Client;
  let proxy: TcpProxy;
  let dittofs: E2eServer;

  /** Written straight to s3rver, as another tool would (dittofs sees S3 through the proxy). */
  const put = (key: string, body: string, metadata?: Record<string, string>) =>
    sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: PREFIX + key, Body: Buffer.from(body), Metadata: metadata }));
  const names = async (path: string) => (await nfsLs(dittofs.url({ path }))).map((entry) => entry.name).sort();
  /** A directory another tool made shows once the (background) refresh of its parent's listing is done. */
  const appears = (path: string, expected: string[]) => expect.poll(() => names(path).catch(() => null), { timeout: 10_000 }).toEqual(expected);
  /** Warnings in the server's log that a listing failed. */
  const listingWarnings = () =>
    dittofs.server.stderr
      .toString()
      .split("\n")
      .filter((line) => line.includes('"level":40') && /listing[^"]*failed/.test(line)).length;
  const keys = async () => ((await sdk.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: PREFIX }))).Contents ?? []).map((o) => o.Key!).sort();

  beforeAll(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    sdk = s3ClientFor(s3);
    proxy = await startTcpProxy({ targetPort: s3.port });
    dittofs = await E2eServer.start(
      {
        content: {
          s3: {
            layout: "bucket",
            endpoint: proxy.endpoint,
            bucket: BUCKET,
            prefix: PREFIX,
            accessKeyEnv: "E2E_S3_KEY",
            secretKeyEnv: "E2E_S3_SECRET",
            listTtl: "1s",
          },
          cache: { upload_after: "1s" },
        },
      },
      { E2E_S3_KEY: s3.accessKeyId, E2E_S3_SECRET: s3.secretAccessKey },
    );
  });

  afterEach((context) => {
    proxy.setDelay(0);
    proxy.setOffline(false);
    if (context.task.result?.state === "fail" && dittofs) console.error(dittofs.server.describe());
  });

  afterAll(async () => {
    await dittofs?.dispose();
    await proxy?.close();
    sdk?.destroy();
    await s3?.close();
  });

  it("shows the mtime, mode and owner rclone and s3fs keep in object metadata, within seconds of a listing, without opening the files", async () => {
    await put("synced/photo.jpg", "jpeg bytes", { mtime: "1600000000.123456789" });
    await put("synced/notes.txt", "notes", { mtime: "1500000000", mode: String(0o100640), uid: "1234", gid: "5678" });
    await put("synced/plain.txt", "no metadata");
    const c = await dittofs.client();
    // The listing knows only sizes and upload times.
    expect(await names("/synced")).toEqual(["notes.txt", "photo.jpg", "plain.txt"]);
    const plainUploaded = (await c.json<StatJson>("stat", "/synced/plain.txt")).mtime;
    const readdirplus = async () => Object.fromEntries((await c.lines("readdir-stat", "/synced")).map((line) => JSON.parse(line) as DirEntryJson).map((e) => [e.name, e]));
    await expect
      .poll(async () => {
        const entries = await readdirplus();
        return [entries["photo.jpg"]?.mtime, entries["photo.jpg"]?.mtime_nsec, entries["notes.txt"]?.mtime];
      }, { timeout: 10_000 })
      .toEqual([1_600_000_000, 123_456_789, 1_500_000_000]);
    expect(await readdirplus()).toMatchObject({
      "notes.txt": { mode: 0o640, uid: 1234, gid: 5678, size: 5 },
      "plain.txt": { mode: 0o644, size: 11, mtime: plainUploaded },
    });
    // GETATTR agrees.
    expect(await c.json<StatJson>("stat", "/synced/photo.jpg")).toMatchObject({ mtime: 1_600_000_000, mtime_nsec: 123_456_789, size: 10 });
    expect(await c.json<StatJson>("stat", "/synced/notes.txt")).toMatchObject({ mtime: 1_500_000_000, mode: 0o640, uid: 1234, gid: 5678 });
  });

  it("answers a listing older than list_ttl from the cache while S3 is slow, and shows a new object after the background refresh", async () => {
    await put("slow/one.txt", "1");
    await appears("/slow", ["one.txt"]);
    await put("slow/two.txt", "2");
    await sleep(1_500);
    // Within every timeout on the way, so a listing that waited would show two.txt.
    proxy.setDelay(3_000);
    expect(await names("/slow")).toEqual(["one.txt"]);
    expect(await names("/slow")).toEqual(["one.txt"]);
    proxy.setDelay(0);
    await expect.poll(() => names("/slow"), { timeout: 20_000 }).toEqual(["one.txt", "two.txt"]);
  });

  it("answers from the cache while S3 is unreachable, says so once in the log, and catches up once it answers", async () => {
    await put("offline/one.txt", "1");
    await appears("/offline", ["one.txt"]);
    const warnedBefore = listingWarnings();
    proxy.setOffline(true);
    await put("offline/two.txt", "2");
    for (let i = 0; i < 3; i++) {
      await sleep(1_200);
      expect(await names("/offline")).toEqual(["one.txt"]);
    }
    expect(listingWarnings() - warnedBefore).toBe(1);
    proxy.setOffline(false);
    await expect.poll(() => names("/offline"), { timeout: 90_000 }).toEqual(["one.txt", "two.txt"]);
  });

  it("refuses up front with NameTooLong a directory rename that would make a key under it longer than 1024 bytes, changing nothing", async () => {
    const c = await dittofs.client();
    // "deep/" + three 251-byte and one 200-byte segments + a 60-byte name: 1018 bytes under the prefix.
    let path = "/deep";
    await c.bytes("mkdir", path);
    for (const segment of ["b".repeat(250), "c".repeat(250), "d".repeat(250), "e".repeat(199)]) {
      path += `/${segment}`;
      await c.bytes("mkdir", path);
    }
    const file = `${path}/${"f".repeat(60)}`;
    await c.run("write", file, "deep inside");
    const fileKey = PREFIX + file.slice(1);
    expect(Buffer.byteLength(fileKey) - PREFIX.length).toBe(1018);
    await expect.poll(() => sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: fileKey })).then(() => true, () => false), { timeout: 30_000 }).toBe(true);
    const before = await keys();
    const listed = await names("/");
    // "deep" → "deeper-still" adds 7 bytes: 1025.
    expect(await c.errno("rename", "/deep", "/deeper-still")).toBe(ERRNO.ENAMETOOLONG);
    expect(await names("/")).toEqual(listed);
    expect((await c.bytes("cat", file)).toString()).toBe("deep inside");
    await sleep(1_500);
    expect(await keys()).toEqual(before);
  });
});
