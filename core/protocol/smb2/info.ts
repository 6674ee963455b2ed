import { SmbWriter, utf16 } from "./buffer.js";
import {
  FileBothDirectoryInformation,
  FileDirectoryInformation,
  FileFullDirectoryInformation,
  FileIdBothDirectoryInformation,
  FileIdFullDirectoryInformation,
  FileNamesInformation,
} from "./constants.js";

/**
 * What SMB2 shows of a file (MS-FSCC §2.4): times as FILETIME (100 ns ticks since 1601), sizes,
 * attributes and the 64-bit file index. Protocol-neutral code builds it; the encoders below lay
 * out the information classes.
 */
export interface SmbFileInfo {
  creationTime: bigint;
  lastAccessTime: bigint;
  lastWriteTime: bigint;
  changeTime: bigint;
  endOfFile: number;
  allocationSize: number;
  attributes: number;
  fileIndex: bigint;
  numberOfLinks: number;
  deletePending: boolean;
  directory: boolean;
}

/** 100 ns ticks between 1601-01-01 and 1970-01-01. */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

export function toFiletime(sec: number, nsec: number): bigint {
  return BigInt(sec) * 10_000_000n + BigInt(Math.floor(nsec / 100)) + FILETIME_UNIX_EPOCH;
}

/** FILETIME → seconds and nanoseconds since 1970 (times before 1970 clamp to it). */
export function fromFiletime(filetime: bigint): { sec: number; nsec: number } {
  const ticks = filetime - FILETIME_UNIX_EPOCH;
  if (ticks <= 0n) return { sec: 0, nsec: 0 };
  return { sec: Number(ticks / 10_000_000n), nsec: Number(ticks % 10_000_000n) * 100 };
}

function times(w: SmbWriter, info: SmbFileInfo): void {
  w.u64(info.creationTime).u64(info.lastAccessTime).u64(info.lastWriteTime).u64(info.changeTime);
}

/** FileBasicInformation (MS-FSCC §2.4.7). */
export function encodeBasicInformation(w: SmbWriter, info: SmbFileInfo): void {
  times(w, info);
  w.u32(info.attributes).u32(0);
}

/** FileStandardInformation (§2.4.41). */
export function encodeStandardInformation(w: SmbWriter, info: SmbFileInfo): void {
  w.u64(info.allocationSize).u64(info.endOfFile).u32(info.numberOfLinks);
  w.u8(info.deletePending ? 1 : 0).u8(info.directory ? 1 : 0).u16(0);
}

/** FileNetworkOpenInformation (§2.4.29). */
export function encodeNetworkOpenInformation(w: SmbWriter, info: SmbFileInfo): void {
  times(w, info);
  w.u64(info.allocationSize).u64(info.endOfFile).u32(info.attributes).u32(0);
}

/**
 * FileAllInformation (§2.4.2): basic, standard, internal, EA, access, position, mode, alignment
 * and name information in a row.
 */
export function encodeAllInformation(w: SmbWriter, info: SmbFileInfo, access: number, name: string): void {
  encodeBasicInformation(w, info);
  encodeStandardInformation(w, info);
  w.u64(info.fileIndex); // FileInternalInformation
  w.u32(0); // FileEaInformation: no extended attributes
  w.u32(access); // FileAccessInformation
  w.u64(0); // FilePositionInformation
  w.u32(0); // FileModeInformation
  w.u32(0); // FileAlignmentInformation: byte alignment
  const bytes = utf16(name);
  w.u32(bytes.length).bytes(bytes);
}

/** FileStreamInformation (§2.4.44): a file has its one unnamed data stream; a directory none. */
export function encodeStreamInformation(w: SmbWriter, info: SmbFileInfo): void {
  if (info.directory) return;
  const name = utf16("::$DATA");
  w.u32(0).u32(name.length).u64(info.endOfFile).u64(info.allocationSize).bytes(name);
}

export const DIRECTORY_INFO_CLASSES: ReadonlySet<number> = new Set([
  FileDirectoryInformation,
  FileFullDirectoryInformation,
  FileBothDirectoryInformation,
  FileIdBothDirectoryInformation,
  FileIdFullDirectoryInformation,
  FileNamesInformation,
]);

/**
 * One entry of a QUERY_DIRECTORY answer in the given class (MS-FSCC §2.4.10, §2.4.14, §2.4.8,
 * §2.4.17, §2.4.18, §2.4.28). NextEntryOffset is left 0; the caller links entries once it knows
 * which fit. Returns the entry's bytes (8-byte aligned padding is the caller's).
 */
export function encodeDirectoryEntry(infoClass: number, info: SmbFileInfo, name: string): Buffer {
  const nameBytes = utf16(name);
  const w = new SmbWriter(128 + nameBytes.length);
  w.u32(0); // NextEntryOffset
  w.u32(0); // FileIndex: only meaningful for ordered file systems
  if (infoClass === FileNamesInformation) {
    w.u32(nameBytes.length).bytes(nameBytes);
    return w.buffer();
  }
  times(w, info);
  w.u64(info.endOfFile).u64(info.allocationSize).u32(info.attributes).u32(nameBytes.length);
  switch (infoClass) {
    case FileDirectoryInformation:
      break;
    case FileFullDirectoryInformation:
      w.u32(0); // EaSize
      break;
    case FileIdFullDirectoryInformation:
      w.u32(0).u32(0).u64(info.fileIndex);
      break;
    case FileBothDirectoryInformation:
      w.u32(0).u8(0).u8(0).zeros(24); // EaSize, no 8.3 short name
      break;
    case FileIdBothDirectoryInformation:
      w.u32(0).u8(0).u8(0).zeros(24).u16(0).u64(info.fileIndex);
      break;
    default:
      throw new Error(`not a directory information class: ${infoClass}`);
  }
  w.bytes(nameBytes);
  return w.buffer();
}
