/**
 * Shares on S3 (opaque layout: metadata in sqlite, one object per content id) driven through
 * libnfs' nfs-cp against a real s3rver: bytes reach the bucket intact, survive kill -9 after
 * COMMIT and an S3 outage during a copy, and come back cold from S3 after the cache is gone.
 */
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eServer } from "./helpers/harness.js";
import { fileSha256, nfsCp, writeRandomFile } from "./helpers/nfsclient.mjs";
import { s3ClientFor, startS3rver, type S3rverServer } from "./helpers/s3rver.mjs";
import { startDittofs, writeDittofsConfig } from "./helpers/dittofs.mjs";
import { freePort } from "./helpers/ports.mjs";

const MiB = 1024 * 1024;
const BUCKET = "dittofs-e2e";
const CREDENTIALS = { E2E_S3_KEY: "S3RVER", E2E_S3_SECRET: "S3RVER" };

let s3: S3rverServer;
let sdk: S3Client;
let scratch: string;
let prefixes = 0;

beforeAll(async () => {
  s3 = await startS3rver({ buckets: [BUCKET] });
  sdk = s3ClientFor(s3);
  scratch = await mkdtemp(join(tmpdir(), "dittofs-e2e-s3-"));
});

afterAll(async () => {
  sdk?.destroy();
  await s3?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function s3Share(prefix: string, cache: Record<string, unknown> = {}) {
  return {
    content: {
      s3: { layout: "opaque", endpoint: s3.endpoint, bucket: BUCKET, prefix, accessKeyEnv: "E2E_S3_KEY", secretKeyEnv: "E2E_S3_SECRET" },
      cache: { upload_after: "1s", ...cache },
    },
  } as const;
}

async function startOnS3(prefix: string, cache: Record<string, unknown> = {}, durability?: "local" | "remote"): Promise<E2eServer> {
  return E2eServer.start({ ...s3Share(prefix, cache), shares: [{ name: "/export", durability }] }, CREDENTIALS);
}

/** The objects under `prefix` (one page is plenty here). */
async function objectsUnder(prefix: string): Promise<Array<{ key: string; size: number }>> {
  const page = await sdk.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).map((object) => ({ key: object.Key!, size: object.Size! }));
}

async function objectSha256(key: string): Promise<string> {
  const result = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const hash = createHash("sha256");
  for await (const chunk of result.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * Waits until `prefix` holds exactly one object, of `size` bytes and with the digest `sha256`,
 * and returns its key. An object can be there early with other bytes: uploads also start while a
 * file is still being written (when the cache fills up or the file sits uncommitted), and the
 * final upload replaces it.
 */
async function uploadedObject(prefix: string, size: number, sha256: string, timeoutMs = 120_000): Promise<string> {
  let key = "";
  await expect
    .poll(
      async () => {
        const objects = await objectsUnder(prefix).catch(() => []);
        if (objects.length !== 1 || objects[0]!.size !== size) return `${objects.length} objects: ${objects.map((o) => o.size).join(", ")}`;
        key = objects[0]!.key;
        return objectSha256(key).catch((err: Error) => err.message);
      },
      { timeout: timeoutMs, interval: 250 },
    )
    .toBe(sha256);
  return key;
}

describe("S3 shares (opaque layout) through NFS", () => {
  it("copies a file in: the object appears in the bucket with identical bytes, and reads back", async () => {
    const prefix = `copy${++prefixes}/`;
    const dittofs = await startOnS3(prefix);
    try {
      const local = join(scratch, "in.bin");
      const digest = writeRandomFile(local, 48 * MiB + 17);
      await nfsCp(local, dittofs.url({ path: "/in.bin" }));
      const key = await uploadedObject(prefix, 48 * MiB + 17, digest);
      expect(key).toMatch(new RegExp(`^${prefix}[0-9a-f]{32}$`));

      const out = join(scratch, "out.bin");
      await nfsCp(dittofs.url({ path: "/in.bin" }), out);
      expect(await fileSha256(out)).toBe(digest);
    } finally {
      await dittofs.dispose();
    }
  });

  it("round-trips 1 GiB, read back cold from S3 after the cache is gone", async () => {
    const prefix = `big${++prefixes}/`;
    const dittofs = await startOnS3(prefix);
    try {
      const local = join(scratch, "big.bin");
      const digest = writeRandomFile(local, 1024 * MiB);
      await nfsCp(local, dittofs.url({ path: "/big.bin" }), { timeoutMs: 300_000 });
      await uploadedObject(prefix, 1024 * MiB, digest, 300_000);
      rmSync(local);

      await dittofs.server.stop();
      rmSync(join(dittofs.dir, "cache"), { recursive: true, force: true });
      await dittofs.restart();
      const out = join(scratch, "big-out.bin");
      await nfsCp(dittofs.url({ path: "/big.bin" }), out, { timeoutMs: 300_000 });
      expect(await fileSha256(out)).toBe(digest);
      rmSync(out);
    } finally {
      await dittofs.dispose();
    }
  });

  it("uploads data committed right before kill -9 after the restart", async () => {
    const prefix = `crash${++prefixes}/`;
    const dittofs = await startOnS3(prefix);
    try {
      // With S3 down, the committed bytes can only be in the local journal when the server dies.
      await s3.stop();
      const local = join(scratch, "crash.bin");
      const digest = writeRandomFile(local, 20 * MiB + 5);
      await nfsCp(local, dittofs.url({ path: "/crash.bin" }));
      const killed = await dittofs.server.kill9();
      expect(killed.signal).toBe("SIGKILL");
      await s3.start();
      expect(await objectsUnder(prefix)).toEqual([]);

      await dittofs.restart();
      await uploadedObject(prefix, 20 * MiB + 5, digest);
      const out = join(scratch, "crash-out.bin");
      await nfsCp(dittofs.url({ path: "/crash.bin" }), out);
      expect(await fileSha256(out)).toBe(digest);
    } finally {
      if (!s3.alive) await s3.start();
      await dittofs.dispose();
    }
  });

  it("starts offline when S3 cannot be reached, and uploads what was copied in once S3 answers", async () => {
    const prefix = `offline${++prefixes}/`;
    await s3.stop();
    const dittofs = await startOnS3(prefix);
    try {
      expect(dittofs.server.describe()).toContain("starting offline");
      const local = join(scratch, "offline.bin");
      const digest = writeRandomFile(local, 40 * MiB + 3);
      await nfsCp(local, dittofs.url({ path: "/offline.bin" }));
      await s3.start();
      await uploadedObject(prefix, 40 * MiB + 3, digest);
      const out = join(scratch, "offline-out.bin");
      await nfsCp(dittofs.url({ path: "/offline.bin" }), out);
      expect(await fileSha256(out)).toBe(digest);
    } finally {
      if (!s3.alive) await s3.start();
      await dittofs.dispose();
    }
  });

  it("completes a copy with S3 down for 10 s in the middle, with identical bytes", async () => {
    const prefix = `outage${++prefixes}/`;
    // A small cache, so the copy needs uploads while S3 is away. libnfs does not retry a WRITE
    // answered NFS3ERR_JUKEBOX (kernel clients do), so writers here wait out the whole outage.
    const dittofs = await startOnS3(prefix, { max_size: "64MiB", full_wait: "60s" });
    try {
      const local = join(scratch, "outage.bin");
      const digest = writeRandomFile(local, 192 * MiB);
      const copy = nfsCp(local, dittofs.url({ path: "/outage.bin" }), { timeoutMs: 300_000 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      await s3.kill();
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      await s3.start();
      await copy;
      await uploadedObject(prefix, 192 * MiB, digest);
    } finally {
      if (!s3.alive) await s3.start();
      await dittofs.dispose();
    }
  });

  it("with remote durability, the object is in the bucket when the copy returns", async () => {
    const prefix = `remote${++prefixes}/`;
    const dittofs = await startOnS3(prefix, { upload_after: "1h" }, "remote");
    try {
      const local = join(scratch, "remote.bin");
      const digest = writeRandomFile(local, 6 * MiB + 1);
      await nfsCp(local, dittofs.url({ path: "/remote.bin" }));
      const objects = await objectsUnder(prefix);
      expect(objects.map((object) => object.size)).toEqual([6 * MiB + 1]);
      expect(await objectSha256(objects[0]!.key)).toBe(digest);
    } finally {
      await dittofs.dispose();
    }
  });

  it("refuses to start with a clear error for a missing bucket or bad credentials", async () => {
    const dir = join(scratch, "bad");
    for (const [content, message] of [
      [{ s3: { layout: "opaque", endpoint: s3.endpoint, bucket: "no-such-bucket", accessKeyEnv: "E2E_S3_KEY", secretKeyEnv: "E2E_S3_SECRET" } }, /bucket "no-such-bucket" does not exist/],
      [{ s3: { layout: "opaque", endpoint: s3.endpoint, bucket: BUCKET, accessKeyEnv: "E2E_S3_KEY", secretKeyEnv: "E2E_UNSET_SECRET" } }, /environment variable E2E_UNSET_SECRET is not set/],
      // s3rver checks access key ids but not signatures, so a wrong key id stands for wrong credentials.
      [{ s3: { layout: "opaque", endpoint: s3.endpoint, bucket: BUCKET, accessKeyEnv: "E2E_WRONG_KEY", secretKeyEnv: "E2E_S3_SECRET" } }, /rejected the credentials/],
    ] as const) {
      const config = writeDittofsConfig(dir, { nfsPort: await freePort(), content });
      const started = Date.now();
      const failure = await startDittofs(config, { env: { ...CREDENTIALS, E2E_WRONG_KEY: "NOT-A-KEY" } }).then(
        async (server) => {
          await server.stop();
          return new Error("dittofs started");
        },
        (err: Error) => err,
      );
      expect(failure.message).toMatch(/exited \(1\)/);
      expect(failure.message).toMatch(message);
      expect(failure.message).not.toContain("S3RVER");
      expect(Date.now() - started).toBeLessThan(20_000);
    }
  });
});
