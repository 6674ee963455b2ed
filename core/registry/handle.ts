import { createHash } from "node:crypto";
import { fsError } from "../errors.js";
import type { FileId } from "../metadata/types.js";

/**
 * File handle codec: `[version u8 = 1][share id u32 BE][file id, UTF-8]`, at most 64 bytes
 * (NFSv3's FHSIZE3). Handles are stable across restarts: the share id is derived from the share
 * name and the file id comes from the store.
 */
export const HANDLE_VERSION = 1;
export const MAX_HANDLE_BYTES = 64;
const HEADER_BYTES = 5;
export const MAX_FILE_ID_BYTES = MAX_HANDLE_BYTES - HEADER_BYTES;

// fatal: invalid UTF-8 is an error rather than U+FFFD; ignoreBOM: a leading BOM is kept, so
// decoding then encoding gives back the same bytes.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Stable 32-bit id of a share: the first 4 bytes of SHA-256 of its name. */
export function shareIdFor(shareName: string): number {
  return createHash("sha256").update(shareName, "utf8").digest().readUInt32BE(0);
}

export function encodeHandle(shareId: number, fileId: FileId): Buffer {
  const idBytes = Buffer.byteLength(fileId, "utf8");
  if (idBytes === 0 || idBytes > MAX_FILE_ID_BYTES) {
    // Stores promise ids of 1..48 bytes; anything else is a store bug, not a client's doing.
    throw fsError("Io", `file id of ${idBytes} bytes cannot fit a handle (1..${MAX_FILE_ID_BYTES})`);
  }
  const handle = Buffer.allocUnsafe(HEADER_BYTES + idBytes);
  handle.writeUInt8(HANDLE_VERSION, 0);
  handle.writeUInt32BE(shareId >>> 0, 1);
  handle.write(fileId, HEADER_BYTES, "utf8");
  return handle;
}

/** Splits a handle; FsError("BadHandle") for anything this codec could not have produced. */
export function decodeHandle(handle: Buffer): { shareId: number; fileId: FileId } {
  if (handle.length <= HEADER_BYTES) throw fsError("BadHandle", `handle of ${handle.length} bytes is too short`);
  if (handle.length > MAX_HANDLE_BYTES) throw fsError("BadHandle", `handle of ${handle.length} bytes is too long`);
  if (handle[0] !== HANDLE_VERSION) throw fsError("BadHandle", `unknown handle version ${handle[0]}`);
  const shareId = handle.readUInt32BE(1);
  // Store ids are ASCII in practice (digits, hex): those skip the validating UTF-8 decoder.
  if (isAscii(handle, HEADER_BYTES)) return { shareId, fileId: handle.toString("latin1", HEADER_BYTES) };
  let fileId: string;
  try {
    fileId = utf8.decode(handle.subarray(HEADER_BYTES));
  } catch (err) {
    throw fsError("BadHandle", "handle file id is not valid UTF-8", err);
  }
  return { shareId, fileId };
}

function isAscii(bytes: Buffer, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i]! > 0x7f) return false;
  return true;
}
