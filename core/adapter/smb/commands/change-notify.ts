import { SmbWriter } from "../../../protocol/smb2/buffer.js";
import {
  FILE_LIST_DIRECTORY,
  SMB2_HEADER_SIZE,
  STATUS_ACCESS_DENIED,
  STATUS_CANCELLED,
  STATUS_INVALID_PARAMETER,
  STATUS_NOTIFY_CLEANUP,
  STATUS_NOTIFY_ENUM_DIR,
} from "../../../protocol/smb2/constants.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";
import { MAX_IO_BYTES } from "../context.js";
import { smbError } from "../errors.js";
import { DirectoryWatch, type NotifyEntry } from "../notify.js";

/** How long a woken request waits for more changes before it answers. */
const GATHER_MS = 20;

/**
 * MS-SMB2 §2.2.35 CHANGE_NOTIFY request: Flags (WATCH_TREE), OutputBufferLength, FileId of a
 * directory, CompletionFilter. §2.2.36 response: FILE_NOTIFY_INFORMATION entries (MS-FSCC §2.7.1).
 * The first request starts watching the directory; changes wait for the next request, which
 * answers at once if some are queued and otherwise waits asynchronously until one comes
 * (STATUS_PENDING), is CANCELed (STATUS_CANCELLED) or the handle closes (STATUS_NOTIFY_CLEANUP).
 * Too many changes, or more than the client's buffer holds, is STATUS_NOTIFY_ENUM_DIR: list again.
 * Names added, removed and renamed are reported, from SMB and NFS alike, for the directory's own
 * entries (not yet for its subtree).
 */
export const changeNotify: SmbCommand = {
  name: "CHANGE_NOTIFY",
  structureSize: 32,
  needsSession: true,
  needsTree: true,
  async run(call: SmbCall): Promise<SmbReply> {
    const { body, ctx, conn } = call;
    body.u16(); // Flags: SMB2_WATCH_TREE is served as the directory itself
    const outputLength = body.u32();
    const open = conn.open(call, body.u64(), body.u64());
    const filter = body.u32();
    if (!open.isDirectory || !open.share) throw smbError(STATUS_INVALID_PARAMETER, "CHANGE_NOTIFY on a file");
    if (!(open.access & FILE_LIST_DIRECTORY)) throw smbError(STATUS_ACCESS_DENIED, "opened without FILE_LIST_DIRECTORY");
    if (outputLength > MAX_IO_BYTES) throw smbError(STATUS_INVALID_PARAMETER, `OutputBufferLength ${outputLength}`);
    open.watch ??= ctx.watchDirectory(open, new DirectoryWatch(filter));
    const watch = open.watch;
    if (watch.queue.length === 0 && !watch.overflowed && !watch.closed) {
      call.goAsync();
      try {
        await watch.next(call.signal);
      } catch {
        throw smbError(STATUS_CANCELLED, "the change notification was cancelled");
      }
      // Changes come in bursts (a copy, a save); one answer for the burst saves the client round trips.
      if (!watch.closed) await new Promise((resolve) => setTimeout(resolve, GATHER_MS));
    }
    if (watch.closed) return { status: STATUS_NOTIFY_CLEANUP, body: response(Buffer.alloc(0)) };
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
