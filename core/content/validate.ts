import { fsError } from "../errors.js";
import { isValidContentId } from "./store.js";

/**
 * Argument checks shared by every content store and the ContentService, so that a bad id or
 * offset is refused with a clear FsError before it can reach a path, a key or an allocation.
 */

export function checkContentId(id: string): void {
  if (typeof id !== "string" || !isValidContentId(id)) {
    throw fsError("Invalid", `invalid content id ${JSON.stringify(String(id).slice(0, 40))}`);
  }
}

/** Offsets are byte positions below 2^53 (the largest integer a JS number holds exactly). */
export function checkRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw fsError("Invalid", `invalid offset ${offset}`);
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    throw fsError("Invalid", `invalid length ${length}`);
  }
  if (offset + length > Number.MAX_SAFE_INTEGER) {
    throw fsError("FileTooBig", `range ${offset}+${length} is beyond the largest supported offset`);
  }
}

/** A read's target buffer, when one is given, must hold the whole range. */
export function checkReadInto(into: Buffer | undefined, length: number): void {
  if (into !== undefined && into.length < length) {
    throw fsError("Invalid", `read of ${length} bytes into a buffer of ${into.length}`);
  }
}

export function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw fsError("Invalid", `invalid size ${size}`);
  }
}
