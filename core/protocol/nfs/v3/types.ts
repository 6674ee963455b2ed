import { XdrError, type XdrReader } from "../../xdr/reader.js";
import type { XdrWriter } from "../../xdr/writer.js";
import { DONT_CHANGE, SET_TO_CLIENT_TIME, SET_TO_SERVER_TIME } from "./constants.js";

/**
 * Codecs for the NFSv3 basic data types (RFC 1813 §2.5): nfs_fh3, nfstime3, specdata3,
 * fattr3, post_op_attr, wcc_attr, pre_op_attr, wcc_data, post_op_fh3, sattr3, sattrguard3, and
 * the sizes READDIR/READDIRPLUS need to fill a reply without overflowing the client's limits.
 * Pure: no I/O, no metadata types.
 */

/** nfstime3 (§2.5): seconds and nanoseconds since the epoch, both uint32. */
export interface Nfstime3 {
  seconds: number;
  nseconds: number;
}

/** specdata3 (§2.5): a device's major and minor numbers. */
export interface Specdata3 {
  specdata1: number;
  specdata2: number;
}

/** fattr3 (§2.5). `fsid` and `fileid` are uint64, carried here as safe integers. */
export interface Fattr3 {
  type: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  used: number;
  rdev: Specdata3;
  fsid: number;
  fileid: number;
  atime: Nfstime3;
  mtime: Nfstime3;
  ctime: Nfstime3;
}

/** wcc_attr (§2.5): the attributes a client needs to validate its cache across a change. */
export interface WccAttr3 {
  size: number;
  mtime: Nfstime3;
  ctime: Nfstime3;
}

/** wcc_data (§2.5): pre_op_attr before, post_op_attr after; either may be absent. */
export interface WccData3 {
  before: WccAttr3 | null;
  after: Fattr3 | null;
}

/** set_atime / set_mtime (§2.5): null = DONT_CHANGE, "server" = SET_TO_SERVER_TIME. */
export type SetTime3 = null | "server" | Nfstime3;

/** sattr3 (§2.5): every field is optional (null = leave unchanged). */
export interface Sattr3 {
  mode: number | null;
  uid: number | null;
  gid: number | null;
  /** Infinity when the client asked for a size above 2^53 - 1 (see decodeUint64). */
  size: number | null;
  atime: SetTime3;
  mtime: SetTime3;
}

/** XDR sizes of fixed structures, in bytes. */
export const FATTR3_SIZE = 84;
export const POST_OP_ATTR_SIZE = 4 + FATTR3_SIZE;

/**
 * An unsigned hyper (offset3, size3, count3 of 64 bits, cookie3) as an exact number when it is at
 * most 2^53 - 1, and Infinity above: callers answer NFS3ERR_FBIG or end-of-file for those
 * instead of silently working on a rounded value.
 */
export function decodeUint64(r: XdrReader): number {
  const hi = r.u32();
  const lo = r.u32();
  if (hi > 0x1fffff) return Infinity;
  return hi * 0x1_0000_0000 + lo;
}

/**
 * nfs_fh3 (§2.5) as a view into the record. The length is not limited here: an empty or
 * oversized handle is a bad handle (NFS3ERR_BADHANDLE), not garbage arguments; a length that
 * runs past the record still throws XdrError.
 */
export function decodeNfsFh3(r: XdrReader): Buffer {
  return r.opaqueVar(0xffff_ffff);
}

/** filename3 / nfspath3 (§2.5) as raw bytes, validated by the caller before any decoding. */
export function decodeNfsString(r: XdrReader): Buffer {
  return r.stringBytes(0xffff_ffff);
}

export function decodeNfstime3(r: XdrReader): Nfstime3 {
  return { seconds: r.u32(), nseconds: r.u32() };
}

export function decodeSpecdata3(r: XdrReader): Specdata3 {
  return { specdata1: r.u32(), specdata2: r.u32() };
}

function decodeSetTime(r: XdrReader): SetTime3 {
  const how = r.u32();
  switch (how) {
    case DONT_CHANGE:
      return null;
    case SET_TO_SERVER_TIME:
      return "server";
    case SET_TO_CLIENT_TIME:
      return decodeNfstime3(r);
    default:
      throwBadDiscriminant("time_how", how);
  }
}

/** sattr3 (§2.5): each set_* union is a bool (or time_how) followed by the value when set. */
export function decodeSattr3(r: XdrReader): Sattr3 {
  const mode = r.bool() ? r.u32() : null;
  const uid = r.bool() ? r.u32() : null;
  const gid = r.bool() ? r.u32() : null;
  const size = r.bool() ? decodeUint64(r) : null;
  const atime = decodeSetTime(r);
  const mtime = decodeSetTime(r);
  return { mode, uid, gid, size, atime, mtime };
}

/** sattrguard3 (§3.3.2): the ctime the client expects, or null for no check. */
export function decodeSattrGuard3(r: XdrReader): Nfstime3 | null {
  return r.bool() ? decodeNfstime3(r) : null;
}

export function encodeNfstime3(w: XdrWriter, t: Nfstime3): void {
  w.u32(t.seconds);
  w.u32(t.nseconds);
}

export function encodeFattr3(w: XdrWriter, a: Fattr3): void {
  w.u32(a.type);
  w.u32(a.mode);
  w.u32(a.nlink);
  w.u32(a.uid);
  w.u32(a.gid);
  w.u64(a.size);
  w.u64(a.used);
  w.u32(a.rdev.specdata1);
  w.u32(a.rdev.specdata2);
  w.u64(a.fsid);
  w.u64(a.fileid);
  encodeNfstime3(w, a.atime);
  encodeNfstime3(w, a.mtime);
  encodeNfstime3(w, a.ctime);
}

/** post_op_attr (§2.5). */
export function encodePostOpAttr(w: XdrWriter, a: Fattr3 | null): void {
  w.optional(a, encodeFattr3);
}

function encodeWccAttr(w: XdrWriter, a: WccAttr3): void {
  w.u64(a.size);
  encodeNfstime3(w, a.mtime);
  encodeNfstime3(w, a.ctime);
}

/** wcc_data (§2.5): pre_op_attr then post_op_attr. */
export function encodeWccData(w: XdrWriter, wcc: WccData3): void {
  w.optional(wcc.before, encodeWccAttr);
  encodePostOpAttr(w, wcc.after);
}

/** post_op_fh3 (§2.5). */
export function encodePostOpFh3(w: XdrWriter, fh: Buffer | null): void {
  w.optional(fh, (out, h) => out.opaqueVar(h));
}

/** Bytes an XDR string or opaque of `n` bytes takes on the wire: length word plus padded data. */
export function xdrOpaqueSize(n: number): number {
  return 4 + ((n + 3) & ~3);
}

/**
 * One entry3 of a READDIR reply (§3.3.16) on the wire: the value_follows word, fileid, name and
 * cookie. READDIRPLUS counts the same bytes against `dircount`.
 */
export function entry3Size(nameBytes: number): number {
  return 4 + 8 + xdrOpaqueSize(nameBytes) + 8;
}

/** One entryplus3 (§3.3.17) on the wire: entry3 plus post_op_attr and post_op_fh3. */
export function entryplus3Size(nameBytes: number, withAttr: boolean, handleBytes: number | null): number {
  return (
    entry3Size(nameBytes) + (withAttr ? POST_OP_ATTR_SIZE : 4) + (handleBytes === null ? 4 : 4 + xdrOpaqueSize(handleBytes))
  );
}

/**
 * The fixed part of a READDIR3res / READDIRPLUS3res with status NFS3_OK: status, dir_attributes
 * (post_op_attr), cookieverf, the final value_follows = FALSE and eof. Entries come on top.
 */
export function readdirReplyOverhead(withDirAttr: boolean): number {
  return 4 + (withDirAttr ? POST_OP_ATTR_SIZE : 4) + 8 + 4 + 4;
}

function throwBadDiscriminant(what: string, value: number): never {
  throw new XdrError(`invalid ${what} discriminant ${value}`);
}
