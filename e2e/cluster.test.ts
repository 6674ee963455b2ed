/**
 * Horizontal scaling: two `dittofs serve` instances on different ports share one PostgreSQL
 * metadata store and one S3 bucket (opaque layout). A file written through one is read back
 * through the other, the namespace is one, and a file handle from one instance works on the other.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eServer } from "./helpers/harness.js";
import { type DigestJson, type HandleJson, type PatternJson, type RawJson, fileSha256, nfsCp, nfsLs, writeRandomFile } from "./helpers/nfsclient.mjs";
import { type PostgresServer, startPostgres } from "./helpers/postgres.mjs";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { s3ClientFor, startS3rver, type S3rverServer } from "./helpers/s3rver.mjs";

const MiB = 1024 * 1024;
/** nfsstat3 (RFC 1813 §2.6): the server asks the client to try again later. */
const NFS3ERR_JUKEBOX = 10008;
const BUCKET = "dittofs-cluster";

describe("two instances sharing PostgreSQL and S3", () => {
  let postgres: PostgresServer;
  let s3: S3rverServer;
  let a: E2eServer;
  let b: E2eServer;
  let scratch: string;

  beforeAll(async () => {
    [postgres, s3] = await Promise.all([startPostgres(), startS3rver({ buckets: [BUCKET] })]);
    const database = await postgres.createDatabase();
    const env = { E2E_S3_KEY: s3.accessKeyId, E2E_S3_SECRET: s3.secretAccessKey, E2E_PG_PASSWORD: postgres.password };
    const options = {
      metadata: { postgres: { host: postgres.host, port: postgres.port, database, user: postgres.user, passwordEnv: "E2E_PG_PASSWORD" } },
      content: { s3: { layout: "opaque" as const, endpoint: s3.endpoint, bucket: BUCKET, prefix: "shared/", accessKeyEnv: "E2E_S3_KEY", secretKeyEnv: "E2E_S3_SECRET" } },
      // What one instance acknowledges must be in S3 before the other can read it.
      shares: [{ name: "/export", durability: "remote" as const }],
    };
    // Both start on an empty database at once: the schema is migrated exactly once.
    [a, b] = await Promise.all([E2eServer.start(options, env), E2eServer.start(options, env)]);
    scratch = await mkdtemp(join(tmpdir(), "dittofs-cluster-"));
  });

  afterAll(async () => {
    await Promise.allSettled([a?.dispose(), b?.dispose()]);
    await Promise.allSettled([postgres?.stop(), s3?.close()]);
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("reads through B what was copied in through A, byte for byte", async () => {
    expect(a.nfsPort).not.toBe(b.nfsPort);
    const local = join(scratch, "from-a.bin");
    const digest = writeRandomFile(local, 24 * MiB + 3);
    await nfsCp(local, a.url({ path: "/from-a.bin" }));

    expect((await nfsLs(b.url())).map((entry) => entry.name)).toContain("from-a.bin");
    const out = join(scratch, "via-b.bin");
    await nfsCp(b.url({ path: "/from-a.bin" }), out);
    expect(await fileSha256(out)).toBe(digest);
  });

  it("shares one namespace both ways: directories, renames and removals", async () => {
    const onA = await a.client();
    const onB = await b.client();
    await onB.bytes("mkdir", "/made-on-b");
    const written = await onB.json<PatternJson>("write-pattern", "/made-on-b/data.bin", String(3 * MiB), "7", "commit");
    expect(await onA.json<DigestJson>("read-sha256", "/made-on-b/data.bin")).toEqual({ size: 3 * MiB, sha256: written.sha256 });

    await onA.bytes("rename", "/made-on-b/data.bin", "/made-on-b/renamed.bin");
    expect((await onB.lines("readdir", "/made-on-b")).filter((name) => !name.startsWith("."))).toEqual(["renamed.bin"]);
    await onB.bytes("unlink", "/made-on-b/renamed.bin");
    await onA.bytes("rmdir", "/made-on-b");
    expect((await nfsLs(a.url())).map((entry) => entry.name)).not.toContain("made-on-b");
  });

  it("serves B the new bytes once A rewrote a file B has cached", async () => {
    const onA = await a.client();
    const onB = await b.client();
    const first = await onA.json<PatternJson>("write-pattern", "/rewritten.bin", String(2 * MiB), "1", "commit");
    expect(await onB.json<DigestJson>("read-sha256", "/rewritten.bin")).toEqual({ size: 2 * MiB, sha256: first.sha256 });
    const second = await onA.json<PatternJson>("write-pattern", "/rewritten.bin", String(2 * MiB), "2", "commit");
    expect(second.sha256).not.toBe(first.sha256);
    // B checks its cached bytes against the object once they are older than revalidate_after (3 s).
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(await onB.json<DigestJson>("read-sha256", "/rewritten.bin")).toEqual({ size: 2 * MiB, sha256: second.sha256 });
  });

  it("never loses one instance's committed bytes to the other's upload of the same file", async () => {
    const half = 64 * 1024;
    const expected = createHash("sha256").update("a".repeat(half) + "b".repeat(half)).digest("hex");
    const onA = await a.client();
    const onB = await b.client();
    /** One FILE_SYNC WRITE by handle, sent again while the other instance holds the file (JUKEBOX). */
    const writeUntilDone = async (client: typeof onA, fh: string, offset: number, text: string) => {
      for (let attempt = 0; attempt < 200; attempt++) {
        const { status } = await client.json<RawJson>("fh-write", fh, String(offset), text);
        if (status === 0) return attempt;
        expect(status).toBe(NFS3ERR_JUKEBOX);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error("the other instance never gave the file back");
    };
    let waited = 0;
    for (let round = 0; round < 3; round++) {
      const name = `/both-${round}.bin`;
      await onA.bytes("write", name, "");
      const { fh } = await onA.json<HandleJson>("fh", name);
      const attempts = await Promise.all([writeUntilDone(onA, fh, 0, "a".repeat(half)), writeUntilDone(onB, fh, half, "b".repeat(half))]);
      waited += attempts[0]! + attempts[1]!;
      // B revalidates cached bytes older than revalidate_after (3 s) against the object.
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      expect(await onA.json<DigestJson>("read-sha256", name)).toEqual({ size: 2 * half, sha256: expected });
      expect(await onB.json<DigestJson>("read-sha256", name)).toEqual({ size: 2 * half, sha256: expected });
    }
    // The writes did meet: one instance waited for the other at least once.
    expect(waited).toBeGreaterThan(0);
  });

  it("removes the object of a file one instance deletes while the other is still writing it", async () => {
    const sdk = s3ClientFor(s3);
    const objects = async () =>
      (await sdk.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "shared/" }))).Contents?.map((object) => object.Key) ?? [];
    const before = await objects();
    const onA = await a.client();
    await onA.bytes("write", "/doomed-in-flight.bin", "");
    const { fh } = await onA.json<HandleJson>("fh", "/doomed-in-flight.bin");
    // A writes (and so holds the file's write lease for a second after), B removes the file at once.
    expect(await onA.json<RawJson>("fh-write", fh, "0", "x".repeat(64 * 1024))).toMatchObject({ status: 0 });
    await (await b.client()).bytes("unlink", "/doomed-in-flight.bin");
    // B's release of the content waits for A to give the file back, then deletes the object.
    await expect.poll(objects, { timeout: 30_000, interval: 250 }).toEqual(before);
    sdk.destroy();
  });

  it("accepts a file handle issued by the other instance", async () => {
    const handle = await (await a.client()).json<HandleJson>("fh", "/from-a.bin");
    expect(await (await b.client()).json<RawJson>("fh-getattr", handle.fh)).toMatchObject({ status: 0, size: 24 * MiB + 3, ino: handle.ino });
  });
});
