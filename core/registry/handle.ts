import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { fsError } from "../errors.js";
import type { FileId } from "../metadata/types.js";
import { LruMap } from "../util/lru.js";

/**
 * File handle codec: `[version u8 = 2][share id u32 BE][file id, UTF-8][MAC, 11 bytes]`, at most
 * 64 bytes (NFSv3's FHSIZE3). The MAC is HMAC-SHA256 over everything before it, keyed by a key of
 * the share (see handleKeyFor), so a client cannot make a handle the server did not give out:
 * not for a guessed file id, and not for another share's file on the same store. Handles are
 * stable across restarts: the share id comes from the share name, the file id from the store,
 * and the key from a secret the metadata store keeps.
 */
export const HANDLE_VERSION = 2;
export const MAX_HANDLE_BYTES = 64;
const HEADER_BYTES = 5;
/** 88 bits: each guess costs a round trip, so this is far beyond an online forgery. */
export const HANDLE_MAC_BYTES = 11;
/** Stores promise ids of at most 48 bytes; 64 - 5 - 11 leaves exactly that. */
export const MAX_FILE_ID_BYTES = MAX_HANDLE_BYTES - HEADER_BYTES - HANDLE_MAC_BYTES;

// fatal: invalid UTF-8 is an error rather than U+FFFD; ignoreBOM: a leading BOM is kept, so
// decoding then encoding gives back the same bytes.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Stable 32-bit id of a share: the first 4 bytes of SHA-256 of its name. */
export function shareIdFor(shareName: string): number {
  return createHash("sha256").update(shareName, "utf8").digest().readUInt32BE(0);
}

/**
 * The key that signs one share's handles, derived from its metadata store's secret: shares on
 * one store get different keys, and every server sharing the store derives the same one.
 */
export function handleKeyFor(storeSecret: Buffer, shareName: string): Buffer {
  return createHmac("sha256", storeSecret).update(`dittofs file handle key\0${shareName}`, "utf8").digest();
}

export function encodeHandle(key: Buffer, shareId: number, fileId: FileId): Buffer {
  const idBytes = Buffer.byteLength(fileId, "utf8");
  if (idBytes === 0 || idBytes > MAX_FILE_ID_BYTES) {
    // Stores promise ids of 1..48 bytes; anything else is a store bug, not a client's doing.
    throw fsError("Io", `file id of ${idBytes} bytes cannot fit a handle (1..${MAX_FILE_ID_BYTES})`);
  }
  const bodyBytes = HEADER_BYTES + idBytes;
  const handle = Buffer.allocUnsafe(bodyBytes + HANDLE_MAC_BYTES);
  handle.writeUInt8(HANDLE_VERSION, 0);
  handle.writeUInt32BE(shareId >>> 0, 1);
  handle.write(fileId, HEADER_BYTES, "utf8");
  macOf(key, handle.subarray(0, bodyBytes)).copy(handle, bodyBytes, 0, HANDLE_MAC_BYTES);
  return handle;
}

/** The share id of a well-formed handle; FsError("BadHandle") for anything this codec could not have produced. */
export function handleShareId(handle: Buffer): number {
  if (handle.length <= HEADER_BYTES + HANDLE_MAC_BYTES) throw fsError("BadHandle", `handle of ${handle.length} bytes is too short`);
  if (handle.length > MAX_HANDLE_BYTES) throw fsError("BadHandle", `handle of ${handle.length} bytes is too long`);
  if (handle[0] !== HANDLE_VERSION) throw fsError("BadHandle", `unknown handle version ${handle[0]}`);
  return handle.readUInt32BE(1);
}

/**
 * The file id of a handle signed with `key` (the key of the share handleShareId named);
 * FsError("BadHandle") when the MAC does not match or the handle is malformed.
 */
export function verifyHandle(key: Buffer, handle: Buffer): FileId {
  handleShareId(handle);
  const bodyBytes = handle.length - HANDLE_MAC_BYTES;
  const expected = macOf(key, handle.subarray(0, bodyBytes)).subarray(0, HANDLE_MAC_BYTES);
  if (!timingSafeEqual(expected, handle.subarray(bodyBytes))) throw fsError("BadHandle", "file handle was not issued by this server");
  // Store ids are ASCII in practice (digits, hex, UUIDs): those skip the validating UTF-8 decoder.
  if (isAscii(handle, HEADER_BYTES, bodyBytes)) return handle.toString("latin1", HEADER_BYTES, bodyBytes);
  try {
    return utf8.decode(handle.subarray(HEADER_BYTES, bodyBytes));
  } catch (err) {
    throw fsError("BadHandle", "handle file id is not valid UTF-8", err);
  }
}

/** Handles signed or verified recently, per direction: an HMAC costs microseconds, a lookup far less. */
const CACHED_HANDLES = 16_384;

/**
 * One share's handles: encodes and verifies with the share's key, and remembers recent results,
 * since the same handles come and go on every call (a LOOKUP hands one out, the next GETATTR
 * brings it back).
 */
export class ShareHandles {
  private readonly issued = new LruMap<FileId, Buffer>(CACHED_HANDLES);
  /** Verified handles (as latin1 strings) → their file ids. */
  private readonly verified = new LruMap<string, FileId>(CACHED_HANDLES);

  constructor(
    private readonly key: Buffer,
    private readonly shareId: number,
  ) {}

  /** The share's handle for a file; callers must not modify it (it is shared). */
  encode(fileId: FileId): Buffer {
    let handle = this.issued.get(fileId);
    if (!handle) {
      handle = encodeHandle(this.key, this.shareId, fileId);
      this.issued.set(fileId, handle);
    }
    return handle;
  }

  /** The file id of one of this share's handles; FsError("BadHandle") as verifyHandle says. */
  verify(handle: Buffer): FileId {
    const text = handle.toString("latin1");
    let fileId = this.verified.get(text);
    if (fileId === undefined) {
      fileId = verifyHandle(this.key, handle);
      this.verified.set(text, fileId);
    }
    return fileId;
  }
}

function macOf(key: Buffer, body: Buffer): Buffer {
  return createHmac("sha256", key).update(body).digest();
}

function isAscii(bytes: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i]! > 0x7f) return false;
  return true;
}
