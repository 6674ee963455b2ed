import { SMB2_DIALECT_202, STATUS_INVALID_PARAMETER } from "../../../protocol/smb2/constants.js";
import type { SmbCall } from "../command.js";
import { smbError } from "../errors.js";

/** Bytes one credit covers (MS-SMB2 §3.3.5.2.5). */
const CREDIT_BYTES = 65536;

/** A multi-credit request (READ, WRITE, IOCTL, QUERY_DIRECTORY) must be charged for its payload (§3.3.5.2.5). */
export function requireCredits(call: SmbCall, payloadBytes: number): void {
  if (call.conn.negotiated!.dialect === SMB2_DIALECT_202) return;
  const needed = Math.max(1, Math.ceil(payloadBytes / CREDIT_BYTES));
  if (Math.max(1, call.header.creditCharge) < needed) {
    throw smbError(STATUS_INVALID_PARAMETER, `CreditCharge ${call.header.creditCharge} for ${payloadBytes} bytes`);
  }
}
