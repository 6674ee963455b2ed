import { SmbWriter } from "../../../protocol/smb2/buffer.js";
import { SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB } from "../../../protocol/smb2/constants.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";

/**
 * MS-SMB2 §2.2.15 CLOSE request: Flags, FileId. §2.2.16 response: the file's attributes when
 * POSTQUERY_ATTRIB asks for them, zeros otherwise. The last close of a file marked for deletion
 * removes it (§3.3.5.10).
 */
export const close: SmbCommand = {
  name: "CLOSE",
  structureSize: 24,
  needsSession: true,
  needsTree: true,
  async run(call: SmbCall): Promise<SmbReply> {
    const { body, ctx, conn } = call;
    const flags = body.u16();
    body.skip(4);
    const open = conn.open(call, body.u64(), body.u64());
    const w = new SmbWriter(60).u16(60).u16(0).u32(0);
    let attrs: Buffer | null = null;
    if (flags & SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB && open.share && open.fileId !== null) {
      const info = ctx.fileInfo(await ctx.metadata.getAttr(open.share.name, open.fileId), open.name);
      attrs = new SmbWriter(52)
        .u64(info.creationTime)
        .u64(info.lastAccessTime)
        .u64(info.lastWriteTime)
        .u64(info.changeTime)
        .u64(info.allocationSize)
        .u64(info.endOfFile)
        .u32(info.attributes)
        .buffer();
    }
    await conn.closeOpen(open);
    if (attrs) w.setU16(2, SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB);
    return { status: 0, body: (attrs ? w.bytes(attrs) : w.zeros(52)).buffer() };
  },
};
