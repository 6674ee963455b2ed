import { SmbDecodeError } from "./buffer.js";
import { SMB2_FLAGS_ASYNC_COMMAND, SMB2_FLAGS_SERVER_TO_REDIR, SMB2_HEADER_SIZE, SMB2_PROTOCOL_ID } from "./constants.js";

/** The SMB2 packet header, sync or async form (MS-SMB2 §2.2.1.1, §2.2.1.2). */
export interface Smb2Header {
  creditCharge: number;
  /** Status in a response; ChannelSequence (low 16 bits) in a request. */
  status: number;
  command: number;
  /** CreditRequest in a request, CreditResponse in a response. */
  credits: number;
  flags: number;
  nextCommand: number;
  messageId: bigint;
  /** Sync header: the tree; 0 in the async form. */
  treeId: number;
  /** Async header: the AsyncId; 0n in the sync form. */
  asyncId: bigint;
  sessionId: bigint;
  signature: Buffer;
}

/** Where the header fields the signing and compounding code patch live. */
export const HEADER_STATUS_AT = 8;
export const HEADER_FLAGS_AT = 16;
export const HEADER_NEXT_COMMAND_AT = 20;
export const HEADER_SIGNATURE_AT = 48;

/** Decodes the 64-byte header at the start of `message`; SmbDecodeError when it is not one. */
export function decodeHeader(message: Buffer): Smb2Header {
  if (message.length < SMB2_HEADER_SIZE) throw new SmbDecodeError(`SMB2 message of ${message.length} bytes, shorter than a header`);
  if (message.readUInt32LE(0) !== SMB2_PROTOCOL_ID) throw new SmbDecodeError("not an SMB2 message");
  if (message.readUInt16LE(4) !== SMB2_HEADER_SIZE) throw new SmbDecodeError(`SMB2 header StructureSize ${message.readUInt16LE(4)}`);
  const flags = message.readUInt32LE(16);
  const async = (flags & SMB2_FLAGS_ASYNC_COMMAND) !== 0;
  return {
    creditCharge: message.readUInt16LE(6),
    status: message.readUInt32LE(8),
    command: message.readUInt16LE(12),
    credits: message.readUInt16LE(14),
    flags,
    nextCommand: message.readUInt32LE(20),
    messageId: message.readBigUInt64LE(24),
    treeId: async ? 0 : message.readUInt32LE(36),
    asyncId: async ? message.readBigUInt64LE(32) : 0n,
    sessionId: message.readBigUInt64LE(40),
    signature: message.subarray(48, 64),
  };
}

export interface ResponseHeader {
  command: number;
  status: number;
  creditCharge: number;
  credits: number;
  flags: number;
  messageId: bigint;
  treeId: number;
  sessionId: bigint;
  /** Set for an async (interim or final) response. */
  asyncId?: bigint;
}

/** Writes a response header into the first 64 bytes of `into` (signature zeroed). */
export function writeResponseHeader(into: Buffer, header: ResponseHeader): void {
  into.writeUInt32LE(SMB2_PROTOCOL_ID, 0);
  into.writeUInt16LE(SMB2_HEADER_SIZE, 4);
  into.writeUInt16LE(header.creditCharge, 6);
  into.writeUInt32LE(header.status >>> 0, 8);
  into.writeUInt16LE(header.command, 12);
  into.writeUInt16LE(header.credits, 14);
  const async = header.asyncId !== undefined;
  into.writeUInt32LE((header.flags | SMB2_FLAGS_SERVER_TO_REDIR | (async ? SMB2_FLAGS_ASYNC_COMMAND : 0)) >>> 0, 16);
  into.writeUInt32LE(0, 20);
  into.writeBigUInt64LE(header.messageId, 24);
  if (async) {
    into.writeBigUInt64LE(header.asyncId!, 32);
  } else {
    into.writeUInt32LE(0, 32);
    into.writeUInt32LE(header.treeId >>> 0, 36);
  }
  into.writeBigUInt64LE(header.sessionId, 40);
  into.fill(0, 48, 64);
}
