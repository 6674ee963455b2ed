import type { SetAttrRequest } from "../../../metadata/service.js";
import { fromUtf16, SmbReader, SmbWriter } from "../../../protocol/smb2/buffer.js";
import {
  DELETE,
  FILE_APPEND_DATA,
  FILE_WRITE_ATTRIBUTES,
  FILE_WRITE_DATA,
  FileAllocationInformation,
  FileBasicInformation,
  FileDispositionInformation,
  FileDispositionInformationEx,
  FileEndOfFileInformation,
  FileModeInformation,
  FilePositionInformation,
  FileRenameInformation,
  SMB2_0_INFO_FILE,
  SMB2_HEADER_SIZE,
  STATUS_ACCESS_DENIED,
  STATUS_DIRECTORY_NOT_EMPTY,
  STATUS_INFO_LENGTH_MISMATCH,
  STATUS_INVALID_INFO_CLASS,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_SUPPORTED,
  STATUS_OBJECT_NAME_COLLISION,
} from "../../../protocol/smb2/constants.js";
import { fromFiletime } from "../../../protocol/smb2/info.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";
import { directoryKey } from "../case-names.js";
import { splitPath } from "../context.js";
import { basicInfoAttributes } from "../dos-attributes.js";
import { smbError } from "../errors.js";
import type { Open } from "../state.js";

const MAX_INFO_BYTES = 64 * 1024;
/** FileDispositionInformationEx flag (MS-FSCC §2.4.12). */
const FILE_DISPOSITION_DELETE = 0x1;

/**
 * MS-SMB2 §2.2.39 SET_INFO request: InfoType, FileInfoClass, the buffer, FileId. §2.2.40
 * response: nothing. File classes: basic (times, DOS attributes), end of file and allocation (size), disposition
 * (delete when the last open closes), rename, position and mode (§3.3.5.21.1). Security and
 * quota information cannot be set yet (STATUS_NOT_SUPPORTED).
 */
export const setInfo: SmbCommand = {
  name: "SET_INFO",
  structureSize: 33,
  needsSession: true,
  needsTree: true,
  async run(call: SmbCall): Promise<SmbReply> {
    const { body, conn } = call;
    const infoType = body.u8();
    const infoClass = body.u8();
    const length = body.u32();
    const offset = body.u16();
    body.skip(2 + 4); // Reserved, AdditionalInformation
    const open = conn.open(call, body.u64(), body.u64());
    if (length > MAX_INFO_BYTES) throw smbError(STATUS_INVALID_PARAMETER, `SET_INFO buffer of ${length} bytes`);
    const data = new SmbReader(body.blob(offset, length, SMB2_HEADER_SIZE + 32));
    if (infoType !== SMB2_0_INFO_FILE) throw smbError(STATUS_NOT_SUPPORTED, `setting information type ${infoType}`);
    if (!open.share || open.fileId === null) throw smbError(STATUS_NOT_SUPPORTED, "SET_INFO on a pipe");
    await setFileClass(call, open, infoClass, data, length);
    return { status: 0, body: new SmbWriter(2).u16(2).buffer() };
  },
};

async function setFileClass(call: SmbCall, open: Open, infoClass: number, data: SmbReader, length: number): Promise<void> {
  const { ctx } = call;
  const share = open.share!;
  const auth = ctx.authFor(call.session!, share);
  const need = (bytes: number) => {
    if (length < bytes) throw smbError(STATUS_INFO_LENGTH_MISMATCH, `information class ${infoClass} needs ${bytes} bytes`);
  };
  switch (infoClass) {
    case FileBasicInformation: {
      need(40);
      if (!(open.access & FILE_WRITE_ATTRIBUTES)) throw smbError(STATUS_ACCESS_DENIED, "opened without FILE_WRITE_ATTRIBUTES");
      const created = data.u64();
      const atime = data.u64();
      const mtime = data.u64();
      const changed = data.u64();
      const attributes = data.u32();
      // 0 leaves a time alone; -1 and -2 (stop or resume automatic updates) do too.
      const current = await ctx.metadata.getAttr(share.name, open.fileId!);
      const change: SetAttrRequest = basicInfoAttributes(current, attributes);
      if (isSetTime(created)) change.birthtime = fromFiletime(created);
      if (isSetTime(atime)) change.atime = fromFiletime(atime);
      if (isSetTime(mtime)) change.mtime = fromFiletime(mtime);
      if (isSetTime(changed)) change.ctime = fromFiletime(changed);
      // CHANGE_NOTIFY hears of these from the metadata service, whichever protocol made them.
      if (Object.keys(change).length > 0) await ctx.metadata.setAttr(auth, share.name, open.fileId!, change, null);
      return;
    }
    case FileEndOfFileInformation:
    case FileAllocationInformation: {
      need(8);
      if (!(open.access & (FILE_WRITE_DATA | FILE_APPEND_DATA))) throw smbError(STATUS_ACCESS_DENIED, "opened without write access");
      const size = data.u64n();
      const current = await ctx.metadata.getAttr(share.name, open.fileId!);
      // An allocation below the end of the file truncates it; above, it changes nothing.
      if (infoClass === FileEndOfFileInformation || size < current.size) {
        ctx.breakReadCaches(open);
        await ctx.metadata.setAttr(auth, share.name, open.fileId!, { size }, null);
      }
      return;
    }
    case FileDispositionInformation:
    case FileDispositionInformationEx: {
      need(infoClass === FileDispositionInformation ? 1 : 4);
      const pending = infoClass === FileDispositionInformation ? data.u8() !== 0 : (data.u32() & FILE_DISPOSITION_DELETE) !== 0;
      if (!(open.access & DELETE)) throw smbError(STATUS_ACCESS_DENIED, "opened without DELETE access");
      if (pending && open.parentId === null) throw smbError(STATUS_ACCESS_DENIED, "the share root cannot be deleted");
      if (pending && open.isDirectory) {
        const { page } = await ctx.metadata.readDir(auth, share.name, open.fileId!, 0, 1);
        if (page.entries.length > 0) throw smbError(STATUS_DIRECTORY_NOT_EMPTY, `'${open.path}' is not empty`);
      }
      ctx.setDeletePending(open, pending);
      return;
    }
    case FileRenameInformation:
      return rename(call, open, data, length);
    case FilePositionInformation:
    case FileModeInformation:
      // Per-open state the server does not use: accepted, as Windows does.
      return;
    default:
      throw smbError(STATUS_INVALID_INFO_CLASS, `setting file information class ${infoClass}`);
  }
}

/**
 * FILE_RENAME_INFORMATION_TYPE_2 (MS-FSCC §2.4.37.2): ReplaceIfExists, RootDirectory (must be 0
 * over SMB2), the new path from the share root. A taken name needs ReplaceIfExists, and a
 * directory is never replaced.
 */
async function rename(call: SmbCall, open: Open, data: SmbReader, length: number): Promise<void> {
  const { ctx } = call;
  const share = open.share!;
  if (length < 20) throw smbError(STATUS_INFO_LENGTH_MISMATCH, "rename information of fewer than 20 bytes");
  const replace = data.u8() !== 0;
  data.skip(7);
  if (data.u64() !== 0n) throw smbError(STATUS_INVALID_PARAMETER, "rename relative to a RootDirectory");
  const nameLength = data.u32();
  const target = fromUtf16(data.bytes(nameLength));
  if (!(open.access & DELETE)) throw smbError(STATUS_ACCESS_DENIED, "opened without DELETE access");
  if (open.parentId === null) throw smbError(STATUS_ACCESS_DENIED, "the share root cannot be renamed");
  ctx.requireDeleteShared(open);
  splitPath(target);
  const auth = ctx.authFor(call.session!, share);
  const { dirId, name } = await ctx.resolveParent(auth, share, target);
  if (name === "") throw smbError(STATUS_OBJECT_NAME_COLLISION, "cannot rename onto the share root");
  const existing = await ctx.lookupName(auth, share, dirId, name);
  if (existing && existing.attr.id !== open.fileId) {
    if (!replace) throw smbError(STATUS_OBJECT_NAME_COLLISION, `'${target}' exists`);
    if (existing.attr.type === "dir") throw smbError(STATUS_ACCESS_DENIED, `'${target}' is a directory`);
    // The file replaced may be spelt in another case: it goes first, so no two names differ in case only.
    if (existing.name !== name) {
      const { dirWcc } = await ctx.metadata.remove(auth, share.name, dirId, existing.name);
      ctx.names.removed(directoryKey(share.id, dirId), dirWcc, existing.name);
    }
  }
  const fromDir = open.parentId;
  const { fromWcc, toWcc } = await ctx.metadata.rename(auth, share.name, fromDir, open.name, dirId, name);
  if (fromDir === dirId) ctx.names.renamed(directoryKey(share.id, dirId), toWcc, open.name, name);
  else {
    ctx.names.removed(directoryKey(share.id, fromDir), fromWcc, open.name);
    ctx.names.added(directoryKey(share.id, dirId), toWcc, name);
  }
  open.parentId = dirId;
  open.name = name;
  open.path = target.replace(/^\\/, "");
}

function isSetTime(filetime: bigint): boolean {
  return filetime !== 0n && filetime !== 0xffff_ffff_ffff_ffffn && filetime !== 0xffff_ffff_ffff_fffen;
}
