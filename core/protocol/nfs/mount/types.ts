import type { XdrReader } from "../../xdr/reader.js";
import type { XdrWriter } from "../../xdr/writer.js";
import { MNT3_OK } from "./constants.js";

/** Codecs for the MOUNT v3 types (RFC 1813 Appendix I, §5.1). Pure: no I/O. */

/** mountbody (§5.2.2): one client's mount of one path. */
export interface MountEntry {
  hostname: string;
  directory: string;
}

/** exportnode (§5.2.5): an exported path and the groups (client names) allowed to mount it. */
export interface ExportEntry {
  directory: string;
  /** Empty means every client may mount it. */
  groups: readonly string[];
}

/**
 * dirpath (§5.1.3) as raw bytes. The MNTPATHLEN limit is the caller's to enforce, so that an
 * over-long path gets MNT3ERR_NAMETOOLONG rather than GARBAGE_ARGS.
 */
export function decodeDirpath(r: XdrReader): Buffer {
  return r.stringBytes(0xffff_ffff);
}

/** mountres3 (§5.2.1) with MNT3_OK: the root handle and the auth flavors the server accepts. */
export function encodeMountres3Ok(w: XdrWriter, fhandle: Buffer, authFlavors: readonly number[]): void {
  w.u32(MNT3_OK);
  w.opaqueVar(fhandle);
  w.u32(authFlavors.length);
  for (const flavor of authFlavors) w.u32(flavor);
}

/** mountres3 (§5.2.1) with an error status: nothing follows. */
export function encodeMountres3Error(w: XdrWriter, status: number): void {
  w.u32(status);
}

/** mountlist (§5.2.2): a linked list encoded as value_follows flags. */
export function encodeMountList(w: XdrWriter, entries: Iterable<MountEntry>): void {
  for (const entry of entries) {
    w.bool(true);
    w.string(entry.hostname);
    w.string(entry.directory);
  }
  w.bool(false);
}

/** exports (§5.2.5): a list of exportnode, each with its list of groups. */
export function encodeExports(w: XdrWriter, exports: Iterable<ExportEntry>): void {
  for (const entry of exports) {
    w.bool(true);
    w.string(entry.directory);
    for (const group of entry.groups) {
      w.bool(true);
      w.string(group);
    }
    w.bool(false);
  }
  w.bool(false);
}
