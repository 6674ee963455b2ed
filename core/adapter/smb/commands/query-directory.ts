import type { FileAttr } from "../../../metadata/types.js";
import { fromUtf16, SmbWriter } from "../../../protocol/smb2/buffer.js";
import {
  FILE_LIST_DIRECTORY,
  SMB2_HEADER_SIZE,
  SMB2_REOPEN,
  SMB2_RESTART_SCANS,
  SMB2_RETURN_SINGLE_ENTRY,
  STATUS_ACCESS_DENIED,
  STATUS_INFO_LENGTH_MISMATCH,
  STATUS_INVALID_INFO_CLASS,
  STATUS_INVALID_PARAMETER,
  STATUS_NO_MORE_FILES,
  STATUS_NO_SUCH_FILE,
  STATUS_NOT_A_DIRECTORY,
} from "../../../protocol/smb2/constants.js";
import { DIRECTORY_INFO_CLASSES, encodeDirectoryEntry } from "../../../protocol/smb2/info.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";
import { MAX_IO_BYTES } from "../context.js";
import { smbError } from "../errors.js";
import { requireCredits } from "./credit-charge.js";
import { matchesPattern } from "./wildcard.js";

/** Entries read from the store per page. */
const PAGE = 256;
const MAX_PATTERN_BYTES = 2 * 1024;

/**
 * MS-SMB2 §2.2.33 QUERY_DIRECTORY request: FileInformationClass, Flags, FileId, the search
 * pattern, OutputBufferLength. §2.2.34 response: as many entries of the class as fit, linked by
 * NextEntryOffset and 8-byte aligned. "." and ".." come first; a listing resumes where the last
 * answer stopped (store cookies, so names added or removed meanwhile never repeat an entry);
 * RESTART_SCANS or REOPEN start over, with a new pattern on REOPEN or the first call
 * (§3.3.5.18). Nothing matched: STATUS_NO_SUCH_FILE; nothing left: STATUS_NO_MORE_FILES.
 */
export const queryDirectory: SmbCommand = {
  name: "QUERY_DIRECTORY",
  structureSize: 33,
  needsSession: true,
  needsTree: true,
  async run(call: SmbCall): Promise<SmbReply> {
    const { body, ctx, conn } = call;
    const infoClass = body.u8();
    const flags = body.u8();
    body.u32(); // FileIndex: only for SMB2_INDEX_SPECIFIED, which no ordered listing needs
    const open = conn.open(call, body.u64(), body.u64());
    const patternOffset = body.u16();
    const patternLength = body.u16();
    const outputLength = body.u32();
    if (!DIRECTORY_INFO_CLASSES.has(infoClass)) throw smbError(STATUS_INVALID_INFO_CLASS, `directory information class ${infoClass}`);
    if (patternLength > MAX_PATTERN_BYTES) throw smbError(STATUS_INVALID_PARAMETER, `pattern of ${patternLength} bytes`);
    if (outputLength > MAX_IO_BYTES) throw smbError(STATUS_INVALID_PARAMETER, `OutputBufferLength ${outputLength}`);
    requireCredits(call, outputLength);
    if (!open.isDirectory || !open.share) throw smbError(STATUS_NOT_A_DIRECTORY, "QUERY_DIRECTORY of a file");
    if (!(open.access & FILE_LIST_DIRECTORY)) throw smbError(STATUS_ACCESS_DENIED, "opened without list access");
    const pattern = patternLength > 0 ? fromUtf16(body.blob(patternOffset, patternLength, SMB2_HEADER_SIZE + 32)) : "*";
    const share = open.share;
    const auth = ctx.authFor(call.session!, share);
    const fresh = open.listing === null || (flags & (SMB2_RESTART_SCANS | SMB2_REOPEN)) !== 0;
    if (fresh) {
      const keepPattern = open.listing !== null && !(flags & SMB2_REOPEN) && patternLength === 0;
      open.listing = { pattern: keepPattern ? open.listing!.pattern : pattern, dots: [".", ".."], afterCookie: 0, done: false };
    }
    const listing = open.listing!;
    const single = (flags & SMB2_RETURN_SINGLE_ENTRY) !== 0;
    const entries: Buffer[] = [];
    let used = 0;
    const fits = (entry: Buffer) => {
      const at = used === 0 ? 0 : align8(used);
      if (at + entry.length > outputLength) return false;
      entries.push(entry);
      used = at + entry.length;
      return true;
    };
    const full = () => single && entries.length > 0;

    while (listing.dots.length > 0 && !full()) {
      const name = listing.dots[0]!;
      if (matchesPattern(name, listing.pattern)) {
        const attr = name === "." ? await ctx.metadata.getAttr(share.name, open.fileId!) : await dotDotOf(ctx, call, open.fileId!);
        if (!fits(encodeDirectoryEntry(infoClass, ctx.fileInfo(attr, name), name))) break;
      }
      listing.dots.shift();
    }
    while (!listing.done && listing.dots.length === 0 && !full()) {
      const { page } = await ctx.metadata.readDir(auth, share.name, open.fileId!, listing.afterCookie, PAGE);
      let stopped = false;
      for (const entry of page.entries) {
        if (matchesPattern(entry.name, listing.pattern)) {
          const info = ctx.fileInfo(entry.attr, entry.name, ctx.isDeletePending(share, entry.attr.id));
          if (full() || !fits(encodeDirectoryEntry(infoClass, info, entry.name))) {
            stopped = true;
            break;
          }
        }
        listing.afterCookie = entry.cookie;
      }
      if (!stopped && page.eof) listing.done = true;
      if (stopped || page.entries.length === 0) break;
    }

    if (entries.length === 0) {
      if (!listing.done || listing.dots.length > 0) throw smbError(STATUS_INFO_LENGTH_MISMATCH, "the output buffer cannot hold one entry");
      throw smbError(fresh ? STATUS_NO_SUCH_FILE : STATUS_NO_MORE_FILES, "no more entries");
    }
    return { status: 0, body: response(entries) };
  },
};

/** ".." of a directory: its parent, or itself at the share root. */
async function dotDotOf(ctx: SmbCall["ctx"], call: SmbCall, dirId: string): Promise<FileAttr> {
  const share = call.tree!.share!;
  const root = await ctx.metadata.root(share.name);
  if (root.id === dirId) return root;
  return ctx.metadata.listingParent(ctx.authFor(call.session!, share), share.name, dirId);
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

function response(entries: Buffer[]): Buffer {
  const w = new SmbWriter(64 * 1024);
  w.u16(9).u16(SMB2_HEADER_SIZE + 8);
  const lengthAt = w.offset;
  w.u32(0);
  const start = w.offset;
  entries.forEach((entry, i) => {
    const at = w.offset;
    w.bytes(entry);
    if (i < entries.length - 1) {
      w.align(8);
      w.setU32(at, w.offset - at);
    }
  });
  w.setU32(lengthAt, w.offset - start);
  return w.buffer();
}

