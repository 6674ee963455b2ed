import { SmbWriter } from "../../../protocol/smb2/buffer.js";
import {
  FILE_EXECUTE,
  FILE_READ_DATA,
  SMB2_HEADER_SIZE,
  STATUS_ACCESS_DENIED,
  STATUS_BUFFER_OVERFLOW,
  STATUS_END_OF_FILE,
  STATUS_FILE_LOCK_CONFLICT,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_PARAMETER,
} from "../../../protocol/smb2/constants.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";
import { fileKey, MAX_IO_BYTES } from "../context.js";
import { smbError } from "../errors.js";
import { requireCredits } from "./credit-charge.js";

/** File offsets are signed 64-bit: a read may not reach past this (MS-FSA §2.1.5.2). */
const INT64_MAX = 0x7fff_ffff_ffff_ffffn;
/** Where READ data starts in the response, from the header (MS-SMB2 §2.2.20). */
const DATA_OFFSET = SMB2_HEADER_SIZE + 16;

/**
 * MS-SMB2 §2.2.19 READ request: Length, Offset, FileId, MinimumCount. §2.2.20 response: the
 * data. Past the end of the file (unless Length is 0), or fewer bytes than MinimumCount, is STATUS_END_OF_FILE; the
 * size and the bytes read agree (no truncation runs in between). A pipe hands out its pending
 * reply, STATUS_BUFFER_OVERFLOW when more remains.
 */
export const read: SmbCommand = {
  name: "READ",
  structureSize: 49,
  needsSession: true,
  needsTree: true,
  async run(call: SmbCall): Promise<SmbReply> {
    const { body, ctx, conn } = call;
    body.skip(2); // Padding, Flags
    const length = body.u32();
    const requested = body.u64();
    const open = conn.open(call, body.u64(), body.u64());
    const minimum = body.u32();
    if (length > MAX_IO_BYTES) throw smbError(STATUS_INVALID_PARAMETER, `READ of ${length} bytes`);
    requireCredits(call, length);
    if (open.pipe) {
      const { data, more } = open.pipe.read(length);
      return { status: more ? STATUS_BUFFER_OVERFLOW : 0, ...response(data) };
    }
    if (open.isDirectory) throw smbError(STATUS_INVALID_DEVICE_REQUEST, "READ of a directory");
    if (!(open.access & (FILE_READ_DATA | FILE_EXECUTE))) throw smbError(STATUS_ACCESS_DENIED, "opened without read access");
    if (requested + BigInt(length) > INT64_MAX) throw smbError(STATUS_INVALID_PARAMETER, `READ at offset ${requested}`);
    // Past 2^53 is past the end of any file here.
    const offset = Number(requested > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : requested);
    const share = open.share!;
    if (!ctx.locks.mayAccess(fileKey(share, open.fileId!), open.owner, BigInt(offset), BigInt(length), false)) {
      throw smbError(STATUS_FILE_LOCK_CONFLICT, "the range is locked by another open");
    }
    // Wait for room before reading: the data stays in memory until the reply is written.
    await conn.replies.hold(call.replyHold, length);
    const data = await ctx.metadata.read(ctx.authFor(call.session!, share), share.name, open.fileId!, async (file) => {
      // A zero-length read asks for nothing, so even at the end it finds nothing missing.
      if (offset >= file.size) return length === 0 ? Buffer.alloc(0) : null;
      const wanted = Math.min(length, file.size - offset);
      const got = file.contentId === null ? Buffer.alloc(0) : await ctx.content.read(share.name, file.contentId, offset, wanted);
      // A hole at the end of the content reads as zeros up to the size.
      if (got.length >= wanted) return got.subarray(0, wanted);
      const filled = Buffer.alloc(wanted);
      got.copy(filled);
      return filled;
    });
    if (data === null || data.length < minimum || (data.length === 0 && length > 0)) throw smbError(STATUS_END_OF_FILE, "READ at the end of the file");
    return { status: 0, ...response(data) };
  },
};

/** The response body, behind room for the header: the data is copied once, into the message. */
function response(data: Buffer): Pick<SmbReply, "body" | "withHeaderRoom"> {
  const w = new SmbWriter(SMB2_HEADER_SIZE + 16 + data.length).zeros(SMB2_HEADER_SIZE);
  const message = w.u16(17).u8(DATA_OFFSET).u8(0).u32(data.length).u32(0).u32(0).bytes(data).buffer();
  return { body: message.subarray(SMB2_HEADER_SIZE), withHeaderRoom: message };
}
