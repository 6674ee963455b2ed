import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../../e2e/helpers/ports.mjs";
import { startS3rver, type S3rverServer } from "../../../../e2e/helpers/s3rver.mjs";
import { probeS3, type S3ProbeRequest } from "./probe.js";

let s3: S3rverServer;
let good: S3ProbeRequest;

beforeAll(async () => {
  s3 = await startS3rver({ buckets: ["photos", "backups"] });
  good = { endpoint: s3.endpoint, region: "us-east-1", accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, bucket: "photos" };
});

afterAll(async () => {
  await s3?.close();
});

describe("probeS3 (Test connection)", () => {
  it("lists the buckets the keys can see, with or without a bucket to check", async () => {
    expect(await probeS3(good)).toEqual({ ok: true, buckets: ["backups", "photos"] });
    expect(await probeS3({ ...good, bucket: null })).toEqual({ ok: true, buckets: ["backups", "photos"] });
  });

  it("names the field to fix: secret, access key, bucket, endpoint", async () => {
    const wrongSecret = await probeS3({ ...good, secretAccessKey: "not-the-secret" });
    expect(wrongSecret).toEqual({ ok: false, field: "secretAccessKey", message: "the secret key is wrong for this access key" });
    const wrongKey = await probeS3({ ...good, accessKeyId: "NOSUCHKEY" });
    expect(wrongKey).toEqual({ ok: false, field: "accessKeyId", message: 'S3 does not know the access key "NOSUCHKEY"' });
    const missing = await probeS3({ ...good, bucket: "no-such-bucket" });
    expect(missing).toMatchObject({ ok: false, field: "bucket", message: expect.stringContaining('"no-such-bucket" does not exist') });
    const closed = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await probeS3({ ...good, endpoint: closed });
    expect(unreachable).toMatchObject({ ok: false, field: "endpoint", message: `cannot reach S3 endpoint ${closed}: connection refused` });
    // No message carries the secret.
    for (const result of [wrongSecret, wrongKey, missing, unreachable]) expect(JSON.stringify(result)).not.toContain(good.secretAccessKey);
  });
});
