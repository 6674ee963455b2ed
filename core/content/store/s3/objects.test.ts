import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../../e2e/helpers/ports.mjs";
import { s3ClientFor, startS3rver, type S3rverServer } from "../../../../e2e/helpers/s3rver.mjs";
import { RemoteError, type UploadSource } from "./cache/backend.js";
import { silentLogger } from "../../../util/logger.js";
import { createS3Client, type S3ClientOptions } from "./client.js";
import { toRemoteError } from "./errors.js";
import { S3ObjectBackend, isServerSideCopy, planParts, type S3ObjectBackendOptions } from "./objects.js";

const MiB = 1024 * 1024;
const BUCKET = "dittofs";

let server: S3rverServer;
let direct: S3Client;
let scratch: string;

beforeAll(async () => {
  server = await startS3rver({ buckets: [BUCKET, "other"] });
  direct = s3ClientFor(server);
  scratch = mkdtempSync(join(tmpdir(), "dittofs-s3-test-"));
}, 30_000);

afterAll(async () => {
  direct?.destroy();
  await server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function clientOptions(overrides: Partial<S3ClientOptions> = {}): S3ClientOptions {
  return {
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestTimeoutMs: 5_000,
    connectTimeoutMs: 2_000,
    maxSockets: 8,
    maxAttempts: 2,
    ...overrides,
  };
}

function backendFor(client: S3Client, overrides: Partial<S3ObjectBackendOptions> = {}): S3ObjectBackend {
  return new S3ObjectBackend({
    client,
    bucket: BUCKET,
    prefix: "vol/",
    partSize: 5 * MiB,
    multipartThreshold: 5 * MiB,
    concurrency: 3,
    readChunkSize: 1 * MiB,
    endpoint: server.endpoint,
    logger: silentLogger,
    ...overrides,
  });
}

async function putDirect(key: string, body: Buffer, metadata?: Record<string, string>): Promise<void> {
  await direct.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, Metadata: metadata }));
}

async function getDirect(key: string): Promise<Buffer> {
  const out = await direct.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/** Counts GetObject requests in flight (until their headers arrive) on a real client. */
function countGets(client: S3Client): { max: number; total: number } {
  const counter = { max: 0, total: 0 };
  let inFlight = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== "GetObjectCommand") return next(args);
      counter.total++;
      counter.max = Math.max(counter.max, ++inFlight);
      try {
        return await next(args);
      } finally {
        inFlight--;
      }
    },
    { step: "initialize", name: "countGets" },
  );
  return counter;
}

/** The conditional headers of every request `client` sends, as they go on the wire. */
function recordConditions(client: S3Client): Array<{ command: string; ifMatch: string | undefined; copySourceIfMatch: string | undefined }> {
  const sent: Array<{ command: string; ifMatch: string | undefined; copySourceIfMatch: string | undefined }> = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const headers = (args.request as { headers: Record<string, string> }).headers;
      sent.push({ command: context.commandName ?? "", ifMatch: headers["if-match"], copySourceIfMatch: headers["x-amz-copy-source-if-match"] });
      return next(args);
    },
    { step: "finalizeRequest", name: "recordConditions" },
  );
  return sent;
}

async function remoteErrorOf(promise: Promise<unknown>): Promise<RemoteError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(RemoteError);
  return error as RemoteError;
}

describe("planParts", () => {
  const file = (offset: number, length: number): UploadSource => ({ kind: "file", path: "/f", offset, length });
  const copy = (offset: number, length: number): UploadSource => ({ kind: "copy", key: "base", offset, length });

  it("cuts the concatenated sources at part boundaries, the last part shorter", () => {
    const parts = planParts([file(100, 7), copy(0, 12), { kind: "zeros", length: 4 }], 10);
    expect(parts.map((part) => [part.number, part.offset, part.length])).toEqual([
      [1, 0, 10],
      [2, 10, 10],
      [3, 20, 3],
    ]);
    expect(parts[0]!.slices).toEqual([file(100, 7), copy(0, 3)]);
    expect(parts[1]!.slices).toEqual([copy(3, 9), { kind: "zeros", length: 1 }]);
    expect(parts[2]!.slices).toEqual([{ kind: "zeros", length: 3 }]);
  });

  it("marks only parts entirely inside one copy source as server-side copies", () => {
    const parts = planParts([file(0, 5), copy(1000, 25), file(5, 5)], 10);
    expect(parts.map((part) => isServerSideCopy(part))).toEqual([false, true, true, false]);
    expect(parts[1]!.slices).toEqual([copy(1005, 10)]);
    expect(parts[2]!.slices).toEqual([copy(1015, 10)]);
    expect(parts[3]!.slices).toEqual([file(5, 5)]);
  });

  it("skips empty sources and plans nothing for an empty object", () => {
    expect(planParts([file(0, 0), copy(0, 0)], 10)).toEqual([]);
    expect(planParts([file(0, 0), copy(3, 10), file(9, 0)], 10).map((part) => part.slices)).toEqual([[copy(3, 10)]]);
  });
});

describe("toRemoteError", () => {
  const context = { bucket: "photos", endpoint: "http://127.0.0.1:9000" };
  const serviceError = (name: string, status: number): S3ServiceException =>
    Object.assign(new S3ServiceException({ name, $fault: status >= 500 ? "server" : "client", $metadata: { httpStatusCode: status } }), {
      Code: name,
    });
  const networkError = (code: string, message = code): Error => Object.assign(new Error(message), { code });

  it.each([
    ["NoSuchBucket", 404, "no-bucket", 'S3 bucket "photos" does not exist at http://127.0.0.1:9000'],
    ["InvalidAccessKeyId", 403, "auth", 'S3 rejected the credentials for bucket "photos" (InvalidAccessKeyId): check the access key and secret'],
    ["SignatureDoesNotMatch", 403, "auth", "(SignatureDoesNotMatch)"],
    ["AccessDenied", 403, "auth", 'S3 denied access to bucket "photos" (AccessDenied, HTTP 403)'],
    ["SlowDown", 503, "transient", "SlowDown, HTTP 503"],
    ["InternalError", 500, "transient", "InternalError, HTTP 500"],
    ["RequestTimeout", 400, "transient", "RequestTimeout, HTTP 400"],
    ["RequestTimeTooSkewed", 403, "invalid", "clock is too far off"],
    ["PermanentRedirect", 301, "invalid", "check the region"],
    ["EntityTooLarge", 400, "invalid", "EntityTooLarge, HTTP 400"],
    ["NotImplemented", 501, "invalid", "NotImplemented, HTTP 501"],
  ] as const)("maps %s (HTTP %i) to %s", (code, status, kind, message) => {
    const error = toRemoteError(serviceError(code, status), context);
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.message).toContain(message);
  });

  it("reads a body-less 404 as the object with a key and as the bucket without one", () => {
    const notFound = Object.assign(new S3ServiceException({ name: "NotFound", $fault: "client", $metadata: { httpStatusCode: 404 } }));
    expect(toRemoteError(notFound, { ...context, key: "a/b" })).toMatchObject({
      kind: "not-found",
      message: 'S3 object "a/b" in bucket "photos" does not exist at http://127.0.0.1:9000',
    });
    expect(toRemoteError(notFound, context).kind).toBe("no-bucket");
  });

  it.each([
    ["ECONNREFUSED", "unreachable", "cannot reach S3 endpoint http://127.0.0.1:9000: connection refused"],
    ["ENOTFOUND", "unreachable", "cannot reach S3 endpoint http://127.0.0.1:9000: host not found"],
    ["ECONNRESET", "transient", "connection reset"],
    ["ETIMEDOUT", "transient", "timed out"],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "unreachable", "TLS handshake failed (DEPTH_ZERO_SELF_SIGNED_CERT)"],
  ] as const)("maps network error %s to %s", (code, kind, message) => {
    const error = toRemoteError(networkError(code), context);
    expect(error.kind).toBe(kind);
    expect(error.status).toBeUndefined();
    expect(error.message).toContain(message);
  });

  it("finds the errno code of every connection attempt (happy eyeballs) and on a cause", () => {
    const attempts = Object.assign(new AggregateError([networkError("ECONNREFUSED"), networkError("ECONNREFUSED")]), {});
    expect(toRemoteError(attempts, context).kind).toBe("unreachable");
    expect(toRemoteError(new Error("fetch failed", { cause: networkError("ENOTFOUND") }), context).kind).toBe("unreachable");
  });

  it("tells a connect timeout (unreachable) from a stalled request (transient)", () => {
    const timeout = (message: string): Error => Object.assign(new Error(message), { name: "TimeoutError" });
    expect(toRemoteError(timeout("the request socket did not establish a connection with the server within 2000 ms"), context).kind).toBe(
      "unreachable",
    );
    expect(toRemoteError(timeout("the request socket timed out after 5000 ms of inactivity"), context).kind).toBe("transient");
    const aborted = Object.assign(new Error("The operation was aborted"), { name: "AbortError" });
    expect(toRemoteError(aborted, context)).toMatchObject({ kind: "transient", retryable: true });
  });

  it("reports a request Node refuses to send (metadata beyond Latin-1) as invalid", async () => {
    const client = createS3Client(clientOptions());
    try {
      const error = await remoteErrorOf(backendFor(client).upload("meta/bad", [], { metadata: { name: "sun ☀" } }));
      expect(error.kind).toBe("invalid");
      expect(error.message).toContain("x-amz-meta-name");
    } finally {
      client.destroy();
    }
  });

  it("reports missing default credentials as an auth problem", () => {
    const missing = Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" });
    expect(toRemoteError(missing, context)).toMatchObject({ kind: "auth", message: expect.stringContaining("no S3 credentials") });
  });

  it("passes a RemoteError through unchanged", () => {
    const original = new RemoteError("invalid", "bad");
    expect(toRemoteError(original, context)).toBe(original);
  });
});

describe("S3ObjectBackend against s3rver", () => {
  let client: S3Client;
  let backend: S3ObjectBackend;
  let gets: { max: number; total: number };

  beforeAll(() => {
    client = createS3Client(clientOptions());
    gets = countGets(client);
    backend = backendFor(client);
  });

  afterAll(() => client?.destroy());

  it("describes itself without secrets", () => {
    expect(backend.description).toBe(`s3://${BUCKET}/vol/ at ${server.endpoint}`);
    expect(backend.description).not.toContain(server.secretAccessKey);
  });

  it("rejects a prefix without a trailing slash and a part size under 5 MiB", () => {
    expect(() => backendFor(client, { prefix: "vol" })).toThrow(/must be empty or end with "\/"/);
    expect(() => backendFor(client, { partSize: 4 * MiB })).toThrow(/between 5 MiB and 5 GiB/);
  });

  it("puts a small object with one PutObject, then heads it with its metadata", async () => {
    const data = randomBytes(70_000);
    const path = join(scratch, "small");
    writeFileSync(path, data);
    const progress: number[] = [];
    const { etag } = await backend.upload("small/one", [{ kind: "file", path, offset: 1000, length: 60_000 }], {
      metadata: { mode: "644", mtime: "1700000000" },
      onProgress: (bytes) => progress.push(bytes),
    });
    expect(progress).toEqual([60_000]);
    expect(await getDirect("vol/small/one")).toEqual(data.subarray(1000, 61_000));

    const head = await backend.head("small/one");
    expect(head).toMatchObject({ key: "small/one", size: 60_000, etag, metadata: { mode: "644", mtime: "1700000000" } });
    expect(etag).toMatch(/^[0-9a-f]{32}$/);
    expect(head!.lastModified.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(await backend.head("small/missing")).toBeNull();
  });

  it("writes an empty object", async () => {
    await backend.upload("small/empty", []);
    expect(await backend.head("small/empty")).toMatchObject({ size: 0, etag: "d41d8cd98f00b204e9800998ecf8427e" });
  });

  describe("read", () => {
    const size = 3 * MiB + 123;
    const data = randomBytes(size);
    beforeAll(() => putDirect("vol/read/obj", data));

    it("reads the whole object in parallel ranged GETs of the chunk size", async () => {
      const before = gets.total;
      gets.max = 0;
      const into = Buffer.alloc(size);
      expect(await backend.read("read/obj", 0, size, into)).toBe(size);
      expect(into.equals(data)).toBe(true);
      expect(gets.total - before).toBe(4);
      expect(gets.max).toBe(3);
    });

    it("reads unaligned ranges across chunk boundaries into a larger buffer", async () => {
      const into = Buffer.alloc(2 * MiB + 100, 0xee);
      const length = 2 * MiB + 7;
      expect(await backend.read("read/obj", 12_345, length, into)).toBe(length);
      expect(into.subarray(0, length).equals(data.subarray(12_345, 12_345 + length))).toBe(true);
      expect(into.subarray(length).every((byte) => byte === 0xee)).toBe(true);
    });

    it("reads one byte without touching the next (s3rver answers bytes=0-0 with the whole object)", async () => {
      const into = Buffer.alloc(4, 0xee);
      expect(await backend.read("read/obj", 0, 1, into)).toBe(1);
      expect([...into]).toEqual([data[0], 0xee, 0xee, 0xee]);
    });

    it("returns fewer bytes at the end of the object and none past it", async () => {
      const into = Buffer.alloc(3 * MiB);
      expect(await backend.read("read/obj", size - 10, 100, into)).toBe(10);
      expect(into.subarray(0, 10).equals(data.subarray(size - 10))).toBe(true);
      // Split into chunks: the first comes back short, the others are past the end.
      expect(await backend.read("read/obj", size - MiB - 5, 3 * MiB, into)).toBe(MiB + 5);
      expect(into.subarray(0, MiB + 5).equals(data.subarray(size - MiB - 5))).toBe(true);
      expect(await backend.read("read/obj", size, 10, into)).toBe(0);
      expect(await backend.read("read/obj", size + 5000, 10, into)).toBe(0);
      expect(await backend.read("read/obj", 0, 0, into)).toBe(0);
    });

    it("fails with not-found for a missing object and invalid for a bad range", async () => {
      const missing = await remoteErrorOf(backend.read("read/missing", 0, 10, Buffer.alloc(10)));
      expect(missing).toMatchObject({ kind: "not-found", status: 404 });
      expect(missing.message).toContain('"vol/read/missing"');
      expect((await remoteErrorOf(backend.read("read/obj", 0, 20, Buffer.alloc(10)))).kind).toBe("invalid");
      expect((await remoteErrorOf(backend.read("read/obj", -1, 5, Buffer.alloc(10)))).kind).toBe("invalid");
    });
  });

  describe("list", () => {
    const keyOf = (i: number): string => `many/k${String(i).padStart(5, "0")}`;

    beforeAll(async () => {
      const keys = Array.from({ length: 2_500 }, (_, i) => `vol/${keyOf(i)}`);
      keys.push("vol/tree/a", "vol/tree/b/1", "vol/tree/b/2", "vol/tree/c/z", "outside/many/k00000", "vol/manyx");
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((key) => putDirect(key, Buffer.from(key))));
      }
    }, 120_000);

    it("pages through 2,500 keys 1,000 at a time, keys relative to the prefix", async () => {
      const seen: string[] = [];
      const pageSizes: number[] = [];
      let continuation: string | null = null;
      do {
        const page = await backend.list("many/", { continuation, maxKeys: 1000 });
        pageSizes.push(page.objects.length);
        seen.push(...page.objects.map((object) => object.key));
        expect(page.prefixes).toEqual([]);
        continuation = page.next;
      } while (continuation !== null);
      expect(pageSizes).toEqual([1000, 1000, 500]);
      expect(seen).toEqual(Array.from({ length: 2_500 }, (_, i) => keyOf(i)));
    });

    it("lists sizes and ETags of objects", async () => {
      const page = await backend.list("many/k0000", { maxKeys: 2 });
      expect(page.objects).toHaveLength(2);
      expect(page.objects[0]).toMatchObject({ key: "many/k00000", size: "vol/many/k00000".length });
      expect(page.objects[0]!.etag).toMatch(/^[0-9a-f]{32}$/);
      expect(page.objects[0]!.lastModified).toBeInstanceOf(Date);
      expect(page.next).not.toBeNull();
    });

    it("groups by delimiter into objects and common prefixes", async () => {
      expect(await backend.list("tree/", { delimiter: "/" })).toEqual({
        objects: [expect.objectContaining({ key: "tree/a" })],
        prefixes: ["tree/b/", "tree/c/"],
        next: null,
      });
      const top = await backend.list("", { delimiter: "/" });
      expect(top.prefixes).toEqual(expect.arrayContaining(["many/", "read/", "small/", "tree/"]));
      expect(top.prefixes).not.toContain("outside/");
      expect(top.objects.map((object) => object.key)).toContain("manyx");
    });
  });

  describe("multipart upload", () => {
    const base = randomBytes(12 * MiB);
    const local = randomBytes(8 * MiB);
    let localPath: string;

    beforeAll(async () => {
      localPath = join(scratch, "local");
      writeFileSync(localPath, local);
      await putDirect("vol/mp/base", base);
    });

    it("composes file ranges, copies of an existing object and zeros", async () => {
      // 5 MiB parts: [file 3 MiB + copy 2 MiB] [copy 5 MiB] [copy 3 MiB + zeros 2 MiB] [zeros 1 MiB + file 1 MiB]
      const sources: UploadSource[] = [
        { kind: "file", path: localPath, offset: 100, length: 3 * MiB },
        { kind: "copy", key: "mp/base", offset: MiB + 1, length: 10 * MiB },
        { kind: "zeros", length: 3 * MiB },
        { kind: "file", path: localPath, offset: 5 * MiB, length: MiB },
      ];
      const total = 17 * MiB;
      expect(planParts(sources, 5 * MiB).map(isServerSideCopy)).toEqual([false, true, false, false]);
      const before = { ...backend.stats };
      const progress: number[] = [];
      const { etag } = await backend.upload("mp/mixed", sources, {
        metadata: { kind: "mixed" },
        onProgress: (bytes) => progress.push(bytes),
      });

      const expected = Buffer.concat([
        local.subarray(100, 100 + 3 * MiB),
        base.subarray(MiB + 1, 11 * MiB + 1),
        Buffer.alloc(3 * MiB),
        local.subarray(5 * MiB, 6 * MiB),
      ]);
      expect((await getDirect("vol/mp/mixed")).equals(expected)).toBe(true);
      expect(await backend.head("mp/mixed")).toMatchObject({ size: total, etag, metadata: { kind: "mixed" } });
      expect(progress).toHaveLength(4);
      expect(progress.at(-1)).toBe(total);
      expect([...progress].sort((a, b) => a - b)).toEqual(progress);

      // s3rver answers UploadPartCopy with 501 NotImplemented, so the backend falls back to
      // downloading the copied part and uploading it: every byte was uploaded, the copied ones
      // (10 MiB) having first been read back with ranged GETs.
      expect(backend.stats.bytesCopiedServerSide - before.bytesCopiedServerSide).toBe(0);
      expect(backend.stats.bytesUploaded - before.bytesUploaded).toBe(total);
      expect(backend.stats.bytesDownloaded - before.bytesDownloaded).toBe(10 * MiB);
    });

    it("replaces an object atomically and leaves no object when aborted mid-way", async () => {
      await backend.upload("mp/aborted", [{ kind: "file", path: localPath, offset: 0, length: 1000 }]);
      const old = await backend.head("mp/aborted");
      const abort = new AbortController();
      const upload = backend.upload("mp/aborted", [{ kind: "file", path: localPath, offset: 0, length: 8 * MiB }, { kind: "zeros", length: 40 * MiB }], {
        signal: abort.signal,
        onProgress: () => abort.abort(),
      });
      const error = await remoteErrorOf(upload);
      expect(error.message).toContain("aborted");
      expect(await backend.head("mp/aborted")).toEqual(old);

      const fresh = backend.upload("mp/never", [{ kind: "zeros", length: 30 * MiB }], { signal: AbortSignal.abort() });
      await remoteErrorOf(fresh);
      expect(await backend.head("mp/never")).toBeNull();
    });

    it("fails with not-found when a copy source is missing, and invalid when a local file is short", async () => {
      const missing = await remoteErrorOf(backend.upload("mp/bad", [{ kind: "copy", key: "mp/nothing", offset: 0, length: 6 * MiB }]));
      expect(missing.kind).toBe("not-found");
      const short = await remoteErrorOf(backend.upload("mp/bad", [{ kind: "file", path: localPath, offset: 7 * MiB, length: 2 * MiB }]));
      expect(short.kind).toBe("invalid");
      expect(short.message).toContain(localPath);
      expect(await backend.head("mp/bad")).toBeNull();
    });
  });

  describe("copy and delete", () => {
    it("copies keys with spaces and unicode, keeping or replacing metadata", async () => {
      const from = "photos 2024/été ☀/naïve 文件.txt";
      const to = "copies/üñí cødé/space d.txt";
      await backend.upload(from, [{ kind: "zeros", length: 10 }], { metadata: { mode: "600" } });
      const original = await backend.head(from);

      const kept = await backend.copy(from, to);
      expect(kept.etag).toBe(original!.etag);
      expect(await backend.head(to)).toMatchObject({ size: 10, metadata: { mode: "600" } });

      await backend.copy(from, "copies/replaced", { metadata: { mode: "644", uid: "0" } });
      expect((await backend.head("copies/replaced"))!.metadata).toEqual({ mode: "644", uid: "0" });
      expect((await getDirect("vol/copies/replaced")).equals(Buffer.alloc(10))).toBe(true);

      const page = await backend.list("copies/");
      expect(page.objects.map((object) => object.key)).toEqual(["copies/replaced", to]);
    });

    it("fails with not-found when the source is missing", async () => {
      expect((await remoteErrorOf(backend.copy("copies/none", "copies/x"))).kind).toBe("not-found");
    });

    it("sends the ETag it was given as If-Match on DeleteObject and CopySourceIfMatch on CopyObject", async () => {
      // s3rver ignores these headers, so what goes on the wire is recorded on the way out.
      const recording = createS3Client(clientOptions());
      const sent = recordConditions(recording);
      try {
        const conditional = backendFor(recording);
        const { etag } = await conditional.upload("cond/a", [{ kind: "zeros", length: 4 }]);
        await conditional.copy("cond/a", "cond/b", { sourceIfMatch: etag });
        await conditional.delete("cond/a", { ifMatch: etag });
        await conditional.delete("cond/b");
        expect(sent).toEqual([
          { command: "PutObjectCommand", ifMatch: undefined, copySourceIfMatch: undefined },
          { command: "CopyObjectCommand", ifMatch: undefined, copySourceIfMatch: `"${etag}"` },
          { command: "DeleteObjectCommand", ifMatch: `"${etag}"`, copySourceIfMatch: undefined },
          { command: "DeleteObjectCommand", ifMatch: undefined, copySourceIfMatch: undefined },
        ]);
      } finally {
        recording.destroy();
      }
    });

    it("leaves a newer object in place: S3's 412 to a conditional delete is no error, to a conditional copy it is not-found", async () => {
      // S3's answer when the object at the key is another one than the ETag names (s3rver never gives it).
      const refusing = createS3Client(clientOptions());
      refusing.middlewareStack.add(
        () => () => {
          throw Object.assign(new S3ServiceException({ name: "PreconditionFailed", $fault: "client", $metadata: { httpStatusCode: 412 } }), {
            Code: "PreconditionFailed",
          });
        },
        { step: "finalizeRequest", name: "preconditionFailed" },
      );
      try {
        const conditional = backendFor(refusing);
        await conditional.delete("cond/newer", { ifMatch: "0123" });
        expect(await remoteErrorOf(conditional.copy("cond/newer", "cond/elsewhere", { sourceIfMatch: "0123" }))).toMatchObject({ kind: "not-found", status: 412 });
        // Without a condition a 412 is not expected, and stays an error.
        expect((await remoteErrorOf(conditional.delete("cond/newer"))).kind).toBe("invalid");
      } finally {
        refusing.destroy();
      }
    });

    it("deletes objects, and deleting a missing one is not an error", async () => {
      await backend.upload("del/me", [{ kind: "zeros", length: 3 }]);
      await backend.delete("del/me");
      expect(await backend.head("del/me")).toBeNull();
      await backend.delete("del/me");
    });
  });

  describe("check", () => {
    it("passes for a bucket that exists", async () => {
      await backend.check();
    });

    it("reports a missing bucket as no-bucket", async () => {
      const error = await remoteErrorOf(backendFor(client, { bucket: "no-such-bucket" }).check());
      expect(error).toMatchObject({ kind: "no-bucket", status: 404 });
      expect(error.message).toBe(`S3 bucket "no-such-bucket" does not exist at ${server.endpoint}`);
    });

    it("reports an unknown access key as auth", async () => {
      // s3rver knows only the key id S3RVER; it does not verify V4 signatures, so a wrong secret
      // would pass: the wrong key id is what it can reject.
      const wrong = createS3Client(clientOptions({ credentials: { accessKeyId: "NOT-A-KEY", secretAccessKey: "wrong-secret" } }));
      try {
        const error = await remoteErrorOf(backendFor(wrong).check());
        expect(error).toMatchObject({ kind: "auth", status: 403 });
        expect(error.message).toBe(`S3 rejected the credentials for bucket "${BUCKET}" (InvalidAccessKeyId): check the access key and secret`);
        expect(error.message).not.toContain("wrong-secret");
      } finally {
        wrong.destroy();
      }
    });

    it("reports a closed port as unreachable within the timeouts", async () => {
      const endpoint = `http://127.0.0.1:${await freePort()}`;
      const closed = createS3Client(clientOptions({ endpoint }));
      try {
        const started = Date.now();
        const error = await remoteErrorOf(backendFor(closed, { endpoint }).check());
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(error).toMatchObject({ kind: "unreachable", retryable: true });
        expect(error.message).toBe(`cannot reach S3 endpoint ${endpoint}: connection refused`);
      } finally {
        closed.destroy();
      }
    });

    it("fails a request that gets no answer after the request timeout, as transient", async () => {
      // A peer that accepts connections and never answers.
      const sockets = new Set<Socket>();
      const silent: Server = createServer((socket) => sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      const endpoint = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
      const mute = createS3Client(clientOptions({ endpoint, requestTimeoutMs: 500, maxAttempts: 1 }));
      try {
        const started = Date.now();
        const error = await remoteErrorOf(backendFor(mute, { endpoint }).read("x", 0, 10, Buffer.alloc(10)));
        expect(Date.now() - started).toBeLessThan(4_000);
        expect(error).toMatchObject({ kind: "transient", retryable: true });
        expect(error.message).toContain("timed out");
      } finally {
        mute.destroy();
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    });
  });
});

describe("S3ObjectBackend when s3rver dies", () => {
  it("fails a read with a retryable RemoteError instead of hanging, and works again once S3 is back", async () => {
    const data = randomBytes(16 * MiB);
    await putDirect("vol/dying/obj", data);
    const client = createS3Client(clientOptions({ requestTimeoutMs: 2_000, maxAttempts: 2 }));
    // Kill s3rver as soon as the first ranged GET has its answer headers: the rest of that body
    // and every later chunk meet a dead server.
    let killing: Promise<void> | undefined;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === "GetObjectCommand") killing ??= server.kill();
        return result;
      },
      { step: "initialize", name: "killAfterFirstGet" },
    );
    const backend = backendFor(client, { readChunkSize: MiB, concurrency: 2 });
    try {
      const error = await remoteErrorOf(backend.read("dying/obj", 0, data.length, Buffer.alloc(data.length)));
      expect(error.retryable).toBe(true);
      expect(["transient", "unreachable"]).toContain(error.kind);
      await killing;
      expect(server.alive).toBe(false);
      expect((await remoteErrorOf(backend.check())).kind).toBe("unreachable");

      // Same port, same data directory: the object is still there.
      await server.start();
      await backend.check();
      const into = Buffer.alloc(data.length);
      expect(await backend.read("dying/obj", 0, data.length, into)).toBe(data.length);
      expect(into.equals(data)).toBe(true);

      // A graceful stop frees the port at once, keep-alive connections included.
      await server.stop();
      expect((await remoteErrorOf(backend.head("dying/obj"))).kind).toBe("unreachable");
      await server.start();
      expect((await direct.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "vol/dying/obj" }))).ContentLength).toBe(data.length);
    } finally {
      client.destroy();
      if (!server.alive) await server.start();
    }
  }, 30_000);
});
