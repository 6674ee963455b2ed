import { isUtf8 } from "node:buffer";
import { fsError } from "../../errors.js";
import { NAME_MAX, PATH_MAX } from "./limits.js";

/** What a name from a filename3 (RFC 1813 §2.5) is about to be used for. */
export type NameUse = "lookup" | "create" | "remove";

const SLASH = 0x2f;
const NUL = 0x00;
const DOT = 0x2e;

/**
 * A filename3 as a string, validated as bytes first: empty, "/" or NUL → Invalid (LOOKUP of ""
 * is simply NotFound), longer than NAME_MAX bytes → NameTooLong. Names that are not valid UTF-8
 * are refused with Invalid: stores keep names as strings and return them as UTF-8, so such a
 * name could not come back to the client byte for byte. "." and ".." may be looked up, never
 * created (Exists, as POSIX mkdir answers) nor removed or renamed (Invalid).
 */
export function decodeName(bytes: Buffer, use: NameUse): string {
  if (bytes.length === 0) {
    throw use === "lookup" ? fsError("NotFound", "empty name") : fsError("Invalid", "empty name");
  }
  if (bytes.length > NAME_MAX) throw fsError("NameTooLong", `name of ${bytes.length} bytes exceeds ${NAME_MAX}`);
  // One pass over the bytes: forbidden ones, and whether the name is plain ASCII (most are),
  // which needs no UTF-8 validation.
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === SLASH || b === NUL) throw fsError("Invalid", "name contains '/' or NUL");
    if (b > 0x7f) ascii = false;
  }
  if (!ascii && !isUtf8(bytes)) throw fsError("Invalid", "name is not valid UTF-8");
  if (use !== "lookup" && isDotOrDotDot(bytes)) {
    throw use === "create" ? fsError("Exists", "'.' and '..' always exist") : fsError("Invalid", "cannot remove or rename '.' or '..'");
  }
  return bytes.toString(ascii ? "latin1" : "utf8");
}

function isDotOrDotDot(bytes: Buffer): boolean {
  return bytes[0] === DOT && (bytes.length === 1 || (bytes.length === 2 && bytes[1] === DOT));
}

/** An nfspath3 (symlink target): non-empty, no NUL, at most PATH_MAX bytes of UTF-8. */
export function decodePath(bytes: Buffer): string {
  if (bytes.length === 0) throw fsError("Invalid", "empty symlink target");
  if (bytes.length > PATH_MAX) throw fsError("NameTooLong", `path of ${bytes.length} bytes exceeds ${PATH_MAX}`);
  if (bytes.includes(NUL)) throw fsError("Invalid", "path contains NUL");
  if (!isUtf8(bytes)) throw fsError("Invalid", "path is not valid UTF-8");
  return bytes.toString("utf8");
}
