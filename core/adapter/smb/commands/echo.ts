import { SmbWriter } from "../../../protocol/smb2/buffer.js";
import type { SmbCommand, SmbReply } from "../command.js";

/** MS-SMB2 §2.2.28 ECHO: a keep-alive; needs no session. */
export const echo: SmbCommand = {
  name: "ECHO",
  structureSize: 4,
  needsSession: false,
  needsTree: false,
  run(): SmbReply {
    return { status: 0, body: new SmbWriter(4).u16(4).u16(0).buffer() };
  },
};
