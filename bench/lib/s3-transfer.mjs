/* global Buffer, setTimeout */
/**
 * The S3 side of bench/s3.mjs: the baselines a DittoFS S3 share is compared with (a plain SDK
 * multipart upload, parallel ranged GETs written in order, many small PutObjects), and watches
 * on s3rver that tell when an object, or a set of objects, has fully arrived.
 */
import { createReadStream } from "node:fs";
import { open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
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

/**
 * PutObject of each of `bodies` as `${prefix}f000000`, `${prefix}f000001`, ..., `concurrency`
 * requests in flight (what the disk cache allows its uploads).
 */
export async function putObjects(client, { bucket, prefix, bodies, concurrency }) {
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const index = next++;
      const key = `${prefix}f${String(index).padStart(6, "0")}`;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bodies[index] }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, worker));
}

/** Keys and sizes of every object under `bucket/prefix` (ListObjectsV2, page by page). */
async function listAll(client, bucket, prefix) {
  const objects = [];
  let token;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) objects.push({ key: object.Key, size: object.Size });
    token = page.NextContinuationToken;
  } while (token);
  return objects;
}

/**
 * Polls `bucket/prefix` every `intervalMs` (ListObjectsV2) until `count` objects of `size` bytes
 * are there (objects of other sizes, such as directory markers, do not count). Resolves with
 * their keys and `landedAt`, the Unix time in seconds when the listing that showed them all
 * arrived (the objects were all there by then).
 */
export async function waitForObjects(client, { bucket, prefix, count, size, intervalMs = 50, timeoutMs = 300_000 }) {
  const giveUpAt = performance.now() + timeoutMs;
  for (;;) {
    const objects = (await listAll(client, bucket, prefix)).filter((object) => object.size === size);
    const landedAt = Date.now() / 1000;
    if (objects.length > count) throw new Error(`${objects.length} objects of ${size} bytes under s3://${bucket}/${prefix}, expected ${count}`);
    if (objects.length === count) return { keys: objects.map((object) => object.key), landedAt };
    if (performance.now() > giveUpAt) {
      throw new Error(`${objects.length} of ${count} objects of ${size} bytes under s3://${bucket}/${prefix} after ${timeoutMs / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
