/**
 * Finder's and Explorer's litter (`.DS_Store`, `._*`, `Thumbs.db`, `desktop.ini`: the default
 * `litter` of a share) on S3 shares of both layouts, through the C NFS client against a real
 * s3rver: such files work like any other through NFS, survive a restart and a refresh of the
 * bucket listing, but neither their bytes nor their names ever reach the bucket. Renames move a
 * file across the line: to an ordinary name it is uploaded, to a litter name its object goes.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpControlClient } from "../core/index.js";
import { E2eServer } from "./helpers/harness.js";
import { freePort } from "./helpers/ports.mjs";
import { prepareSmb, smbclient, type SmbLogin } from "./helpers/smb.js";
import { s3ClientFor, startS3rver, type S3rverServer } from "./helpers/s3rver.mjs";

const BUCKET = "litter-e2e";
const SMB_PASSWORD = "litter e2e password";
const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;
const CONTROL_LINE = /^Control API on (http:\/\/127\.0\.0\.1:\d+) with bearer token ([A-Za-z0-9_-]{43})$/;

/** Text bytes with a random tag, so that an object holding them can be recognised. */
const content = (what: string) => `${what} ${randomBytes(12).toString("hex")}\n`;

let s3: S3rverServer;
let sdk: S3Client;

beforeAll(async () => {
  s3 = await startS3rver({ buckets: [BUCKET] });
  sdk = s3ClientFor(s3);
});

afterAll(async () => {
  sdk?.destroy();
  await s3?.close();
});

/** Every object under `prefix`: key (without the prefix) and bytes. */
async function objects(prefix: string): Promise<Array<{ key: string; body: string }>> {
  const page = await sdk.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return Promise.all(
    (page.Contents ?? []).map(async (object) => {
      const got = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: object.Key! }));
      return { key: object.Key!.slice(prefix.length), body: Buffer.from(await got.Body!.transformToByteArray()).toString() };
    }),
  );
}

function controlOf(dittofs: E2eServer): HttpControlClient {
  const line = dittofs.server.stdoutLines.map((text) => CONTROL_LINE.exec(text)).find(Boolean);
  if (!line) throw new Error(`serve printed no control API line:\n${dittofs.server.describe()}`);
  return new HttpControlClient(line[1]!, line[2]!);
}

describe.each(["bucket", "opaque"] as const)("litter on an S3 share (%s layout)", (layout) => {
  const prefix = `${layout}/`;
  let dittofs: E2eServer;
  let smb: SmbLogin;
  let work: string;
  const litter = { ".DS_Store": content("finder view settings"), "._photo.jpg": content("apple double"), "Thumbs.db": content("explorer thumbnails") };
  const photo = content("a real photo");

  /** Resolves once nothing is waiting to go to S3 (a refusing S3 would show as pending). */
  const settled = () =>
    expect.poll(async () => (await controlOf(dittofs).status()).shares[0]?.remote?.pendingFiles, { timeout: 20_000, interval: 100 }).toBe(0);
  /** What the bucket holds: for the bucket layout keys are names; for opaque, content ids, so bodies are what tell. */
  const bucketBodies = async () => (await objects(prefix)).map((object) => object.body).sort();
  const listed = async () => (await (await dittofs.client()).lines("readdir", "/")).filter((name) => name !== "." && name !== "..").sort();
  const readBack = async (name: string) => (await (await dittofs.client()).bytes("cat", `/${name}`)).toString();

  beforeAll(async () => {
    await prepareSmb();
    smb = { port: await freePort(), user: "alice", password: SMB_PASSWORD };
    work = mkdtempSync(join(tmpdir(), "dittofs-litter-"));
    dittofs = await E2eServer.start(
      {
        smb: { enabled: true, port: smb.port, users: [{ name: "alice", password: "env:E2E_SMB_PASSWORD", uid, gid }] },
        shares: [{ name: "/export", root: { uid, gid, mode: 0o755 } }],
        content: {
          s3: { layout, endpoint: s3.endpoint, bucket: BUCKET, prefix, accessKeyEnv: "E2E_S3_KEY", secretKeyEnv: "E2E_S3_SECRET", listTtl: "1s" },
          cache: { upload_after: "100ms" },
        },
        control: true,
      },
      { E2E_S3_KEY: s3.accessKeyId, E2E_S3_SECRET: s3.secretAccessKey, E2E_SMB_PASSWORD: SMB_PASSWORD },
    );
  });

  afterAll(async () => {
    await dittofs?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("keeps litter out of the bucket while NFS clients write, list and read it", async () => {
    const c = await dittofs.client();
    for (const [name, text] of Object.entries(litter)) await c.run("write", `/${name}`, text);
    await c.run("write", "/photo.jpg", photo);
    await settled();
    await expect.poll(bucketBodies, { timeout: 20_000 }).toEqual([photo]);
    if (layout === "bucket") expect((await objects(prefix)).map((object) => object.key)).toEqual(["photo.jpg"]);
    expect(await listed()).toEqual([".DS_Store", "._photo.jpg", "Thumbs.db", "photo.jpg"]);
    for (const [name, text] of Object.entries(litter)) expect(await readBack(name)).toBe(text);
  });

  it("still has the litter after a restart on the same stores and a refresh of the listing", async () => {
    await dittofs.restart();
    if (layout === "bucket") expect(await controlOf(dittofs).refreshListing("/export")).toBe(true);
    for (const [name, text] of Object.entries(litter)) expect(await readBack(name)).toBe(text);
    expect(await listed()).toEqual([".DS_Store", "._photo.jpg", "Thumbs.db", "photo.jpg"]);
    expect(await bucketBodies()).toEqual([photo]);
  });

  it("uploads a litter file renamed to an ordinary name", async () => {
    const c = await dittofs.client();
    await c.run("rename", "/._photo.jpg", "/kept.jpg");
    await settled();
    await expect.poll(bucketBodies, { timeout: 20_000 }).toEqual([litter["._photo.jpg"], photo].sort());
    if (layout === "bucket") expect((await objects(prefix)).map((object) => object.key).sort()).toEqual(["kept.jpg", "photo.jpg"]);
    expect(await readBack("kept.jpg")).toBe(litter["._photo.jpg"]);
  });

  it("keeps an ordinary file renamed to a litter name here, and drops its object", async () => {
    const c = await dittofs.client();
    // Not a litter name: it stays in the bucket.
    await c.run("rename", "/photo.jpg", "/.DS_Store2");
    await settled();
    if (layout === "bucket") await expect.poll(async () => (await objects(prefix)).map((object) => object.key).sort(), { timeout: 20_000 }).toEqual([".DS_Store2", "kept.jpg"]);
    expect(await bucketBodies()).toEqual([litter["._photo.jpg"], photo].sort());

    await c.run("unlink", "/Thumbs.db");
    await c.run("rename", "/.DS_Store2", "/Thumbs.db");
    await settled();
    await expect.poll(bucketBodies, { timeout: 20_000 }).toEqual([litter["._photo.jpg"]]);
    expect(await readBack("Thumbs.db")).toBe(photo);
    await dittofs.restart();
    expect(await readBack("Thumbs.db")).toBe(photo);
    expect(await listed()).toEqual([".DS_Store", "Thumbs.db", "kept.jpg"]);
  });

  it("does the same for files written and renamed over SMB", async () => {
    const ini = content("explorer folder settings");
    const notes = content("notes");
    writeFileSync(join(work, "desktop.ini"), ini);
    writeFileSync(join(work, "notes.txt"), notes);
    await smbclient(smb, "export", "put desktop.ini; put notes.txt", [], work);
    await settled();
    await expect.poll(bucketBodies, { timeout: 20_000 }).toContain(notes);
    expect(await bucketBodies()).not.toContain(ini);
    await smbclient(smb, "export", "get desktop.ini ini-back; rename notes.txt ._notes.txt", [], work);
    expect(readFileSync(join(work, "ini-back"), "utf8")).toBe(ini);
    await settled();
    await expect.poll(bucketBodies, { timeout: 20_000 }).not.toContain(notes);
    expect(await bucketBodies()).not.toContain(ini);
    expect(await readBack("._notes.txt")).toBe(notes);
  });
});
