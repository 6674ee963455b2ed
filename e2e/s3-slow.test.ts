/**
 * A bucket share over a slow network: s3rver behind a TCP proxy that delays every chunk. Saves
 * the way editors make them (rename the old file away, write the new one, sync, remove the old
 * one) and remove-then-recreate must leave each save's bytes as the object, and the file in the
 * share, whatever order the background copies, deletes and uploads reach S3 in.
 */
import { GetObjectCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy.mjs";
import { E2eServer } from "./helpers/harness.js";
import { type HandleJson, type RawJson, nfsCat, nfsLs } from "./helpers/nfsclient.mjs";
import { s3ClientFor, startS3rver, type S3rverServer } from "./helpers/s3rver.mjs";

const BUCKET = "dittofs-slow";
const PREFIX = "drive/";
const SAVES = 5;
const MiB = 2 ** 20;
const NFS3ERR_JUKEBOX = 10008;

/** The bucket share's content store, reached through `proxy`. */
function contentOver(proxy: TcpProxy, cache: Record<string, string>) {
  return {
    s3: { layout: "bucket" as const, endpoint: proxy.endpoint, bucket: BUCKET, prefix: PREFIX, accessKeyEnv: "E2E_S3_KEY", secretKeyEnv: "E2E_S3_SECRET", listTtl: "1s" },
    cache: { upload_after: "1s", ...cache },
  };
}

describe("a bucket share over slow S3", () => {
  let s3: S3rverServer;
  let proxy: TcpProxy;
  let sdk: S3Client;
  let dittofs: E2eServer;

  const get = async (key: string): Promise<string | null> => {
    try {
      const out = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: PREFIX + key }));
      return Buffer.from(await out.Body!.transformToByteArray()).toString();
    } catch {
      return null;
    }
  };
  const exists = (key: string) =>
    sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: PREFIX + key })).then(
      () => true,
      () => false,
    );
  const names = async (path: string) => (await nfsLs(dittofs.url({ path }))).map((entry) => entry.name).sort();
  /** What the share shows at `path` (null when the name is gone). */
  const shareText = async (dir: string, name: string) => ((await names(dir)).includes(name) ? (await nfsCat(dittofs.url({ path: `${dir}/${name}` }))).toString() : null);

  beforeAll(async () => {
    s3 = await startS3rver({ buckets: [BUCKET] });
    sdk = s3ClientFor(s3);
    proxy = await startTcpProxy({ targetPort: s3.port, delayMs: 300 });
    dittofs = await E2eServer.start({ content: contentOver(proxy, {}) }, { E2E_S3_KEY: s3.accessKeyId, E2E_S3_SECRET: s3.secretAccessKey });
    const c = await dittofs.client();
    await c.run("mkdir", "/vim");
    await c.run("mkdir", "/rm");
  });

  afterAll(async () => {
    await dittofs?.dispose();
    await proxy?.close();
    sdk?.destroy();
    await s3?.close();
  });

  it("keeps every vim-style save (rename away, write, sync, remove the old one) as the object and the file", async () => {
    const c = await dittofs.client();
    await c.run("write", "/vim/notes.txt", "save 0");
    await expect.poll(() => get("vim/notes.txt"), { timeout: 30_000 }).toBe("save 0");
    for (let save = 1; save <= SAVES; save++) {
      await c.run("rename", "/vim/notes.txt", "/vim/notes.txt~");
      await c.run("write", "/vim/notes.txt", `save ${save}`);
      await c.run("unlink", "/vim/notes.txt~");
      await expect.poll(() => get("vim/notes.txt"), { timeout: 30_000 }).toBe(`save ${save}`);
      await expect.poll(() => exists("vim/notes.txt~"), { timeout: 30_000 }).toBe(false);
    }
    // Long enough for every queued job to land and the listing to be refreshed twice.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(await get("vim/notes.txt")).toBe(`save ${SAVES}`);
    expect(await names("/vim")).toEqual(["notes.txt"]);
    expect(await shareText("/vim", "notes.txt")).toBe(`save ${SAVES}`);
  });

  it("keeps a file removed and created again under the same name while the delete is still on its way", async () => {
    proxy.setDelay(150, 400);
    const c = await dittofs.client();
    for (let round = 1; round <= SAVES; round++) {
      await c.run("write", "/rm/b.txt", `old ${round}`);
      await c.run("unlink", "/rm/b.txt");
      await c.run("write", "/rm/b.txt", `new ${round}`);
      await expect.poll(() => get("rm/b.txt"), { timeout: 30_000 }).toBe(`new ${round}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(await get("rm/b.txt")).toBe(`new ${SAVES}`);
    expect(await shareText("/rm", "b.txt")).toBe(`new ${SAVES}`);
  });

  it("answers a WRITE with NFS3ERR_JUKEBOX once the cache stays full while S3 is offline, and takes it once S3 is back", async () => {
    proxy.setDelay(0, 0);
    await dittofs.restart({ content: contentOver(proxy, { max_size: "64MiB", full_wait: "1s" }) });
    const c = await dittofs.client();
    await c.run("mkdir", "/full");
    await c.run("write", "/full/small.txt", "before");
    await expect.poll(() => get("full/small.txt"), { timeout: 30_000 }).toBe("before");
    const { fh } = await c.json<HandleJson>("fh", "/full/small.txt");

    proxy.setOffline(true);
    await c.run("write-pattern", "/full/big.bin", String(64 * MiB), "7", "commit");
    expect(await c.json<RawJson>("fh-write", fh, "0", "after!")).toEqual({ status: NFS3ERR_JUKEBOX });

    proxy.setOffline(false);
    await expect.poll(async () => (await c.json<RawJson>("fh-write", fh, "0", "after!")).status, { timeout: 60_000, interval: 1_000 }).toBe(0);
    await expect.poll(() => get("full/small.txt"), { timeout: 60_000 }).toBe("after!");
  });
});
