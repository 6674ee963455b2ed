import { SmbWriter } from "../../../protocol/smb2/buffer.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";

/**
 * MS-SMB2 §2.2.7 LOGOFF: ends the session; its opens close and its trees go (§3.3.5.6). Durable
 * opens are kept for a new session to reclaim, as Windows and Samba keep them (smbtorture's
 * durable-open.reopen4).
 */
export const logoff: SmbCommand = {
  name: "LOGOFF",
  structureSize: 4,
  needsSession: true,
  needsTree: false,
  async run(call: SmbCall): Promise<SmbReply> {
    const session = call.session!;
    await call.conn.endSession(session, true);
    // The response is still signed with the session's key, though it is gone from the table.
    return { status: 0, body: new SmbWriter(4).u16(4).u16(0).buffer(), session };
  },
};
