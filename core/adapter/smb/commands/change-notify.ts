import { SmbWriter } from "../../../protocol/smb2/buffer.js";
import {
  FILE_LIST_DIRECTORY,
  SMB2_HEADER_SIZE,
  STATUS_ACCESS_DENIED,
  SMB2_WATCH_TREE,
  STATUS_CANCELLED,
  STATUS_DELETE_PENDING,
  STATUS_INVALID_PARAMETER,
  STATUS_NOTIFY_ENUM_DIR,
} from "../../../protocol/smb2/constants.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";
import { MAX_IO_BYTES } from "../context.js";
import { smbError } from "../errors.js";
import { DirectoryWatch, type NotifyEntry } from "../notify.js";

/**
 * MS-SMB2 §2.2.35 CHANGE_NOTIFY request: Flags (WATCH_TREE), OutputBufferLength, FileId of a
 * directory, CompletionFilter. §2.2.36 response: FILE_NOTIFY_INFORMATION entries (MS-FSCC §2.7.1).
 * The first request starts watching the directory, with its filter and WATCH_TREE for good (as
 * Windows does); changes wait for the next request, which answers at once if some are queued and
 * otherwise waits asynchronously until one comes (STATUS_PENDING), is CANCELed (STATUS_CANCELLED),
 * the handle closes (STATUS_NOTIFY_CLEANUP) or the directory is being deleted
 * (STATUS_DELETE_PENDING, for this and every later request). Too many changes, or more than the
 * client's buffer holds, is STATUS_NOTIFY_ENUM_DIR: list again. Names added, removed and renamed,
 * and sizes, times and attributes changed, are reported from SMB and NFS alike (see notify.ts).
 */
export const changeNotify: SmbCommand = {
  name: "CHANGE_NOTIFY",
  structureSize: 32,
  needsSession: true,
  needsTree: true,
  async run(call: SmbCall): Promise<SmbReply> {
    const { body, ctx, conn } = call;
    const flags = body.u16();
    const outputLength = body.u32();
    const open = conn.open(call, body.u64(), body.u64());
    const filter = body.u32();
    if (!open.isDirectory || !open.share) throw smbError(STATUS_INVALID_PARAMETER, "CHANGE_NOTIFY on a file");
    if (!(open.access & FILE_LIST_DIRECTORY)) throw smbError(STATUS_ACCESS_DENIED, "opened without FILE_LIST_DIRECTORY");
    if (outputLength > MAX_IO_BYTES) throw smbError(STATUS_INVALID_PARAMETER, `OutputBufferLength ${outputLength}`);
    open.watch ??= ctx.watchDirectory(open, new DirectoryWatch(filter, (flags & SMB2_WATCH_TREE) !== 0, outputLength));
    const watch = open.watch;
    if (ctx.isDeletePending(open.share, open.fileId!)) watch.end(STATUS_DELETE_PENDING);
    // Another request on the handle may take the changes this one was woken for: it waits again.
    while (!watch.ready) {
      call.goAsync();
      try {
        await watch.next(call.signal);
      } catch {
        throw smbError(STATUS_CANCELLED, "the change notification was cancelled");
      }
    }
    if (watch.ended !== null) return { status: watch.ended, body: response(Buffer.alloc(0)) };
    const { entries, overflowed } = watch.take();
    const encoded = encode(entries);
    if (overflowed || encoded.length > outputLength) return { status: STATUS_NOTIFY_ENUM_DIR, body: response(Buffer.alloc(0)) };
    return { status: 0, body: response(encoded) };
  },
};

/** FILE_NOTIFY_INFORMATION entries, each 4-byte aligned and linked by NextEntryOffset. */
function encode(entries: NotifyEntry[]): Buffer {
  const w = new SmbWriter(256);
  entries.forEach((entry, i) => {
    const at = w.offset;
    const name = Buffer.from(entry.name, "utf16le");
    w.u32(0).u32(entry.action).u32(name.length).bytes(name);
    if (i < entries.length - 1) {
      w.align(4);
      w.setU32(at, w.offset - at);
    }
  });
  return w.buffer();
}

function response(data: Buffer): Buffer {
  return new SmbWriter(8 + data.length).u16(9).u16(SMB2_HEADER_SIZE + 8).u32(data.length).bytes(data).buffer();
}
