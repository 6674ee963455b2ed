import { SmbWriter } from "../../../protocol/smb2/buffer.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";

/**
 * MS-SMB2 §2.2.17 FLUSH: makes the file's data and metadata durable, as NFS COMMIT does (the
 * write-back cache reaches the store, the metadata store syncs).
 */
export const flush: SmbCommand = {
  name: "FLUSH",
  structureSize: 24,
  needsSession: true,
  needsTree: true,
  async run(call: SmbCall): Promise<SmbReply> {
    const { body, ctx, conn } = call;
    body.skip(6);
    const open = conn.open(call, body.u64(), body.u64());
    if (open.share && open.fileId !== null && !open.isDirectory) {
      const attr = await ctx.metadata.getAttr(open.share.name, open.fileId);
      if (attr.contentId !== null) await ctx.content.commit(open.share.name, attr.contentId);
      await ctx.metadata.sync(open.share.name);
    }
    return { status: 0, body: new SmbWriter(4).u16(4).u16(0).buffer() };
  },
};
