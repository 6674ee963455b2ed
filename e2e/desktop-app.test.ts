/**
 * The desktop app, headless (`dittofs-app`), as a person uses it on Linux: in a user session with
 * gvfs and the Secret Service, a bucket on a real S3 peer (s3rver, checking signatures) is added
 * as a share, mounted as a drive through gvfs, a file copied onto the drive with `cp` arrives in
 * the bucket with the same bytes, and stopping the app unmounts the drive. The secret lives in the
 * keychain only.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, DeleteBucketCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpControlClient, ManagedShare } from "../core/index.js";
import { Keychain } from "../electron/keychain.js";
import { AppSettings } from "../electron/settings/app-settings.js";
import { startDesktopSession, startHeadlessApp, type DesktopSession, type HeadlessApp } from "./helpers/desktop-session.js";
import { ensureBuilt } from "./helpers/dittofs.mjs";
import { requireGvfs } from "./helpers/gvfs.mjs";
import { sha256, writeRandomFile } from "./helpers/nfsclient.mjs";
import { freePort } from "./helpers/ports.mjs";
import { s3ClientFor, startS3rver, type S3rverServer } from "./helpers/s3rver.mjs";
import { requireTools } from "./helpers/tools.mjs";

const BUCKET = "holiday-photos";
const FILE_BYTES = 8 * 1024 * 1024 + 3;

/** Resolves once `check` resolves true; throws after a minute. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (const deadline = Date.now() + 60_000; !(await check()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("dittofs-app: an S3 bucket as a drive, managed over the control API", () => {
  let work: string;
  let session: DesktopSession;
  let s3: S3rverServer;
  let sdk: S3Client;
  let app: HeadlessApp;
  let api: HttpControlClient;

  beforeAll(async () => {
    await ensureBuilt();
    requireGvfs();
    await requireTools(["gnome-keyring", "gvfs-smb", "gvfs-fuse"]);
    work = mkdtempSync(join(tmpdir(), "dittofs-app-"));
    session = await startDesktopSession(join(work, "session"));
    // A secret unlike the access key id, so that finding it anywhere means the secret leaked.
    s3 = await startS3rver({ buckets: [BUCKET], secretAccessKey: "wJalrXUtnFEMI-holiday-secret-K7MDENG" });
    sdk = s3ClientFor(s3);
    // The ports the app serves on: free ones, set before its first start as a person would in General.
    mkdirSync(join(work, "app"));
    const settings = new AppSettings(join(work, "app", "settings.db"));
    settings.setPreferences({ nfsPort: await freePort(), smbPort: await freePort() });
    settings.close();
    app = await startHeadlessApp(join(work, "app"), session.env);
    api = app.client;
  });

  afterAll(async () => {
    await app?.stop();
    sdk?.destroy();
    await s3?.close();
    await session?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const s3Share = (secretKey = "keychain:dittofs/s3-holiday") => ({
    name: "Holiday",
    kind: "s3" as const,
    s3: { endpoint: s3.endpoint, region: "us-east-1", bucket: BUCKET, accessKeyId: s3.accessKeyId, secretKey },
    protocol: "smb" as const,
  });

  it("is managed: no shares yet, and Test connection names a wrong secret, then lists the buckets", async () => {
    expect(await api.status()).toMatchObject({ managed: true, shares: [] });
    expect(await api.listShares()).toEqual([]);
    const probe = { endpoint: s3.endpoint, region: "us-east-1", accessKeyId: s3.accessKeyId, bucket: null };
    expect(await api.testS3({ ...probe, secretAccessKey: "not-the-secret" })).toEqual({
      ok: false,
      field: "secretAccessKey",
      message: "the secret key is wrong for this access key",
    });
    expect(await api.testS3({ ...probe, secretAccessKey: s3.secretAccessKey })).toEqual({ ok: true, buckets: [BUCKET] });
  });

  it("adds the bucket as a share, keeps the secret in the keychain only, and mounts it as a drive through gvfs", async () => {
    const saved: ManagedShare = await api.saveShare({ share: s3Share(), secretAccessKey: s3.secretAccessKey });
    expect(saved).toMatchObject({ exportPath: "/holiday", secretStored: true, definition: { name: "Holiday", autoMount: true } });
    expect(saved.drive.error).toBeNull();
    expect(saved.drive.mounted).toBe(true);
    expect(saved.drive.mountPoint!.startsWith(session.fuseDir)).toBe(true);
    expect(readdirSync(saved.drive.mountPoint!)).toEqual([]);
    expect((await api.status()).shares.map((share) => share.name)).toEqual(["/holiday"]);
    // Nothing of the secret in the app's files (the settings, the host's data) or its answers.
    expect(JSON.stringify(await api.listShares())).not.toContain(s3.secretAccessKey);
    const grep = spawnSync("grep", ["-rlF", s3.secretAccessKey, join(work, "app")], { encoding: "utf8" });
    expect(grep.stdout).toBe("");
  });

  it("copies a file onto the drive with cp, and the bucket gets the same bytes", async () => {
    const [share] = await api.listShares();
    const source = join(work, "IMG_0001.jpg");
    const digest = writeRandomFile(source, FILE_BYTES);
    const cp = spawnSync("cp", [source, join(share!.drive.mountPoint!, "IMG_0001.jpg")], { encoding: "utf8", env: session.env, timeout: 60_000 });
    expect(cp.stderr).toBe("");
    expect(cp.status).toBe(0);
    const remote = async () => (await api.status()).shares.find((one) => one.name === "/holiday")!.remote!;
    const objectSize = () =>
      sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "IMG_0001.jpg" })).then(
        (head) => head.ContentLength,
        () => null,
      );
    // gvfs hands the file over after cp returns (FUSE closes asynchronously), and a slow cp may
    // outlast the 10 s upload delay: done is nothing pending and the whole object in the bucket.
    await until(async () => {
      const now = await remote();
      return now.pendingFiles === 0 && now.uploads.length === 0 && (await objectSize()) === FILE_BYTES;
    }, "the upload to finish");
    const object = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: "IMG_0001.jpg" }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    expect(bytes.length).toBe(FILE_BYTES);
    expect(sha256(bytes)).toBe(digest);
  });

  it("shows what a folder holds before serving it, and serves it as a share", async () => {
    const folder = join(work, "Documents");
    mkdirSync(join(folder, "Taxes"), { recursive: true });
    writeFileSync(join(folder, "notes.txt"), "already here\n");
    expect(await api.previewFolder(folder)).toEqual({
      path: folder,
      entries: [
        { name: "notes.txt", directory: false, size: 13 },
        { name: "Taxes", directory: true, size: 0 },
      ],
      total: 2,
    });
    await expect(api.previewFolder(join(work, "nowhere"))).rejects.toMatchObject({ code: "Invalid", field: "folder.path", message: `there is no folder at ${join(work, "nowhere")}` });
    await expect(api.previewFolder("relative/path")).rejects.toMatchObject({ field: "folder.path" });
    const saved = await api.saveShare({ share: { name: "Documents", kind: "folder", folder: { path: folder }, autoMount: false } });
    // Left out, the protocol is the one this OS mounts with.
    expect(saved).toMatchObject({ exportPath: "/documents", definition: { protocol: "smb" }, drive: { mounted: false, error: null } });
    expect((await api.status()).shares.map((share) => share.name)).toEqual(["/holiday", "/documents"]);
  });

  it("refuses a hostile or wrong definition with the field, and changes nothing", async () => {
    const before = JSON.stringify(await api.listShares());
    await expect(api.saveShare({ share: { name: "../../etc", kind: "memory" } })).rejects.toMatchObject({ code: "Invalid", field: "name" });
    await expect(api.saveShare({ share: { ...s3Share(), name: "Other", s3: { ...s3Share().s3, endpoint: "file:///etc/passwd" } }, secretAccessKey: "x" })).rejects.toMatchObject({
      field: "s3.endpoint",
    });
    await expect(api.saveShare({ share: { name: "Holiday", kind: "memory" } })).rejects.toMatchObject({ field: "name", message: 'a share named "Holiday" exists already' });
    const polluted = JSON.parse('{"name":"P","kind":"memory","__proto__":{"autoMount":false}}') as { name: string; kind: "memory" };
    await expect(api.saveShare({ share: polluted })).rejects.toMatchObject({ code: "Invalid" });
    await expect(api.setPreferences({ nfsPort: 80 })).rejects.toMatchObject({ code: "Invalid", field: "nfsPort" });
    expect(JSON.stringify(await api.listShares())).toBe(before);
  });

  it("restarts the file server on a new log level, and the drive keeps working", async () => {
    const startedAt = (await api.status()).startedAt;
    expect(await api.setPreferences({ logLevel: "debug" })).toMatchObject({ logLevel: "debug" });
    expect((await api.status()).startedAt).not.toBe(startedAt);
    // gvfs may give up the mount while the server restarts: the app mounts it again.
    await until(async () => (await api.listShares())[0]!.drive.mounted, "the drive to be mounted again");
    const [share] = await api.listShares();
    expect(readFileSync(join(share!.drive.mountPoint!, "IMG_0001.jpg")).length).toBe(FILE_BYTES);
  });

  it("removes a share: unmounted, no longer served, its secret gone from the keychain, its objects kept", async () => {
    await api.saveShare({ share: { ...s3Share("keychain:dittofs/s3-spare"), name: "Spare" }, secretAccessKey: s3.secretAccessKey });
    const spare = (await api.listShares()).find((share) => share.definition.name === "Spare")!;
    expect(spare.drive.mounted).toBe(true);
    // The keychain the app uses, read here through the same session bus.
    process.env.DBUS_SESSION_BUS_ADDRESS = session.env.DBUS_SESSION_BUS_ADDRESS;
    const keychain = new Keychain();
    expect(await keychain.has("keychain:dittofs/s3-spare")).toBe(true);
    expect(await api.removeShare("Spare")).toBe(true);
    expect(existsSync(spare.drive.mountPoint!)).toBe(false);
    expect((await api.status()).shares.map((share) => share.name)).not.toContain(spare.exportPath);
    expect(await keychain.has("keychain:dittofs/s3-spare")).toBe(false);
    expect(await keychain.has("keychain:dittofs/s3-holiday")).toBe(true);
    await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: "IMG_0001.jpg" }));
  });

  it("refuses an S3 share the bucket would refuse, naming the field, before saving anything", async () => {
    const before = JSON.stringify(await api.listShares());
    const other = { ...s3Share("keychain:dittofs/s3-other"), name: "Other" };
    await expect(api.saveShare({ share: other, secretAccessKey: "not-the-secret" })).rejects.toMatchObject({
      code: "Invalid",
      field: "secretAccessKey",
      message: "the secret key is wrong for this access key",
    });
    await expect(api.saveShare({ share: { ...other, s3: { ...other.s3, bucket: "no-such-bucket" } }, secretAccessKey: s3.secretAccessKey })).rejects.toMatchObject({
      code: "Invalid",
      field: "s3.bucket",
    });
    expect(JSON.stringify(await api.listShares())).toBe(before);
  });

  it("leaves out a share whose bucket is gone, serves the others, and says why", async () => {
    await sdk.send(new CreateBucketCommand({ Bucket: "doomed" }));
    const doomed = { ...s3Share("keychain:dittofs/s3-doomed"), name: "Doomed", autoMount: false, s3: { ...s3Share().s3, bucket: "doomed", secretKey: "keychain:dittofs/s3-doomed" } };
    await api.saveShare({ share: doomed, secretAccessKey: s3.secretAccessKey });
    expect((await api.status()).shares.map((share) => share.name)).toContain("/doomed");
    await sdk.send(new DeleteBucketCommand({ Bucket: "doomed" }));
    // Any restart of the file server (here: a new log level) opens the stores again.
    await api.setPreferences({ logLevel: "info" });
    const status = await api.status();
    expect(status.problem).toBeNull();
    expect(status.shares.map((share) => share.name)).toEqual(["/holiday", "/documents"]);
    expect(status.unserved).toEqual([{ name: "/doomed", error: expect.stringContaining("doomed") }]);
    const listed = (await api.listShares()).find((share) => share.definition.name === "Doomed")!;
    expect(listed.serveError).toBe(status.unserved[0]!.error);
    await until(async () => (await api.listShares())[0]!.drive.mounted, "the drive to be mounted again");
    const [holiday] = await api.listShares();
    expect(readFileSync(join(holiday!.drive.mountPoint!, "IMG_0001.jpg")).length).toBe(FILE_BYTES);
    expect(await api.removeShare("Doomed")).toBe(true);
    expect((await api.status()).unserved).toEqual([]);
  });

  it("refuses a second dittofs-app on the same data folder", () => {
    const headless = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "electron", "headless-main.js");
    const second = spawnSync(process.execPath, [headless, "--data", join(work, "app"), "--port", "0"], { encoding: "utf8", env: session.env, timeout: 20_000 });
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/is in use by another dittofs-app \(pid \d+\)/);
  });

  it("unmounts the drive and stops when told to (Ctrl-C)", async () => {
    const [share] = await api.listShares();
    const mountPoint = share!.drive.mountPoint!;
    const { code, output } = await app.stop();
    expect(code, output).toBe(0);
    expect(existsSync(join(mountPoint, "IMG_0001.jpg"))).toBe(false);
  });
});
