import { SMB2_FLAGS_SIGNED } from "../../protocol/smb2/constants.js";
import { HEADER_FLAGS_AT, HEADER_NEXT_COMMAND_AT, HEADER_SIGNATURE_AT } from "../../protocol/smb2/header.js";
import type { Session } from "./state.js";

/** A response and the session whose key signs it (kept here: LOGOFF may have ended the session meanwhile). */
export interface Response {
  bytes: Buffer;
  signer: Session | null;
}

/**
 * The message that carries a chain of responses (MS-SMB2 §3.3.4.1.3): each but the last padded
 * to 8 bytes and linked by NextCommand, each signed over its own bytes when its header says
 * SIGNED, and the whole sealed in a TRANSFORM_HEADER for a session that encrypts.
 */
export function assembleChain(responses: readonly Response[], sealFor: Session | null): Buffer[] {
  const parts = responses.map(({ bytes, signer }, i) => {
    let part = bytes;
    if (i < responses.length - 1) {
      if (part.length % 8 !== 0) part = Buffer.concat([part, Buffer.alloc(8 - (part.length % 8))]);
      part.writeUInt32LE(part.length, HEADER_NEXT_COMMAND_AT);
    }
    signIfNeeded(part, signer);
    return part;
  });
  if (sealFor?.keys?.encrypt) return [sealFor.keys.encrypt(parts.length === 1 ? parts[0]! : Buffer.concat(parts))];
  return parts;
}

/** Signs a response whose header says SIGNED with its session's key (no key: the flag goes). */
function signIfNeeded(part: Buffer, signer: Session | null): void {
  if ((part.readUInt32LE(HEADER_FLAGS_AT) & SMB2_FLAGS_SIGNED) === 0) return;
  if (!signer?.keys) {
    part.writeUInt32LE(part.readUInt32LE(HEADER_FLAGS_AT) & ~SMB2_FLAGS_SIGNED, HEADER_FLAGS_AT);
    return;
  }
  part.fill(0, HEADER_SIGNATURE_AT, HEADER_SIGNATURE_AT + 16);
  signer.keys.sign(part);
}
