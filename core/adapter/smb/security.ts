import type { FileAttr } from "../../metadata/types.js";
import { SmbWriter } from "../../protocol/smb2/buffer.js";

/** AdditionalInformation bits of a security query (MS-SMB2 §2.2.37). */
const OWNER_SECURITY_INFORMATION = 0x1;
const GROUP_SECURITY_INFORMATION = 0x2;
const DACL_SECURITY_INFORMATION = 0x4;
/** SECURITY_DESCRIPTOR Control bits (MS-DTYP §2.4.6). */
const SE_DACL_PRESENT = 0x0004;
const SE_SELF_RELATIVE = 0x8000;
const ACCESS_ALLOWED_ACE_TYPE = 0;
/** S-1-22 (Samba's Unix users and groups) and S-1-1 (Everyone). */
const UNIX_AUTHORITY = 22;
const WORLD_AUTHORITY = 1;
/** FILE_ALL_ACCESS; FILE_GENERIC_READ | FILE_GENERIC_EXECUTE; FILE_GENERIC_WRITE. */
const ALL = 0x001f01ff;
const READ_EXECUTE = 0x001200a9;
const WRITE = 0x00120116;

/**
 * A self-relative security descriptor (MS-DTYP §2.4.6) that shows a file's owner, group and mode
 * the way Samba does: owner S-1-22-1-uid, group S-1-22-2-gid, and a DACL with one allow entry
 * each for the owner, the group and Everyone built from the mode's three bit triples. Only the
 * parts `wanted` asks for are included.
 */
export function securityDescriptor(attr: FileAttr, wanted: number): Buffer {
  const owner = sid(UNIX_AUTHORITY, [1, attr.uid]);
  const group = sid(UNIX_AUTHORITY, [2, attr.gid]);
  const everyone = sid(WORLD_AUTHORITY, [0]);
  const dacl = wanted & DACL_SECURITY_INFORMATION ? acl([
    [rights(attr.mode >> 6), owner],
    [rights(attr.mode >> 3), group],
    [rights(attr.mode), everyone],
  ]) : null;
  const parts: Array<[Buffer | null, number]> = [
    [wanted & OWNER_SECURITY_INFORMATION ? owner : null, 4],
    [wanted & GROUP_SECURITY_INFORMATION ? group : null, 8],
    [null, 12], // no SACL
    [dacl, 16],
  ];
  const w = new SmbWriter(128);
  w.u8(1).u8(0).u16(SE_SELF_RELATIVE | (dacl ? SE_DACL_PRESENT : 0)).u32(0).u32(0).u32(0).u32(0);
  for (const [part, at] of parts) {
    if (!part) continue;
    w.setU32(at, w.offset);
    w.bytes(part);
  }
  return w.buffer();
}

/** The access an rwx triple gives. */
function rights(bits: number): number {
  let mask = 0;
  if (bits & 0o4) mask |= READ_EXECUTE;
  if (bits & 0o2) mask |= WRITE;
  if ((bits & 0o7) === 0o7) mask = ALL;
  return mask;
}

/** A SID (MS-DTYP §2.4.2): revision 1, an identifier authority, sub-authorities. */
function sid(authority: number, subAuthorities: number[]): Buffer {
  const w = new SmbWriter(8 + 4 * subAuthorities.length);
  w.u8(1).u8(subAuthorities.length).bytes(Buffer.from([0, 0, 0, 0, 0, authority]));
  for (const sub of subAuthorities) w.u32(sub);
  return w.buffer();
}

/** An ACL (MS-DTYP §2.4.5) of ACCESS_ALLOWED_ACEs. */
function acl(entries: Array<[number, Buffer]>): Buffer {
  const w = new SmbWriter(128);
  w.u8(2).u8(0).u16(0).u16(entries.length).u16(0);
  for (const [mask, who] of entries) w.u8(ACCESS_ALLOWED_ACE_TYPE).u8(0).u16(8 + who.length).u32(mask).bytes(who);
  const bytes = w.buffer();
  bytes.writeUInt16LE(bytes.length, 2);
  return bytes;
}
