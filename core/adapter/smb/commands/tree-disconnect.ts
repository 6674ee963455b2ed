import { SmbWriter } from "../../../protocol/smb2/buffer.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";

/** MS-SMB2 §2.2.11 TREE_DISCONNECT: the tree's opens close (§3.3.5.8). */
export const treeDisconnect: SmbCommand = {
  name: "TREE_DISCONNECT",
  structureSize: 4,
  needsSession: true,
  needsTree: true,
  async run(call: SmbCall): Promise<SmbReply> {
    await call.conn.endTree(call.session!, call.tree!);
    return { status: 0, body: new SmbWriter(4).u16(4).u16(0).buffer() };
  },
};
