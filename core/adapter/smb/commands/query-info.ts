import type { FileAttr } from "../../../metadata/types.js";
import { SmbWriter } from "../../../protocol/smb2/buffer.js";
import {
  FileAccessInformation,
  FileAlignmentInformation,
  FileAllInformation,
  FileAlternateNameInformation,
  FileAttributeTagInformation,
  FileBasicInformation,
  FileCompressionInformation,
  FileEaInformation,
  FileFsAttributeInformation,
  FileFsControlInformation,
  FileFsDeviceInformation,
  FileFsFullSizeInformation,
  FileFsObjectIdInformation,
  FileFsSectorSizeInformation,
  FileFsSizeInformation,
  FileFsVolumeInformation,
  FileInternalInformation,
  FileModeInformation,
  FileNetworkOpenInformation,
  FileNormalizedNameInformation,
  FilePositionInformation,
  FileStandardInformation,
  FileStreamInformation,
  SMB2_0_INFO_FILE,
  SMB2_0_INFO_FILESYSTEM,
  SMB2_0_INFO_SECURITY,
  SMB2_DIALECT_311,
  SMB2_HEADER_SIZE,
  STATUS_BUFFER_OVERFLOW,
  STATUS_BUFFER_TOO_SMALL,
  STATUS_INFO_LENGTH_MISMATCH,
  STATUS_INVALID_INFO_CLASS,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_SUPPORTED,
  STATUS_OBJECT_NAME_NOT_FOUND,
} from "../../../protocol/smb2/constants.js";
import {
  encodeAllInformation,
  encodeBasicInformation,
  encodeNetworkOpenInformation,
  encodeStandardInformation,
  encodeStreamInformation,
} from "../../../protocol/smb2/info.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";
import { MAX_IO_BYTES } from "../context.js";
import { smbError } from "../errors.js";
import { volumeObjectId } from "../object-id.js";
import { securityDescriptor } from "../security.js";
import type { Open } from "../state.js";

/** FILE_CASE_PRESERVED_NAMES | FILE_UNICODE_ON_DISK (MS-FSCC §2.5.1): names keep their case, lookups ignore it. */
const FS_ATTRIBUTES = 0x00000002 | 0x00000004;
const FILE_DEVICE_DISK = 0x00000007;
const BYTES_PER_SECTOR = 512;
const SECTORS_PER_UNIT = 8;
const UNLIMITED_BYTES = 2 ** 50;
/**
 * Classes whose answer may be cut short (STATUS_BUFFER_OVERFLOW), with the fixed part a buffer
 * must still hold (the sizes Windows enforces); the rest must fit whole.
 */
const VARIABLE_CLASSES = new Map([
  [`${SMB2_0_INFO_FILE}:${FileAllInformation}`, 104],
  [`${SMB2_0_INFO_FILE}:${FileStreamInformation}`, 32],
  [`${SMB2_0_INFO_FILE}:${FileNormalizedNameInformation}`, 8],
  [`${SMB2_0_INFO_FILESYSTEM}:${FileFsVolumeInformation}`, 24],
  [`${SMB2_0_INFO_FILESYSTEM}:${FileFsAttributeInformation}`, 16],
]);
/** "No quota threshold or limit" in FileFsControlInformation (MS-FSCC §2.5.2). */
const NO_QUOTA_LIMIT = 0xffffffffffffffffn;

/**
 * MS-SMB2 §2.2.37 QUERY_INFO request: InfoType, FileInfoClass, OutputBufferLength,
 * AdditionalInformation, FileId. §2.2.38 response: the information (MS-FSCC §2.4 file classes,
 * §2.5 file system classes, MS-DTYP §2.4.6 security descriptors). An answer longer than the
 * client's buffer is STATUS_INFO_LENGTH_MISMATCH for fixed-size classes, cut short with
 * STATUS_BUFFER_OVERFLOW for variable ones unless the buffer misses their fixed part (§3.3.5.20).
 */
export const queryInfo: SmbCommand = {
  name: "QUERY_INFO",
  structureSize: 41,
  needsSession: true,
  needsTree: true,
  async run(call: SmbCall): Promise<SmbReply> {
    const { body, ctx, conn } = call;
    const infoType = body.u8();
    const infoClass = body.u8();
    const outputLength = body.u32();
    body.skip(2 + 2 + 4); // InputBufferOffset, Reserved, InputBufferLength
    const additional = body.u32();
    body.u32(); // Flags
    const open = conn.open(call, body.u64(), body.u64());
    if (outputLength > MAX_IO_BYTES) throw smbError(STATUS_INVALID_PARAMETER, `OutputBufferLength ${outputLength}`);
    const w = new SmbWriter(256);
    if (open.pipe) {
      if (infoType !== SMB2_0_INFO_FILE || infoClass !== FileStandardInformation) throw smbError(STATUS_NOT_SUPPORTED, "pipe information");
      w.u64(4096).u64(0).u32(1).u8(1).u8(0).u16(0);
    } else {
      const share = open.share!;
      const attr = await ctx.metadata.getAttr(share.name, open.fileId!);
      if (infoType === SMB2_0_INFO_FILE) encodeFileClass(call, open, attr, infoClass, w);
      else if (infoType === SMB2_0_INFO_FILESYSTEM) await encodeFsClass(call, open, infoClass, w);
      else if (infoType === SMB2_0_INFO_SECURITY) {
        const sd = securityDescriptor(attr, additional);
        if (sd.length > outputLength) return { status: STATUS_BUFFER_TOO_SMALL, body: tooSmall(sd.length) };
        w.bytes(sd);
      } else throw smbError(STATUS_NOT_SUPPORTED, `information type ${infoType}`);
    }
    let data = w.buffer();
    let status = 0;
    if (data.length > outputLength) {
      const fixed = VARIABLE_CLASSES.get(`${infoType}:${infoClass}`);
      if (fixed === undefined || outputLength < fixed) throw smbError(STATUS_INFO_LENGTH_MISMATCH, `answer of ${data.length} bytes for ${outputLength}`);
      data = data.subarray(0, outputLength);
      status = STATUS_BUFFER_OVERFLOW;
    }
    return { status, body: new SmbWriter(8 + data.length).u16(9).u16(SMB2_HEADER_SIZE + 8).u32(data.length).bytes(data).buffer() };
  },
};

function encodeFileClass(call: SmbCall, open: Open, attr: FileAttr, infoClass: number, w: SmbWriter): void {
  const info = call.ctx.fileInfo(attr, open.name, call.ctx.isDeletePending(open.share!, attr.id));
  switch (infoClass) {
    case FileBasicInformation:
      return encodeBasicInformation(w, info);
    case FileStandardInformation:
      return encodeStandardInformation(w, info);
    case FileInternalInformation:
      w.u64(info.fileIndex);
      return;
    case FileEaInformation:
    case FileModeInformation:
    case FileAlignmentInformation:
      w.u32(0);
      return;
    case FileAccessInformation:
      w.u32(open.access);
      return;
    case FilePositionInformation:
      w.u64(0);
      return;
    case FileAllInformation:
      return encodeAllInformation(w, info, open.access, `\\${open.path}`);
    case FileNetworkOpenInformation:
      return encodeNetworkOpenInformation(w, info);
    case FileAttributeTagInformation:
      w.u32(info.attributes).u32(0);
      return;
    case FileStreamInformation:
      return encodeStreamInformation(w, info);
    case FileAlternateNameInformation:
      // No 8.3 short names are made: "the file has none" (MS-FSA §2.1.5.11).
      throw smbError(STATUS_OBJECT_NAME_NOT_FOUND, "no short name");
    case FileNormalizedNameInformation: {
      // SMB 3.1.1 only (MS-SMB2 §3.3.5.20.1); names are kept as created, so the path is its normal form.
      if (call.conn.negotiated?.dialect !== SMB2_DIALECT_311) throw smbError(STATUS_NOT_SUPPORTED, "FileNormalizedNameInformation before SMB 3.1.1");
      const name = Buffer.from(open.path, "utf16le");
      w.u32(name.length).bytes(name);
      return;
    }
    case FileCompressionInformation:
      w.u64(info.endOfFile).u16(0).u8(0).u8(0).u8(0).zeros(3);
      return;
    default:
      throw smbError(STATUS_INVALID_INFO_CLASS, `file information class ${infoClass}`);
  }
}

async function encodeFsClass(call: SmbCall, open: Open, infoClass: number, w: SmbWriter): Promise<void> {
  const share = open.share!;
  const unit = BYTES_PER_SECTOR * SECTORS_PER_UNIT;
  switch (infoClass) {
    case FileFsVolumeInformation: {
      const label = Buffer.from(share.config.smb.name, "utf16le");
      w.u64(call.ctx.startTime).u32(share.id).u32(label.length).u8(0).u8(0).bytes(label);
      return;
    }
    case FileFsSizeInformation:
    case FileFsFullSizeInformation: {
      const space = await call.ctx.content.space(share.name);
      // Stores without a limit (memory, S3) report an infinite space: shown as 1 PiB.
      const used = Math.min(space.used, UNLIMITED_BYTES);
      const available = Math.min(space.available, UNLIMITED_BYTES);
      const total = Math.floor((used + available) / unit);
      const free = Math.floor(available / unit);
      w.u64(total).u64(free);
      if (infoClass === FileFsFullSizeInformation) w.u64(free);
      w.u32(SECTORS_PER_UNIT).u32(BYTES_PER_SECTOR);
      return;
    }
    case FileFsDeviceInformation:
      w.u32(FILE_DEVICE_DISK).u32(0);
      return;
    case FileFsAttributeInformation: {
      const name = Buffer.from("NTFS", "utf16le");
      w.u32(FS_ATTRIBUTES).u32(255).u32(name.length).bytes(name);
      return;
    }
    case FileFsControlInformation:
      // No quotas: no free-space filtering, no default threshold or limit, quotas off.
      w.u64(0n).u64(0n).u64(0n).u64(NO_QUOTA_LIMIT).u64(NO_QUOTA_LIMIT).u32(0).u32(0);
      return;
    case FileFsObjectIdInformation:
      // A stable ObjectId per share, no ExtendedInfo (MS-FSCC §2.5.6).
      w.bytes(volumeObjectId(share.name)).zeros(48);
      return;
    case FileFsSectorSizeInformation:
      w.u32(BYTES_PER_SECTOR).u32(BYTES_PER_SECTOR).u32(BYTES_PER_SECTOR).u32(BYTES_PER_SECTOR).u32(0).u32(0).u32(0);
      return;
    default:
      throw smbError(STATUS_INVALID_INFO_CLASS, `file system information class ${infoClass}`);
  }
}

/** The error body of STATUS_BUFFER_TOO_SMALL: the size the answer needs (MS-SMB2 §2.2.2). */
function tooSmall(needed: number): Buffer {
  return new SmbWriter(12).u16(9).u8(0).u8(0).u32(4).u32(needed).buffer();
}
