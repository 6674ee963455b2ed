/**
 * A bucket mounted as a drive (bucket layout: one object per file, keys are paths), driven
 * through libnfs against a real s3rver: objects already in the bucket show up as files, files
 * written through NFS become objects with identical bytes, renames move keys, and changes made
 * by other tools show up once the listing is refreshed.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eServer } from "./helpers/harness.js";
import { type DigestJson, type StatJson, fileSha256, nfsCp, nfsLs, sha256, writeRandomFile } from "./helpers/nfsclient.mjs";
import { s3ClientFor, startS3rver, type S3rverServer } from "./helpers/s3rver.mjs";

const MiB = 1024 * 1024;
const BUCKET = "dittofs-bucket";
const PREFIX = "drive/";

describe("an S3 bucket as a share (bucket layout)", () => {
  let s3: S3rverServer;
  let sdk: S3Client;
  let dittofs: E2eServer;
  let scratch: string;
  const existing = randomBytes(3 * MiB + 7);

  // An explicit length: the SDK warns on stderr for every empty body otherwise.
  const put = (key: string, body: Buffer | string) =>
    sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: PREFIX + key, Body: body, ContentLength: Buffer.byteLength(body) }));
  const get = async (key: string) =>
    Buffer.from(await (await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: PREFIX + key }))).Body!.transformToByteArray());
  const exists = (key: string) =>
    sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: PREFIX + key })).then(
      () => true,
      () => false,
    );
  const keysUnder = async (prefix: string): Promise<string[]> => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await sdk.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: PREFIX + prefix, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((object) => object.Key!.slice(PREFIX.length)));
      token = page.NextContinuationToken;
    } while (token);
    return keys.sort();
  };
  const names = async (path = "") => (await nfsLs(dittofs.url({ path }))).map((entry) => entry.name).sort();

  beforeAll(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    sdk = s3ClientFor(s3);
    scratch = await mkdtemp(join(tmpdir(), "dittofs-bucket-"));
    // What another tool left in the bucket. (Keys that cannot be file names, such as "a//b" or
    // "a/./b", cannot be stored in s3rver at all; bucket-namespace.test.ts covers those rules.)
    await put("photos/2024/beach.jpg", existing);
    await put("photos/readme.txt", "hello from the bucket\n");
    await put("empty-dir/", "");
    dittofs = await E2eServer.start(
      {
        content: {
          s3: { layout: "bucket", endpoint: s3.endpoint, bucket: BUCKET, prefix: PREFIX, accessKeyEnv: "E2E_S3_KEY", secretKeyEnv: "E2E_S3_SECRET", listTtl: "1s" },
          cache: { upload_after: "1s" },
        },
      },
      { E2E_S3_KEY: s3.accessKeyId, E2E_S3_SECRET: s3.secretAccessKey },
    );
  });

  afterAll(async () => {
    await dittofs?.dispose();
    sdk?.destroy();
    await s3?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("shows the objects already in the bucket as files, with their sizes", async () => {
    expect(await names()).toEqual(["empty-dir", "photos"]);
    const photos = await nfsLs(dittofs.url({ path: "/photos" }));
    expect(photos.map((entry) => [entry.name, entry.mode.startsWith("d") ? "dir" : entry.size])).toEqual([
      ["2024", "dir"],
      ["readme.txt", 22],
    ]);
    const out = join(scratch, "beach.jpg");
    await nfsCp(dittofs.url({ path: "/photos/2024/beach.jpg" }), out);
    expect(await fileSha256(out)).toBe(sha256(existing));
    expect(await names("/empty-dir")).toEqual([]);
  });

  it("tells clients in FSINFO and PATHCONF that a bucket holds no hard or symbolic links", async () => {
    const c = await dittofs.client();
    // FSF3_HOMOGENEOUS | FSF3_CANSETTIME, without FSF3_LINK or FSF3_SYMLINK (RFC 1813 §3.3.19).
    expect(await c.json("fsinfo", "/photos/readme.txt")).toEqual({ status: 0, properties: 0x18, linkmax: 1 });
  });

  it("uploads a copied file to its own key with identical bytes and rclone-style metadata", async () => {
    const c = await dittofs.client();
    await c.bytes("mkdir", "/in");
    // The marker goes through the durable upload queue: it lands shortly after the reply.
    await expect.poll(() => exists("in/"), { timeout: 10_000 }).toBe(true);
    const local = join(scratch, "copied.bin");
    const digest = writeRandomFile(local, 12 * MiB + 5);
    await nfsCp(local, dittofs.url({ path: "/in/copied.bin" }));
    await expect.poll(async () => (await exists("in/copied.bin")) && sha256(await get("in/copied.bin")), { timeout: 60_000 }).toBe(digest);
    const head = await sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}in/copied.bin` }));
    const stat = await c.json<StatJson>("stat", "/in/copied.bin");
    expect(head.Metadata?.mtime).toBe(`${stat.mtime}.${String(stat.mtime_nsec).padStart(9, "0")}`);
    // s3fs' convention: the whole st_mode in decimal (S_IFREG and the permission bits).
    expect(Number(head.Metadata?.mode)).toBe(0o100000 | stat.mode);
  });

  it("writes into the middle of an object that was already in the bucket", async () => {
    const c = await dittofs.client();
    await c.run("pwrite", "/photos/2024/beach.jpg", String(MiB + 3), "PATCHED");
    const expected = Buffer.from(existing);
    expected.write("PATCHED", MiB + 3);
    await c.run("truncate", "/photos/2024/beach.jpg", String(expected.length));
    await expect.poll(async () => sha256(await get("photos/2024/beach.jpg")), { timeout: 60_000 }).toBe(sha256(expected));
  });

  it("renames a file: the object moves to the new key", async () => {
    const c = await dittofs.client();
    await c.run("write", "/in/old-name.txt", "rename me");
    await expect.poll(() => exists("in/old-name.txt"), { timeout: 60_000 }).toBe(true);
    await c.run("rename", "/in/old-name.txt", "/in/new-name.txt");
    await expect.poll(async () => (await keysUnder("in/")).filter((key) => key.endsWith("name.txt")), { timeout: 60_000 }).toEqual(["in/new-name.txt"]);
    expect((await get("in/new-name.txt")).toString()).toBe("rename me");
  });

  it("renames a directory with 200 files: every key moves, bytes intact", async () => {
    const c = await dittofs.client();
    await c.bytes("mkdir", "/album");
    for (let i = 0; i < 200; i++) await c.run("write", `/album/f${String(i).padStart(3, "0")}.txt`, `file ${i}`);
    await expect.poll(async () => (await keysUnder("album/")).length, { timeout: 120_000 }).toBe(201);
    await c.run("rename", "/album", "/album-2024");
    expect((await names("/album-2024")).length).toBe(200);
    await expect.poll(async () => [(await keysUnder("album/")).length, (await keysUnder("album-2024/")).length], { timeout: 120_000 }).toEqual([0, 201]);
    expect((await get("album-2024/f123.txt")).toString()).toBe("file 123");
    expect(await c.json<DigestJson>("read-sha256", "/album-2024/f007.txt")).toEqual({
      size: 6,
      sha256: createHash("sha256").update("file 7").digest("hex"),
    });
  });

  it("removes objects for removed files and directories", async () => {
    const c = await dittofs.client();
    await c.run("unlink", "/in/new-name.txt");
    await c.run("rmdir", "/empty-dir");
    await expect.poll(async () => [await exists("in/new-name.txt"), await exists("empty-dir/")], { timeout: 60_000 }).toEqual([false, false]);
  });

  it("sees objects other tools add, change and delete once the listing is refreshed", async () => {
    await put("photos/new-from-elsewhere.txt", "fresh");
    await put("photos/readme.txt", "changed by another tool, longer now\n");
    await sdk.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}photos/2024/beach.jpg` }));
    // "2024/" held only beach.jpg and had no marker: with it gone, the directory is gone too.
    await expect.poll(() => names("/photos"), { timeout: 10_000 }).toEqual(["new-from-elsewhere.txt", "readme.txt"]);
    const c = await dittofs.client();
    expect((await c.bytes("cat", "/photos/readme.txt")).toString()).toBe("changed by another tool, longer now\n");
  });

  it("lists a directory of 2,500 objects page by page", async () => {
    for (let i = 0; i < 2500; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => put(`many/k${String(i + j).padStart(5, "0")}`, "")));
    }
    // The root was listed before: it shows the new prefix after its background refresh.
    await expect.poll(() => names(), { timeout: 10_000 }).toContain("many");
    const listed = await names("/many");
    expect(listed.length).toBe(2500);
    expect(listed[0]).toBe("k00000");
    expect(listed.at(-1)).toBe("k02499");
  });
});
