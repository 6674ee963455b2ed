import { SmbReader, SmbWriter } from "../../../protocol/smb2/buffer.js";
import {
  FILE_EXECUTE,
  FILE_READ_DATA,
  FILE_WRITE_DATA,
  FSCTL_SRV_COPYCHUNK_WRITE,
  STATUS_ACCESS_DENIED,
  STATUS_DISK_FULL,
  STATUS_FILE_LOCK_CONFLICT,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_PARAMETER,
  STATUS_INVALID_VIEW_SIZE,
  STATUS_OBJECT_NAME_NOT_FOUND,
} from "../../../protocol/smb2/constants.js";
import type { SmbCall } from "../command.js";
import { fileKey } from "../context.js";
import { isExpectedSmbError, smbError, smbStatusOf } from "../errors.js";
import { RESUME_KEY_BYTES } from "../resume-keys.js";
import type { Open } from "../state.js";

/** The server's copy limits (MS-SMB2 §3.3.3: ServerSideCopyMaxNumberofChunks, MaxChunkSize, MaxDataSize), Windows' values. */
const MAX_CHUNKS = 256;
const MAX_CHUNK_BYTES = 1024 * 1024;
const MAX_COPY_BYTES = 16 * 1024 * 1024;
/** SRV_REQUEST_RESUME_KEY's response: ResumeKey, ContextLength, and a 4-byte Context (as Windows and Samba send it). */
const RESUME_KEY_RESPONSE_BYTES = RESUME_KEY_BYTES + 4 + 4;
/** SRV_COPYCHUNK_COPY before its chunks: SourceKey, ChunkCount, Reserved (§2.2.31.1). */
const COPY_HEADER_BYTES = RESUME_KEY_BYTES + 4 + 4;
/** One SRV_COPYCHUNK: SourceOffset, TargetOffset, Length, Reserved (§2.2.31.1.1). */
const CHUNK_BYTES = 8 + 8 + 4 + 4;
/** SRV_COPYCHUNK_RESPONSE: ChunksWritten, ChunkBytesWritten, TotalBytesWritten (§2.2.32.1). */
const COPY_RESPONSE_BYTES = 12;
/** Files stop growing here, as with WRITE. */
const MAX_FILE_SIZE = 2 ** 52;

/** What an FSCTL answers: its status and the output (sent even with an error status). */
export interface FsctlAnswer {
  status: number;
  output: Buffer;
}

interface Chunk {
  source: bigint;
  target: bigint;
  length: number;
}

/** FSCTL_SRV_REQUEST_RESUME_KEY (MS-SMB2 §3.3.5.15.5, §2.2.32.3): the key that names `open` as a copy's source. */
export function requestResumeKey(call: SmbCall, open: Open, maxOutput: number): Buffer {
  if (maxOutput < RESUME_KEY_RESPONSE_BYTES) throw smbError(STATUS_INVALID_PARAMETER, "no room for the resume key");
  const key = call.ctx.resumeKeys.keyOf(open, call.session!);
  return new SmbWriter(RESUME_KEY_RESPONSE_BYTES).bytes(key).u32(0).u32(0).buffer();
}

/**
 * FSCTL_SRV_COPYCHUNK and FSCTL_SRV_COPYCHUNK_WRITE on the destination open `dest` (MS-SMB2
 * §3.3.5.15.6): copies chunks of the open the SourceKey names, which may be on any share of this
 * server, chunk by chunk (one in memory at a time) through the metadata and content services, as
 * READ and WRITE would, byte-range locks included. A request over the limits is
 * STATUS_INVALID_PARAMETER with the limits in the response; a chunk that fails ends the copy with
 * its status and what was written before it.
 */
export async function copyChunks(call: SmbCall, dest: Open, ctlCode: number, input: Buffer, maxOutput: number): Promise<FsctlAnswer> {
  const { ctx } = call;
  if (dest.isDirectory) throw smbError(STATUS_INVALID_DEVICE_REQUEST, "a server-side copy into a directory");
  if (input.length < COPY_HEADER_BYTES) throw smbError(STATUS_INVALID_PARAMETER, "SRV_COPYCHUNK_COPY too short");
  if (maxOutput < COPY_RESPONSE_BYTES) throw smbError(STATUS_INVALID_PARAMETER, "no room for SRV_COPYCHUNK_RESPONSE");
  const r = new SmbReader(input);
  const key = r.bytes(RESUME_KEY_BYTES);
  const count = r.u32();
  r.skip(4);
  const source = ctx.resumeKeys.find(key, call.session!);
  if (!source) throw smbError(STATUS_OBJECT_NAME_NOT_FOUND, "no open has this resume key");
  // Execute access reads the data too, as for READ (Windows and Samba take either: smbtorture copy_chunk_bad_access).
  if (!(source.access & (FILE_READ_DATA | FILE_EXECUTE))) throw smbError(STATUS_ACCESS_DENIED, "the source was opened without read access");
  if (!(dest.access & FILE_WRITE_DATA)) throw smbError(STATUS_ACCESS_DENIED, "the destination was opened without write access");
  // FSCTL_SRV_COPYCHUNK_WRITE exists for destinations opened without read access.
  if (ctlCode !== FSCTL_SRV_COPYCHUNK_WRITE && !(dest.access & FILE_READ_DATA)) {
    throw smbError(STATUS_ACCESS_DENIED, "FSCTL_SRV_COPYCHUNK needs the destination opened with read access");
  }
  if (count > MAX_CHUNKS) return overLimits();
  if (input.length < COPY_HEADER_BYTES + count * CHUNK_BYTES) throw smbError(STATUS_INVALID_PARAMETER, `SRV_COPYCHUNK_COPY too short for ${count} chunks`);
  const chunks: Chunk[] = [];
  let requested = 0;
  for (let i = 0; i < count; i++) {
    const chunk = { source: r.u64(), target: r.u64(), length: r.u32() };
    r.skip(4);
    requested += chunk.length;
    if (chunk.length === 0 || chunk.length > MAX_CHUNK_BYTES || requested > MAX_COPY_BYTES) return overLimits();
    chunks.push(chunk);
  }
  let written = 0;
  let total = 0;
  ctx.breakReadCaches(dest);
  try {
    for (const chunk of chunks) {
      await copyChunk(call, source, dest, chunk);
      written++;
      total += chunk.length;
    }
    if (dest.writeThrough) await ctx.metadata.sync(dest.share!.name);
  } catch (err) {
    if (!isExpectedSmbError(err)) ctx.logger.error({ err }, "server-side copy failed");
    return { status: smbStatusOf(err), output: copyResponse(written, 0, total) };
  }
  return { status: 0, output: copyResponse(written, 0, total) };
}

/** Reads one chunk of the source (checked against its size and locks), then writes it as WRITE would. */
async function copyChunk(call: SmbCall, source: Open, dest: Open, chunk: Chunk): Promise<void> {
  const { ctx } = call;
  const sourceShare = source.share!;
  const destShare = dest.share!;
  const length = BigInt(chunk.length);
  if (!ctx.locks.mayAccess(fileKey(sourceShare, source.fileId!), source.owner, chunk.source, length, false)) {
    throw smbError(STATUS_FILE_LOCK_CONFLICT, "the source range is locked by another open");
  }
  if (!ctx.locks.mayAccess(fileKey(destShare, dest.fileId!), dest.owner, chunk.target, length, true)) {
    throw smbError(STATUS_FILE_LOCK_CONFLICT, "the destination range is locked by another open");
  }
  if (chunk.target + length > BigInt(MAX_FILE_SIZE)) throw smbError(STATUS_DISK_FULL, "a copy past the largest file size");
  const data = await ctx.metadata.read(ctx.authFor(call.session!, sourceShare), sourceShare.name, source.fileId!, async (file) => {
    // Windows answers a chunk that reaches past the source's end so (smbtorture copy_chunk_src_exceed).
    if (chunk.source + length > BigInt(file.size)) throw smbError(STATUS_INVALID_VIEW_SIZE, "the chunk reaches past the end of the source");
    const got = file.contentId === null ? Buffer.alloc(0) : await ctx.content.read(sourceShare.name, file.contentId, Number(chunk.source), chunk.length);
    if (got.length >= chunk.length) return got.subarray(0, chunk.length);
    // A hole at the end of the content reads as zeros.
    const filled = Buffer.alloc(chunk.length);
    got.copy(filled);
    return filled;
  });
  const target = Number(chunk.target);
  await ctx.metadata.write(ctx.authFor(call.session!, destShare), destShare.name, dest.fileId!, target + chunk.length, async (file) => {
    await ctx.content.write(destShare.name, file.contentId!, target, data, dest.writeThrough ? "file_sync" : "unstable");
  });
}

/** STATUS_INVALID_PARAMETER with the server's limits in place of the counts (§3.3.5.15.6). */
function overLimits(): FsctlAnswer {
  return { status: STATUS_INVALID_PARAMETER, output: copyResponse(MAX_CHUNKS, MAX_CHUNK_BYTES, MAX_COPY_BYTES) };
}

function copyResponse(chunksWritten: number, chunkBytesWritten: number, totalBytesWritten: number): Buffer {
  return new SmbWriter(COPY_RESPONSE_BYTES).u32(chunksWritten).u32(chunkBytesWritten).u32(totalBytesWritten).buffer();
}
