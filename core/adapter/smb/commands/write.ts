import { SmbWriter } from "../../../protocol/smb2/buffer.js";
import {
  FILE_APPEND_DATA,
  FILE_WRITE_DATA,
  SMB2_HEADER_SIZE,
  SMB2_WRITEFLAG_WRITE_THROUGH,
  STATUS_ACCESS_DENIED,
  STATUS_DISK_FULL,
  STATUS_FILE_LOCK_CONFLICT,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_PARAMETER,
} from "../../../protocol/smb2/constants.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";
import { fileKey, MAX_IO_BYTES } from "../context.js";
import { smbError } from "../errors.js";
import { requireCredits } from "./credit-charge.js";

/** Files stop growing here (2^53 - 1 bytes would outrun exact numbers; NFS has the same limit). */
const MAX_FILE_SIZE = 2 ** 52;
/** An Offset of all ones writes at the end of the file (MS-SMB2 §3.3.5.13). */
const APPEND = 0xffff_ffff_ffff_ffffn;
/** File offsets are signed 64-bit: a write may not reach past this (MS-FSA §2.1.5.3). */
const INT64_MAX = 0x7fff_ffff_ffff_ffffn;

/**
 * MS-SMB2 §2.2.21 WRITE request: the data, Offset, FileId, Flags. §2.2.22 response: Count.
 * Content and size change in order with the file's other writes, truncations and removal; a
 * WRITE_THROUGH write (or an open made with FILE_WRITE_THROUGH) is durable, data and metadata,
 * before the answer. A pipe takes the bytes as a request.
 */
export const write: SmbCommand = {
  name: "WRITE",
  structureSize: 49,
  needsSession: true,
  needsTree: true,
  async run(call: SmbCall): Promise<SmbReply> {
    const { body, ctx, conn } = call;
    const dataOffset = body.u16();
    const length = body.u32();
    const requested = body.u64();
    const open = conn.open(call, body.u64(), body.u64());
    body.skip(4 + 4 + 2 + 2); // Channel, RemainingBytes, WriteChannelInfoOffset/Length
    const flags = body.u32();
    if (length > MAX_IO_BYTES) throw smbError(STATUS_INVALID_PARAMETER, `WRITE of ${length} bytes`);
    requireCredits(call, length);
    const data = body.blob(dataOffset, length, SMB2_HEADER_SIZE + 48);
    if (open.pipe) {
      open.pipe.write(data);
      return { status: 0, body: response(length) };
    }
    if (open.isDirectory) throw smbError(STATUS_INVALID_DEVICE_REQUEST, "WRITE to a directory");
    if (!(open.access & (FILE_WRITE_DATA | FILE_APPEND_DATA))) throw smbError(STATUS_ACCESS_DENIED, "opened without write access");
    const share = open.share!;
    const auth = ctx.authFor(call.session!, share);
    // Any other offset past INT64_MAX is a negative one: refused, never taken for an append.
    if (requested !== APPEND && requested + BigInt(length) > INT64_MAX) throw smbError(STATUS_INVALID_PARAMETER, `WRITE at offset ${requested}`);
    if (requested !== APPEND && requested + BigInt(length) > BigInt(MAX_FILE_SIZE)) throw smbError(STATUS_DISK_FULL, "WRITE past the largest file size");
    const offset = requested === APPEND ? (await ctx.metadata.getAttr(share.name, open.fileId!)).size : Number(requested);
    if (offset + length > MAX_FILE_SIZE) throw smbError(STATUS_DISK_FULL, "WRITE past the largest file size");
    if (length === 0) return { status: 0, body: response(0) };
    if (!ctx.locks.mayAccess(fileKey(share, open.fileId!), open.owner, BigInt(offset), BigInt(length), true)) {
      throw smbError(STATUS_FILE_LOCK_CONFLICT, "the range is locked");
    }
    const durable = (flags & SMB2_WRITEFLAG_WRITE_THROUGH) !== 0 || open.writeThrough;
    ctx.breakReadCaches(open);
    await ctx.metadata.write(auth, share.name, open.fileId!, offset + length, async (file) => {
      await ctx.content.write(share.name, file.contentId!, offset, data, durable ? "file_sync" : "unstable");
    });
    if (durable) await ctx.metadata.sync(share.name);
    return { status: 0, body: response(length) };
  },
};

function response(count: number): Buffer {
  return new SmbWriter(17).u16(17).u16(0).u32(count).u32(0).u16(0).u16(0).u8(0).buffer();
}
