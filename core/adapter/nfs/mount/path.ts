import { isUtf8 } from "node:buffer";
import { MNTPATHLEN } from "../../../protocol/nfs/mount/constants.js";

/**
 * A dirpath (RFC 1813 §5.1.3) as a share name: null when it cannot name one (longer than
 * MNTPATHLEN is reported by the caller; not UTF-8 cannot match). Trailing slashes are ignored,
 * so "/export/" mounts "/export".
 */
export function shareNameOf(dirpath: Buffer): string | null {
  if (dirpath.length > MNTPATHLEN || !isUtf8(dirpath)) return null;
  const path = dirpath.toString("utf8");
  const trimmed = path.replace(/\/+$/, "");
  return trimmed === "" ? path : trimmed;
}
