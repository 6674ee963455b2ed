/**
 * ObjectBackend over the S3 API: ranged GETs fetched in parallel, uploads composed from local
 * file ranges, existing objects (copied server-side where a whole part allows) and zeros.
 * Every failure leaves as a RemoteError (see errors.ts).
 */
import { open, type FileHandle } from "node:fs/promises";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  RemoteError,
  type CopyOptions,
  type ListPage,
  type ObjectBackend,
  type PartialUpload,
  type RemoteObject,
  type UploadOptions,
  type UploadSource,
} from "./cache/backend.js";
import type { Logger } from "../../../util/logger.js";
import { toRemoteError, type S3ErrorContext } from "./errors.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** S3's limits: every part but the last at least 5 MiB, at most 10,000 parts, one PUT/copy ≤ 5 GiB. */
export const MIN_PART_SIZE = 5 * MiB;
const MAX_PARTS = 10_000;
const MAX_SINGLE_REQUEST_SIZE = 5 * GiB;
export const DEFAULT_PART_SIZE = 16 * MiB;
export const DEFAULT_READ_CHUNK_SIZE = 8 * MiB;

export interface S3ObjectBackendOptions {
  client: S3Client;
  bucket: string;
  /** "" or ending in "/": keys given to the backend are relative to it. */
  prefix: string;
  /** Size of multipart upload parts (default 16 MiB, at least 5 MiB); grown when 10,000 parts would not do. */
  partSize?: number;
  /** Objects up to this size are written with one PutObject (default: partSize, at most 5 GiB). */
  multipartThreshold?: number;
  /** Parts in flight per upload, ranges in flight per read (default 4). */
  concurrency?: number;
  /** Reads longer than this are split into ranged GETs of this size, fetched in parallel (default 8 MiB). */
  readChunkSize?: number;
  /** Where the bucket lives, for messages and `description`, e.g. the endpoint URL (default "AWS S3"). */
  endpoint?: string;
  logger: Logger;
}

/** Bytes moved since the backend was made, for status and tests. */
export interface S3TransferStats {
  /** Sent in PutObject and UploadPart bodies. */
  bytesUploaded: number;
  /** Copied by S3 itself (UploadPartCopy): never through this process. */
  bytesCopiedServerSide: number;
  /** Received in GetObject bodies. */
  bytesDownloaded: number;
}

/** One part of a multipart upload: a window of the concatenated sources. */
export interface PlannedPart {
  /** 1-based, as S3 numbers parts. */
  number: number;
  /** Where the part starts in the object. */
  offset: number;
  length: number;
  /** The pieces of the sources the part is made of, in order (no empty ones). */
  slices: UploadSource[];
}

/** A part that lies entirely inside one "copy" source, which S3 can copy without us. */
export function isServerSideCopy(part: PlannedPart): boolean {
  return part.slices.length === 1 && part.slices[0]?.kind === "copy";
}

/** The part of `source` from `skip` for `length` bytes. */
function sliceOf(source: UploadSource, skip: number, length: number): UploadSource {
  switch (source.kind) {
    case "file":
      return { kind: "file", path: source.path, offset: source.offset + skip, length };
    case "copy":
      return { kind: "copy", key: source.key, offset: source.offset + skip, length };
    case "zeros":
      return { kind: "zeros", length };
  }
}

/** Cuts the concatenation of `sources` into parts of `partSize` bytes (the last one may be shorter). */
export function planParts(sources: readonly UploadSource[], partSize: number): PlannedPart[] {
  const parts: PlannedPart[] = [];
  let current: PlannedPart | undefined;
  let objectOffset = 0;
  for (const source of sources) {
    let used = 0;
    while (used < source.length) {
      if (current === undefined || current.length === partSize) {
        current = { number: parts.length + 1, offset: objectOffset, length: 0, slices: [] };
        parts.push(current);
      }
      const take = Math.min(source.length - used, partSize - current.length);
      current.slices.push(sliceOf(source, used, take));
      current.length += take;
      used += take;
      objectOffset += take;
    }
  }
  return parts;
}

/** The part size for an object of `total` bytes: `partSize`, grown (in whole MiB) to stay within 10,000 parts. */
function effectivePartSize(total: number, partSize: number): number {
  const needed = Math.ceil(total / MAX_PARTS / MiB) * MiB;
  return Math.max(partSize, needed);
}

function stripQuotes(etag: string | undefined): string {
  return (etag ?? "").replace(/"/g, "");
}

/** An ETag as If-Match headers carry it. */
function quoted(etag: string | undefined): string | undefined {
  return etag === undefined ? undefined : `"${etag}"`;
}

/** What S3 answers a conditional request whose condition does not hold. */
const PRECONDITION_FAILED = 412;

function isWholeNumber(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Rejects sources a bug upstream could produce, before any request is made. */
function checkSources(key: string, sources: readonly UploadSource[]): number {
  let total = 0;
  for (const source of sources) {
    const offset = source.kind === "zeros" ? 0 : source.offset;
    if (!isWholeNumber(source.length) || !isWholeNumber(offset)) {
      throw new RemoteError("invalid", `upload of "${key}": bad ${source.kind} source (offset ${offset}, length ${source.length})`);
    }
    total += source.length;
  }
  return total;
}

/** Runs `work(0..count-1)`, at most `limit` at once; on the first failure starts no more and aborts the rest. */
async function inParallel(
  count: number,
  limit: number,
  outerSignal: AbortSignal | undefined,
  work: (index: number, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const failed = new AbortController();
  const signal = outerSignal === undefined ? failed.signal : AbortSignal.any([outerSignal, failed.signal]);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < count) {
      const index = next++;
      try {
        await work(index, signal);
      } catch (error) {
        if (failure === undefined) {
          failure = { error };
          failed.abort();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, () => worker()));
  if (failure !== undefined) throw failure.error;
}

/** Local files an upload reads from, each opened once and closed at the end. */
class OpenFiles {
  readonly #handles = new Map<string, Promise<FileHandle>>();

  /** Fills `into` with the file's bytes at `offset`. */
  async read(path: string, offset: number, into: Buffer): Promise<void> {
    try {
      let handle = this.#handles.get(path);
      if (handle === undefined) {
        handle = open(path, "r");
        this.#handles.set(path, handle);
      }
      const file = await handle;
      let done = 0;
      while (done < into.length) {
        const { bytesRead } = await file.read(into, done, into.length - done, offset + done);
        if (bytesRead === 0) {
          throw new Error(`it ends before byte ${offset + into.length}`);
        }
        done += bytesRead;
      }
    } catch (err) {
      throw new RemoteError("invalid", `cannot read local file ${path}: ${(err as Error).message}`, undefined, { cause: err });
    }
  }

  async close(): Promise<void> {
    const handles = [...this.#handles.values()];
    this.#handles.clear();
    await Promise.all(handles.map((handle) => handle.then((file) => file.close()).catch(() => undefined)));
  }
}

/** Which part of which multipart upload a request is for. */
interface PartTarget {
  Bucket: string;
  Key: string;
  UploadId: string;
  PartNumber: number;
}

/** Parses "bytes START-END/SIZE". */
function parseContentRange(header: string | undefined): { start: number; end: number } | undefined {
  const match = header === undefined ? null : /^bytes (\d+)-(\d+)\//.exec(header);
  return match ? { start: Number(match[1]), end: Number(match[2]) } : undefined;
}

/** What a partial upload needs of its backend. */
interface PartialUploadOps {
  send(part: PlannedPart, signal?: AbortSignal): Promise<string>;
  abort(): Promise<void>;
}

/** A multipart upload begun before its object was complete (ObjectBackend.begin). */
class S3PartialUpload implements PartialUpload {
  /** Parts sent, by number. */
  readonly sent = new Map<number, { etag: string; length: number }>();
  /** Taken over by an upload() or aborted: sends no more parts. */
  closed = false;

  constructor(
    readonly key: string,
    readonly fullKey: string,
    readonly uploadId: string,
    readonly partSize: number,
    readonly concurrency: number,
    private readonly ops: PartialUploadOps,
  ) {}

  get bytesSent(): number {
    let bytes = 0;
    for (const part of this.sent.values()) bytes += part.length;
    return bytes;
  }

  async sendPart(number: number, sources: readonly UploadSource[], signal?: AbortSignal): Promise<void> {
    if (this.closed) throw new RemoteError("invalid", `the multipart upload of "${this.fullKey}" is finished; no more parts`);
    const length = checkSources(this.fullKey, sources);
    if (!Number.isSafeInteger(number) || number < 1 || number > MAX_PARTS || length !== this.partSize) {
      throw new RemoteError("invalid", `part ${number} of "${this.fullKey}" must be a number from 1 and ${this.partSize} bytes, not ${length}`);
    }
    const part: PlannedPart = { number, offset: (number - 1) * this.partSize, length, slices: sources.filter((source) => source.length > 0) };
    const etag = await this.ops.send(part, signal);
    this.sent.set(number, { etag, length });
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ops.abort();
  }
}

export class S3ObjectBackend implements ObjectBackend {
  readonly description: string;
  readonly stats: S3TransferStats = { bytesUploaded: 0, bytesCopiedServerSide: 0, bytesDownloaded: 0 };

  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #partSize: number;
  readonly #multipartThreshold: number;
  readonly #concurrency: number;
  readonly #readChunkSize: number;
  readonly #endpoint: string;
  readonly #logger: Logger;
  /** Set once the server answers UploadPartCopy with 501 (s3rver does): copy parts then go through us. */
  #partCopyUnsupported = false;
  /** A part's worth of zeros, shared by every all-zero part (S3 only reads it). */
  #zeros: Buffer | undefined;
  /**
   * Part buffers, shared by every upload: at most `concurrency` kept, reused while parts keep
   * going and dropped once none is in flight (an idle desktop app holds none).
   */
  readonly #partBuffers: Buffer[] = [];
  #partsInFlight = 0;

  constructor(options: S3ObjectBackendOptions) {
    const partSize = options.partSize ?? DEFAULT_PART_SIZE;
    const multipartThreshold = options.multipartThreshold ?? partSize;
    const concurrency = options.concurrency ?? 4;
    const readChunkSize = options.readChunkSize ?? DEFAULT_READ_CHUNK_SIZE;
    if (options.bucket === "") throw new RangeError("S3 bucket name is empty");
    if (options.prefix !== "" && !options.prefix.endsWith("/")) {
      throw new RangeError(`S3 prefix "${options.prefix}" must be empty or end with "/"`);
    }
    if (!isWholeNumber(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_SINGLE_REQUEST_SIZE) {
      throw new RangeError(`S3 part size ${partSize} must be between 5 MiB and 5 GiB`);
    }
    if (!isWholeNumber(multipartThreshold) || multipartThreshold > MAX_SINGLE_REQUEST_SIZE) {
      throw new RangeError(`S3 multipart threshold ${multipartThreshold} must be at most 5 GiB`);
    }
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new RangeError(`S3 concurrency ${concurrency} must be at least 1`);
    if (!Number.isSafeInteger(readChunkSize) || readChunkSize < 1) throw new RangeError(`S3 read chunk size ${readChunkSize} must be at least 1`);
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#prefix = options.prefix;
    this.#partSize = partSize;
    this.#multipartThreshold = multipartThreshold;
    this.#concurrency = concurrency;
    this.#readChunkSize = readChunkSize;
    this.#endpoint = options.endpoint ?? "AWS S3";
    this.#logger = options.logger;
    this.description = `s3://${options.bucket}/${options.prefix} at ${this.#endpoint}`;
  }

  #fullKey(key: string): string {
    if (key === "") throw new RemoteError("invalid", "S3 object key is empty");
    return this.#prefix + key;
  }

  #context(fullKey?: string): S3ErrorContext {
    return { bucket: this.#bucket, endpoint: this.#endpoint, key: fullKey };
  }

  /** The x-amz-copy-source value: bucket/key, each key segment URL-encoded as S3 expects. */
  #copySource(fullKey: string): string {
    return `${this.#bucket}/${fullKey.split("/").map(encodeURIComponent).join("/")}`;
  }

  async check(): Promise<void> {
    try {
      // A one-key listing under our prefix: needs exactly the permission the store needs, and unlike
      // HeadBucket its error body names the problem (NoSuchBucket, InvalidAccessKeyId…).
      await this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#prefix, MaxKeys: 1 }));
    } catch (err) {
      throw toRemoteError(err, this.#context());
    }
  }

  async head(key: string): Promise<RemoteObject | null> {
    const fullKey = this.#fullKey(key);
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: fullKey }));
      return {
        key,
        size: out.ContentLength ?? 0,
        etag: stripQuotes(out.ETag),
        lastModified: out.LastModified ?? new Date(0),
        metadata: out.Metadata ?? {},
      };
    } catch (err) {
      const error = toRemoteError(err, this.#context(fullKey));
      if (error.kind === "not-found") return null;
      throw error;
    }
  }

  async read(key: string, offset: number, length: number, into: Buffer): Promise<number> {
    const fullKey = this.#fullKey(key);
    if (!isWholeNumber(offset) || !isWholeNumber(length) || into.length < length) {
      throw new RemoteError("invalid", `read of "${fullKey}": bad range (offset ${offset}, length ${length}, buffer ${into.length})`);
    }
    if (length === 0) return 0;
    const chunk = this.#readChunkSize;
    const got = new Array<number>(Math.ceil(length / chunk)).fill(0);
    await inParallel(got.length, this.#concurrency, undefined, async (index, signal) => {
      const start = index * chunk;
      const end = Math.min(length, start + chunk);
      got[index] = await this.#getRange(fullKey, offset + start, into.subarray(start, end), signal);
    });
    // The object ends in the first chunk that came back short; later ones were past its end.
    let total = 0;
    for (const [index, bytes] of got.entries()) {
      total += bytes;
      if (bytes < Math.min(chunk, length - index * chunk)) break;
    }
    return total;
  }

  /** One ranged GET streamed into `into`; returns the bytes written (fewer at the object's end, 0 past it). */
  async #getRange(fullKey: string, offset: number, into: Buffer, signal?: AbortSignal): Promise<number> {
    const length = into.length;
    let out;
    try {
      out = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: fullKey, Range: `bytes=${offset}-${offset + length - 1}` }),
        { abortSignal: signal },
      );
    } catch (err) {
      const error = toRemoteError(err, this.#context(fullKey));
      if (error.status === 416) return 0;
      throw error;
    }
    const body = out.Body as AsyncIterable<Uint8Array> | undefined;
    if (body === undefined) return 0;
    // Servers that ignore Range (or mishandle it, as s3rver does "bytes=0-0") send more than asked:
    // skip to `offset`, keep `length` bytes, drop the rest.
    const range = parseContentRange(out.ContentRange);
    let skip = range === undefined ? offset : offset - range.start;
    if (skip < 0) throw new RemoteError("invalid", `S3 answered a read of "${fullKey}" at ${offset} with ${out.ContentRange}`);
    const expected = range === undefined ? undefined : Math.min(length, range.end - offset + 1);
    let filled = 0;
    try {
      for await (const piece of body) {
        if (filled === length) break; // more than we asked for: dropping the stream closes the connection
        let bytes = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
        if (skip > 0) {
          const skipped = Math.min(skip, bytes.length);
          skip -= skipped;
          bytes = bytes.subarray(skipped);
        }
        filled += bytes.copy(into, filled, 0, Math.min(bytes.length, length - filled));
      }
    } catch (err) {
      throw toRemoteError(err, this.#context(fullKey));
    } finally {
      this.stats.bytesDownloaded += filled;
    }
    if (expected !== undefined && filled < expected) {
      throw new RemoteError("transient", `S3 response for "${fullKey}" at ${this.#endpoint} ended after ${filled} of ${expected} bytes`);
    }
    return filled;
  }

  async upload(key: string, sources: readonly UploadSource[], options: UploadOptions = {}): Promise<{ etag: string }> {
    const fullKey = this.#fullKey(key);
    const total = checkSources(fullKey, sources);
    const partSize = effectivePartSize(total, this.#partSize);
    const partial = options.partial instanceof S3PartialUpload && !options.partial.closed ? options.partial : undefined;
    if (partial !== undefined) {
      if (partial.key === key && total > this.#multipartThreshold && partial.partSize === partSize) {
        partial.closed = true;
        return this.#putInParts(fullKey, sources, total, partSize, options, partial);
      }
      await partial.abort();
    }
    if (total <= this.#multipartThreshold) return this.#putWhole(fullKey, sources, total, options);
    return this.#putInParts(fullKey, sources, total, partSize, options);
  }

  async begin(key: string, options: { metadata?: Record<string, string> } = {}): Promise<PartialUpload> {
    const fullKey = this.#fullKey(key);
    const uploadId = await this.#createUpload(fullKey, options.metadata);
    return new S3PartialUpload(key, fullKey, uploadId, this.#partSize, this.#concurrency, {
      send: (part, signal) => this.#sendEarlyPart(fullKey, uploadId, part, signal),
      abort: () => this.#abortUpload(fullKey, uploadId),
    });
  }

  async #createUpload(fullKey: string, metadata: Record<string, string> | undefined, signal?: AbortSignal): Promise<string> {
    try {
      const created = await this.#client.send(new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: fullKey, Metadata: metadata }), {
        abortSignal: signal,
      });
      if (created.UploadId === undefined) throw new RemoteError("invalid", `S3 gave no upload id for "${fullKey}"`);
      return created.UploadId;
    } catch (err) {
      throw toRemoteError(err, this.#context(fullKey));
    }
  }

  async abandon(key: string, uploadId: string): Promise<void> {
    await this.#abortUpload(this.#fullKey(key), uploadId);
  }

  /** One part of a partial upload, assembled in a pooled buffer. */
  async #sendEarlyPart(fullKey: string, uploadId: string, part: PlannedPart, signal?: AbortSignal): Promise<string> {
    const files = new OpenFiles();
    try {
      const target: PartTarget = { Bucket: this.#bucket, Key: fullKey, UploadId: uploadId, PartNumber: part.number };
      return await this.#withPartBuffer(part.length, (buffer) => this.#sendPart(part, target, buffer, files, signal));
    } catch (err) {
      throw toRemoteError(err, this.#context(fullKey));
    } finally {
      await files.close();
    }
  }

  async #withPartBuffer<T>(size: number, use: (buffer: Buffer) => Promise<T>): Promise<T> {
    const pooled = size === this.#partSize;
    const buffer = (pooled ? this.#partBuffers.pop() : undefined) ?? Buffer.allocUnsafe(size);
    this.#partsInFlight++;
    try {
      return await use(buffer);
    } finally {
      if (--this.#partsInFlight === 0) this.#partBuffers.length = 0;
      else if (pooled && this.#partBuffers.length < this.#concurrency) this.#partBuffers.push(buffer);
    }
  }

  /** Small objects: the sources assembled into one buffer, one PutObject. */
  async #putWhole(fullKey: string, sources: readonly UploadSource[], total: number, options: UploadOptions): Promise<{ etag: string }> {
    const body = Buffer.allocUnsafe(total);
    const files = new OpenFiles();
    try {
      await this.#assemble(sources, body, files, options.signal);
    } finally {
      await files.close();
    }
    try {
      const out = await this.#client.send(
        new PutObjectCommand({ Bucket: this.#bucket, Key: fullKey, Body: body, ContentLength: total, Metadata: options.metadata }),
        { abortSignal: options.signal },
      );
      this.stats.bytesUploaded += total;
      options.onProgress?.(total);
      return { etag: stripQuotes(out.ETag) };
    } catch (err) {
      throw toRemoteError(err, this.#context(fullKey));
    }
  }

  /** Fills `into` with the concatenation of `slices`. */
  async #assemble(slices: readonly UploadSource[], into: Buffer, files: OpenFiles, signal?: AbortSignal): Promise<void> {
    let at = 0;
    for (const slice of slices) {
      const target = into.subarray(at, at + slice.length);
      at += slice.length;
      if (slice.length === 0) continue;
      switch (slice.kind) {
        case "zeros":
          target.fill(0);
          break;
        case "file":
          await files.read(slice.path, slice.offset, target);
          break;
        case "copy": {
          const copyKey = this.#fullKey(slice.key);
          const got = await this.#getRange(copyKey, slice.offset, target, signal);
          if (got < slice.length) {
            throw new RemoteError(
              "invalid",
              `S3 object "${copyKey}" ends before byte ${slice.offset + slice.length}, which the upload copies from`,
            );
          }
          break;
        }
      }
    }
  }

  /**
   * Multipart upload: parts in flight up to the concurrency, in pooled buffers, so memory stays
   * at concurrency × partSize. Any failure aborts the upload.
   */
  async #putInParts(
    fullKey: string,
    sources: readonly UploadSource[],
    total: number,
    partSize: number,
    options: UploadOptions,
    partial?: S3PartialUpload,
  ): Promise<{ etag: string }> {
    const context = this.#context(fullKey);
    const parts = planParts(sources, partSize);
    const uploadId = partial?.uploadId ?? (await this.#createUpload(fullKey, options.metadata, options.signal));
    const etags = new Array<string>(parts.length);
    // Parts a partial upload sent already stay; the rest go now.
    const toSend: number[] = [];
    let done = 0;
    for (const [index, part] of parts.entries()) {
      const sent = partial?.sent.get(part.number);
      if (sent?.length === part.length) {
        etags[index] = sent.etag;
        done += part.length;
      } else {
        toSend.push(index);
      }
    }
    if (done > 0) options.onProgress?.(done);
    this.#logger.debug({ key: fullKey, bytes: total, parts: parts.length, sentBefore: parts.length - toSend.length, partSize }, "s3 multipart upload started");

    const files = new OpenFiles();
    try {
      await inParallel(toSend.length, this.#concurrency, options.signal, async (sendIndex, signal) => {
        const index = toSend[sendIndex]!;
        const part = parts[index]!;
        const target: PartTarget = { Bucket: this.#bucket, Key: fullKey, UploadId: uploadId, PartNumber: part.number };
        etags[index] =
          (await this.#copyPart(part, target, signal)) ??
          (await this.#withPartBuffer(partSize, (buffer) => this.#sendPart(part, target, buffer, files, signal)));
        done += part.length;
        options.onProgress?.(done);
      });
      const completed = await this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.#bucket,
          Key: fullKey,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((part, index) => ({ PartNumber: part.number, ETag: etags[index] })) },
        }),
        { abortSignal: options.signal },
      );
      return { etag: stripQuotes(completed.ETag) };
    } catch (err) {
      await this.#abortUpload(fullKey, uploadId);
      throw toRemoteError(err, context);
    } finally {
      await files.close();
    }
  }

  /** UploadPartCopy for a part inside one copy source; undefined when the part must be sent instead. */
  async #copyPart(
    part: PlannedPart,
    target: PartTarget,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    const slice = part.slices[0];
    if (this.#partCopyUnsupported || !isServerSideCopy(part) || slice?.kind !== "copy") return undefined;
    const sourceKey = this.#fullKey(slice.key);
    try {
      const out = await this.#client.send(
        new UploadPartCopyCommand({
          ...target,
          CopySource: this.#copySource(sourceKey),
          CopySourceRange: `bytes=${slice.offset}-${slice.offset + slice.length - 1}`,
        }),
        { abortSignal: signal },
      );
      this.stats.bytesCopiedServerSide += part.length;
      return stripQuotes(out.CopyPartResult?.ETag);
    } catch (err) {
      const error = toRemoteError(err, this.#context(sourceKey));
      if (error.status !== 501) throw error;
      if (!this.#partCopyUnsupported) {
        this.#partCopyUnsupported = true;
        this.#logger.warn({ endpoint: this.#endpoint }, "S3 endpoint does not implement UploadPartCopy; copied parts are downloaded and uploaded instead");
      }
      return undefined;
    }
  }

  /** Assembles the part's bytes (in `buffer`) and sends them with UploadPart. */
  async #sendPart(
    part: PlannedPart,
    target: PartTarget,
    buffer: Buffer,
    files: OpenFiles,
    signal?: AbortSignal,
  ): Promise<string> {
    let body: Buffer;
    if (part.slices.length === 1 && part.slices[0]?.kind === "zeros") {
      if (this.#zeros === undefined || this.#zeros.length < part.length) this.#zeros = Buffer.alloc(part.length);
      body = this.#zeros.subarray(0, part.length);
    } else {
      body = buffer.subarray(0, part.length);
      await this.#assemble(part.slices, body, files, signal);
    }
    const out = await this.#client.send(new UploadPartCommand({ ...target, Body: body, ContentLength: part.length }), {
      abortSignal: signal,
    });
    this.stats.bytesUploaded += part.length;
    return stripQuotes(out.ETag);
  }

  /** Best effort: S3 would keep (and bill) the parts of an upload nobody finishes. */
  async #abortUpload(fullKey: string, uploadId: string): Promise<void> {
    try {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: fullKey, UploadId: uploadId }));
    } catch (err) {
      const error = toRemoteError(err, this.#context(fullKey));
      this.#logger.warn({ key: fullKey, uploadId, err: error.message }, "could not abort S3 multipart upload");
    }
  }

  async copy(fromKey: string, toKey: string, options: CopyOptions = {}): Promise<{ etag: string }> {
    const from = this.#fullKey(fromKey);
    const to = this.#fullKey(toKey);
    try {
      const out = await this.#client.send(
        new CopyObjectCommand({
          Bucket: this.#bucket,
          Key: to,
          CopySource: this.#copySource(from),
          CopySourceIfMatch: quoted(options.sourceIfMatch),
          MetadataDirective: options.metadata === undefined ? "COPY" : "REPLACE",
          Metadata: options.metadata,
        }),
      );
      return { etag: stripQuotes(out.CopyObjectResult?.ETag) };
    } catch (err) {
      const error = toRemoteError(err, this.#context(from));
      if (error.status === PRECONDITION_FAILED && options.sourceIfMatch !== undefined) {
        throw new RemoteError("not-found", `S3 object "${from}" is no longer the one to copy (its ETag is not ${options.sourceIfMatch})`, error.status, { cause: err });
      }
      if (error.kind !== "invalid") throw error;
      // S3 refuses CopyObject above 5 GiB; such objects are copied part by part, server-side.
      const source = await this.head(fromKey);
      if (source === null || source.size <= MAX_SINGLE_REQUEST_SIZE) throw error;
      const sources: UploadSource[] = [{ kind: "copy", key: fromKey, offset: 0, length: source.size }];
      return this.#putInParts(to, sources, source.size, effectivePartSize(source.size, this.#partSize), {
        metadata: options.metadata ?? source.metadata,
      });
    }
  }

  async delete(key: string, options: { ifMatch?: string } = {}): Promise<void> {
    const fullKey = this.#fullKey(key);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: fullKey, IfMatch: quoted(options.ifMatch) }));
    } catch (err) {
      const error = toRemoteError(err, this.#context(fullKey));
      // Another object is at the key now (a newer upload): it is not ours to delete.
      if (error.status === PRECONDITION_FAILED && options.ifMatch !== undefined) return;
      if (error.kind !== "not-found") throw error;
    }
  }

  async list(prefix: string, options: { delimiter?: string; continuation?: string | null; maxKeys?: number } = {}): Promise<ListPage> {
    const strip = (key: string): string => key.slice(this.#prefix.length);
    try {
      const out = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: this.#prefix + prefix,
          Delimiter: options.delimiter,
          ContinuationToken: options.continuation ?? undefined,
          MaxKeys: options.maxKeys,
        }),
      );
      return {
        objects: (out.Contents ?? []).map((object) => ({
          key: strip(object.Key ?? ""),
          size: object.Size ?? 0,
          etag: stripQuotes(object.ETag),
          lastModified: object.LastModified ?? new Date(0),
        })),
        prefixes: (out.CommonPrefixes ?? []).map((common) => strip(common.Prefix ?? "")),
        next: out.IsTruncated === true ? (out.NextContinuationToken ?? null) : null,
      };
    } catch (err) {
      throw toRemoteError(err, this.#context());
    }
  }
}
