/* global Buffer, setTimeout */
/**
 * The S3 side of bench/s3.mjs: the baselines a DittoFS S3 share is compared with (a plain SDK
 * multipart upload, parallel ranged GETs written in order), and a watch on s3rver that tells
 * when an object has fully arrived.
 */
import { createReadStream } from "node:fs";
import { open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

/** `path` to `bucket/key` with lib-storage's Upload: `partSize` parts, `queueSize` in flight. */
export async function uploadFile(client, { bucket, key, path, partSize, queueSize }) {
  const upload = new Upload({ client, params: { Bucket: bucket, Key: key, Body: createReadStream(path) }, partSize, queueSize });
  await upload.done();
}

/** One ranged GET of [offset, offset + into.length) into `into`. */
async function getRange(client, bucket, key, offset, into) {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${offset}-${offset + into.length - 1}` }));
  let filled = 0;
  for await (const piece of out.Body) {
    if (filled + piece.byteLength > into.length) throw new Error(`GET ${key} at ${offset} sent more than the ${into.length} bytes asked for`);
    into.set(piece, filled);
    filled += piece.byteLength;
  }
  if (filled !== into.length) throw new Error(`GET ${key} at ${offset} ended after ${filled} of ${into.length} bytes`);
}

/**
 * Downloads `size` bytes of `bucket/key` into the local file `path` with `concurrency` ranged
 * GETs of `chunkSize` in flight, each chunk written after the one before it (as a sequential
 * reader would consume them). Each worker reuses one buffer, so memory stays at
 * concurrency × chunkSize.
 */
export async function downloadRanged(client, { bucket, key, size, path, chunkSize, concurrency }) {
  const file = await open(path, "w");
  try {
    const chunks = Math.ceil(size / chunkSize);
    let next = 0;
    /** Resolves once every chunk before the key has been written. */
    const written = new Map([[0, Promise.resolve()]]);
    const settle = new Map();
    for (let i = 1; i <= chunks; i++) written.set(i, new Promise((resolve) => settle.set(i, resolve)));
    const worker = async () => {
      const buffer = Buffer.allocUnsafe(chunkSize);
      while (next < chunks) {
        const index = next++;
        const offset = index * chunkSize;
        const view = buffer.subarray(0, Math.min(chunkSize, size - offset));
        await getRange(client, bucket, key, offset, view);
        await written.get(index);
        await file.write(view, 0, view.length, offset);
        settle.get(index + 1)();
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, chunks) }, worker));
  } finally {
    await file.close();
  }
}

/** Multipart uploads s3rver holds open in `bucket` (their ids), from its data directory. */
async function openUploads(s3rverDir, bucket) {
  try {
    return await readdir(join(s3rverDir, bucket, "._S3rver_uploads"));
  } catch (err) {
    if (err.code === "ENOENT") return [];
    throw err;
  }
}

/**
 * Polls `bucket/prefix` every `intervalMs` (ListObjectsV2) until one object of `size` bytes is
 * there and s3rver has no multipart upload open, i.e. the final object has landed. Resolves with
 * the object and what the watch saw: `firstUploadAt` (performance.now() when a multipart upload
 * was first seen open) and `uploadIds` (every upload seen open).
 */
export async function waitForObject(client, { s3rverDir, bucket, prefix, size, intervalMs = 100, timeoutMs = 300_000 }) {
  const uploadIds = new Set();
  let firstUploadAt;
  const giveUpAt = performance.now() + timeoutMs;
  for (;;) {
    const openIds = await openUploads(s3rverDir, bucket);
    if (openIds.length > 0) firstUploadAt ??= performance.now();
    for (const id of openIds) uploadIds.add(id);
    if (openIds.length === 0) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      const objects = page.Contents ?? [];
      const full = objects.find((object) => object.Size === size);
      if (full) return { key: full.Key, etag: full.ETag, firstUploadAt, uploadIds: [...uploadIds] };
    }
    if (performance.now() > giveUpAt) {
      throw new Error(`no object of ${size} bytes under s3://${bucket}/${prefix} within ${timeoutMs / 1000} s (${openIds.length} uploads open)`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
