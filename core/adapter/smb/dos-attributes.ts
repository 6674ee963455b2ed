/**
 * Windows file attributes (MS-FSCC §2.6) over the metadata model: which bits a node keeps in
 * `dosAttributes`, which come from elsewhere, and the rules CREATE and SET_INFO follow when a
 * client names them (MS-FSA §2.1.5.1, §2.1.5.14.2).
 *
 * A file's READONLY is its owner's write bit (as Samba maps it), so NFS clients see it too; a
 * directory's READONLY is kept apart, as Windows keeps it apart from the directory's permissions.
 * DIRECTORY is the node's type. HIDDEN, SYSTEM, ARCHIVE, TEMPORARY (files only), OFFLINE and
 * NOT_CONTENT_INDEXED are kept as given. Names starting with a dot read as hidden, as Samba
 * shows them by default.
 */
import type { SetAttrRequest } from "../../metadata/service.js";
import { DOS_ATTRIBUTES_KEPT, type FileAttr } from "../../metadata/types.js";
import {
  FILE_ATTRIBUTE_ARCHIVE,
  FILE_ATTRIBUTE_DIRECTORY,
  FILE_ATTRIBUTE_HIDDEN,
  FILE_ATTRIBUTE_NORMAL,
  FILE_ATTRIBUTE_READONLY,
  FILE_ATTRIBUTE_SYSTEM,
  FILE_ATTRIBUTE_TEMPORARY,
  FILE_ATTRIBUTE_VALID_FLAGS,
  STATUS_ACCESS_DENIED,
  STATUS_INVALID_PARAMETER,
} from "../../protocol/smb2/constants.js";
import { smbError } from "./errors.js";

const OWNER_WRITE = 0o200;
const ANY_WRITE = 0o222;

/** The FileAttributes a node reports: kept bits, READONLY from the mode, DIRECTORY, NORMAL when nothing else. */
export function reportedAttributes(attr: FileAttr, name: string): number {
  const directory = attr.type === "dir";
  let attributes = attr.dosAttributes & DOS_ATTRIBUTES_KEPT;
  if (directory) attributes |= FILE_ATTRIBUTE_DIRECTORY;
  else if ((attr.mode & OWNER_WRITE) === 0) attributes |= FILE_ATTRIBUTE_READONLY;
  if (name.startsWith(".") && name !== "." && name !== "..") attributes |= FILE_ATTRIBUTE_HIDDEN;
  return attributes === 0 ? FILE_ATTRIBUTE_NORMAL : attributes;
}

/** The bits of `attributes` a node of this kind keeps in `dosAttributes`. */
function keptBits(attributes: number, directory: boolean): number {
  const kept = attributes & DOS_ATTRIBUTES_KEPT;
  return directory ? kept & ~FILE_ATTRIBUTE_TEMPORARY : kept & ~FILE_ATTRIBUTE_READONLY;
}

/** A file's mode with READONLY applied: no write bits, or the owner's back. */
function modeFor(mode: number, attributes: number): number {
  return attributes & FILE_ATTRIBUTE_READONLY ? mode & ~ANY_WRITE : mode | OWNER_WRITE;
}

/** CREATE's FileAttributes: undefined bits, and TEMPORARY on a directory, are STATUS_INVALID_PARAMETER (MS-SMB2 §3.3.5.9, MS-FSA §2.1.5.1). */
export function checkCreateAttributes(attributes: number, directory: boolean): void {
  if ((attributes & ~FILE_ATTRIBUTE_VALID_FLAGS) !== 0) throw smbError(STATUS_INVALID_PARAMETER, `FileAttributes 0x${attributes.toString(16)}`);
  if (directory && attributes & FILE_ATTRIBUTE_TEMPORARY) throw smbError(STATUS_INVALID_PARAMETER, "a temporary directory");
}

/** What a new node gets from CREATE's FileAttributes: a new file is also ARCHIVE, and READONLY takes its write bits. */
export function newNodeAttributes(attributes: number, directory: boolean, mode: number): SetAttrRequest {
  if (directory) return { mode, dosAttributes: keptBits(attributes, true) };
  const readOnly = (attributes & FILE_ATTRIBUTE_READONLY) !== 0;
  return { mode: readOnly ? mode & ~ANY_WRITE : mode, dosAttributes: keptBits(attributes, false) | FILE_ATTRIBUTE_ARCHIVE };
}

/**
 * An overwrite or supersede of an existing file (MS-FSA §2.1.5.1.2): a HIDDEN or SYSTEM file
 * must be named with those bits (else STATUS_ACCESS_DENIED), and its attributes become the
 * ones asked, plus ARCHIVE — as Samba and the smbtorture openattr table have it. Only the owner
 * (or root) may change attributes: for anyone else the file is truncated with its attributes
 * left as they are, as Samba does.
 */
export function overwriteAttributes(existing: FileAttr, attributes: number, mayChange: boolean): SetAttrRequest {
  const guarded = existing.dosAttributes & (FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM);
  if ((guarded & attributes) !== guarded) throw smbError(STATUS_ACCESS_DENIED, "overwriting a hidden or system file without naming those attributes");
  if (!mayChange) return {};
  const change: SetAttrRequest = { dosAttributes: keptBits(attributes, false) | FILE_ATTRIBUTE_ARCHIVE };
  const mode = modeFor(existing.mode, attributes);
  if (mode !== existing.mode) change.mode = mode;
  return change;
}

/**
 * SET_INFO FileBasicInformation's FileAttributes (MS-FSA §2.1.5.14.2): 0 leaves them alone;
 * DIRECTORY on a file and TEMPORARY on a directory are STATUS_INVALID_PARAMETER; otherwise the
 * kept bits are replaced, and a file's READONLY sets its mode.
 */
export function basicInfoAttributes(existing: FileAttr, attributes: number): SetAttrRequest {
  if (attributes === 0) return {};
  const directory = existing.type === "dir";
  if (!directory && attributes & FILE_ATTRIBUTE_DIRECTORY) throw smbError(STATUS_INVALID_PARAMETER, "DIRECTORY attribute on a file");
  if (directory && attributes & FILE_ATTRIBUTE_TEMPORARY) throw smbError(STATUS_INVALID_PARAMETER, "TEMPORARY attribute on a directory");
  const change: SetAttrRequest = {};
  const kept = keptBits(attributes, directory);
  if (kept !== existing.dosAttributes) change.dosAttributes = kept;
  if (!directory) {
    const mode = modeFor(existing.mode, attributes);
    if (mode !== existing.mode) change.mode = mode;
  }
  return change;
}
