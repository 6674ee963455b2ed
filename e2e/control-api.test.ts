/**
 * The control API of a headless `dittofs serve`, as the settings UI in a browser uses it: the URL
 * and bearer token serve prints, the status of an S3 share, and its upload progress streamed
 * while a file copied in over NFS goes up to a real s3rver.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpControlClient, type ControlEvent, type ShareStatus } from "../core/index.js";
import { E2eServer } from "./helpers/harness.js";
import { nfsCp, sha256, writeRandomFile } from "./helpers/nfsclient.mjs";
import { startRefusingProxy, type RefusingProxy } from "./helpers/refusing-proxy.js";
import { s3ClientFor, startS3rver, type S3rverServer } from "./helpers/s3rver.mjs";

const BUCKET = "control-bucket";
const CONTROL_LINE = /^Control API on (http:\/\/127\.0\.0\.1:\d+) with bearer token ([A-Za-z0-9_-]{43})$/;

describe("the control API of dittofs serve", () => {
  let s3: S3rverServer;
  let sdk: S3Client;
  let dittofs: E2eServer;
  let client: HttpControlClient;
  let token: string;
  let scratch: string;
  /** In front of s3rver: refusing writes holds an upload in the queue, where the events must show it. */
  let gate: RefusingProxy;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "dittofs-control-"));
    s3 = await startS3rver({ buckets: [BUCKET] });
    sdk = s3ClientFor(s3);
    gate = await startRefusingProxy(s3.port);
    dittofs = await E2eServer.start(
      {
        metadata: "sqlite",
        content: {
          s3: { layout: "bucket", endpoint: gate.endpoint, bucket: BUCKET, accessKeyEnv: "E2E_S3_KEY", secretKeyEnv: "E2E_S3_SECRET" },
          cache: { upload_after: "1s" },
        },
        // nfs-cp sends no COMMIT: its writes reach the upload queue when the write cache flushes them.
        cache: { flush_after: "200ms" },
        control: true,
      },
      { E2E_S3_KEY: s3.accessKeyId, E2E_S3_SECRET: s3.secretAccessKey },
    );
    const line = dittofs.server.stdoutLines.map((text) => CONTROL_LINE.exec(text)).find(Boolean);
    if (!line) throw new Error(`serve printed no control API line:\n${dittofs.server.describe()}`);
    token = line[2]!;
    client = new HttpControlClient(line[1]!, token);
  });

  afterAll(async () => {
    await dittofs?.dispose();
    await gate?.close();
    sdk?.destroy();
    await s3?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("prints its URL and a new token, and reports the share with its remote side", async () => {
    const status = await client.status();
    expect(status.listeners.nfs?.port).toBe(dittofs.server.nfsPort);
    expect(status.shares).toHaveLength(1);
    expect(status.shares[0]).toMatchObject({ name: "/export", contentKind: expect.stringContaining("s3"), remote: { pendingFiles: 0, lastError: null } });
    expect(status.shares[0]!.remote!.remote).toContain(BUCKET);
    // The token is for whoever started the server: it is never in the logs.
    expect(String(dittofs.server.stderr)).not.toContain(token);
  });

  it("streams an upload S3 refuses, and after Retry now its way into the bucket", async () => {
    const events: ShareStatus[] = [];
    const unsubscribe = client.subscribe((event: ControlEvent) => events.push(event.share));
    try {
      const source = join(scratch, "video.bin");
      const digest = writeRandomFile(source, 6 * 1024 * 1024 + 13);
      gate.refusing = true;
      await nfsCp(source, dittofs.url({ path: "/video.bin" }));
      await expect
        .poll(() => events.at(-1)?.remote, { timeout: 30_000, interval: 200 })
        .toMatchObject({ pendingFiles: 1, pendingBytes: 6 * 1024 * 1024 + 13, stalled: { files: 1 } });
      expect(events.at(-1)!.remote!.stalled!.reason).toMatch(/denied/i);
      gate.refusing = false;
      expect(await client.retryUploads("/export")).toBe(1);
      await expect
        .poll(() => events.at(-1)?.remote, { timeout: 30_000, interval: 200 })
        .toMatchObject({ pendingFiles: 0, pendingBytes: 0, uploads: [] });
      const object = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: "video.bin" }));
      expect(sha256(Buffer.from(await object.Body!.transformToByteArray()))).toBe(digest);
    } finally {
      unsubscribe();
    }
  });
});
