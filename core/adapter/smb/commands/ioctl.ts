import { SmbReader, SmbWriter } from "../../../protocol/smb2/buffer.js";
import {
  COMPRESSION_FORMAT_NONE,
  FSCTL_CREATE_OR_GET_OBJECT_ID,
  FSCTL_DFS_GET_REFERRALS,
  FSCTL_GET_COMPRESSION,
  FSCTL_PIPE_TRANSCEIVE,
  FSCTL_QUERY_NETWORK_INTERFACE_INFO,
  FSCTL_SET_COMPRESSION,
  FSCTL_SRV_COPYCHUNK,
  FSCTL_SRV_COPYCHUNK_WRITE,
  FSCTL_SRV_REQUEST_RESUME_KEY,
  FSCTL_VALIDATE_NEGOTIATE_INFO,
  SMB2_0_IOCTL_IS_FSCTL,
  SMB2_DIALECT_311,
  SMB2_HEADER_SIZE,
  STATUS_BUFFER_OVERFLOW,
  STATUS_FS_DRIVER_REQUIRED,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_SUPPORTED,
} from "../../../protocol/smb2/constants.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";
import { MAX_IO_BYTES } from "../context.js";
import { smbError } from "../errors.js";
import { SmbFramingError } from "../framing.js";
import { objectIdBuffer } from "../object-id.js";
import type { Open } from "../state.js";
import { requireCredits } from "./credit-charge.js";
import { copyChunks, requestResumeKey } from "./ioctl-copychunk.js";

/** The FileId of an IOCTL that names no file (MS-SMB2 §2.2.31). */
const NO_FILE = 0xffff_ffff_ffff_ffffn;

/**
 * MS-SMB2 §2.2.31 IOCTL request: CtlCode, FileId, input, MaxOutputResponse, Flags. §2.2.32
 * response: the output. FSCTL_VALIDATE_NEGOTIATE_INFO checks that NEGOTIATE was not tampered
 * with (a mismatch ends the connection, §3.3.5.15.12); FSCTL_PIPE_TRANSCEIVE runs one pipe
 * request; DFS referrals get STATUS_FS_DRIVER_REQUIRED (no DFS here); FSCTL_CREATE_OR_GET_OBJECT_ID
 * answers an id derived from the file id; files are never compressed
 * (GET says so, SET takes only "none", as Windows Server 2016 on a volume without compression);
 * SRV_REQUEST_RESUME_KEY and SRV_COPYCHUNK[_WRITE] copy within the server (ioctl-copychunk.ts);
 * other FSCTLs on a file that is open get STATUS_INVALID_DEVICE_REQUEST, and non-FSCTL IOCTLs
 * STATUS_NOT_SUPPORTED.
 */
export const ioctl: SmbCommand = {
  name: "IOCTL",
  structureSize: 57,
  needsSession: true,
  needsTree: true,
  run(call: SmbCall): Promise<SmbReply> | SmbReply {
    const { body, conn } = call;
    body.skip(2);
    const ctlCode = body.u32();
    const persistentId = body.u64();
    const volatileId = body.u64();
    const inputOffset = body.u32();
    const inputCount = body.u32();
    body.skip(4 + 4 + 4); // MaxInputResponse, OutputOffset, OutputCount
    const maxOutput = body.u32();
    const flags = body.u32();
    if (inputCount > MAX_IO_BYTES || maxOutput > MAX_IO_BYTES) throw smbError(STATUS_INVALID_PARAMETER, "IOCTL buffers larger than the transaction size");
    requireCredits(call, Math.max(inputCount, maxOutput));
    const input = body.blob(inputOffset, inputCount, SMB2_HEADER_SIZE + 56);
    if (!(flags & SMB2_0_IOCTL_IS_FSCTL)) throw smbError(STATUS_NOT_SUPPORTED, `IOCTL 0x${ctlCode.toString(16)}`);
    switch (ctlCode) {
      case FSCTL_VALIDATE_NEGOTIATE_INFO:
        return answer(ctlCode, NO_FILE, NO_FILE, 0, validateNegotiate(call, input));
      case FSCTL_PIPE_TRANSCEIVE: {
        const open = conn.open(call, persistentId, volatileId);
        if (!open.pipe) throw smbError(STATUS_INVALID_DEVICE_REQUEST, "FSCTL_PIPE_TRANSCEIVE on a file");
        const { data, more } = open.pipe.transceive(input, maxOutput);
        return answer(ctlCode, persistentId, volatileId, more ? STATUS_BUFFER_OVERFLOW : 0, data);
      }
      case FSCTL_DFS_GET_REFERRALS:
        throw smbError(STATUS_FS_DRIVER_REQUIRED, "no DFS on this server");
      case FSCTL_CREATE_OR_GET_OBJECT_ID: {
        const open = fileOpen(call, persistentId, volatileId);
        return answer(ctlCode, persistentId, volatileId, 0, objectIdBuffer(open.share!.name, open.fileId!));
      }
      case FSCTL_GET_COMPRESSION:
        fileOpen(call, persistentId, volatileId);
        return answer(ctlCode, persistentId, volatileId, 0, new SmbWriter(2).u16(COMPRESSION_FORMAT_NONE).buffer());
      case FSCTL_SET_COMPRESSION: {
        fileOpen(call, persistentId, volatileId);
        if (input.length < 2) throw smbError(STATUS_INVALID_PARAMETER, "FSCTL_SET_COMPRESSION without a CompressionState");
        if (input.readUInt16LE(0) !== COMPRESSION_FORMAT_NONE) throw smbError(STATUS_NOT_SUPPORTED, "files are not compressed here");
        return answer(ctlCode, persistentId, volatileId, 0, Buffer.alloc(0));
      }
      case FSCTL_SRV_REQUEST_RESUME_KEY: {
        const open = fileOpen(call, persistentId, volatileId);
        return answer(ctlCode, persistentId, volatileId, 0, requestResumeKey(call, open, maxOutput));
      }
      case FSCTL_SRV_COPYCHUNK:
      case FSCTL_SRV_COPYCHUNK_WRITE: {
        const dest = fileOpen(call, persistentId, volatileId);
        return copyChunks(call, dest, ctlCode, input, maxOutput).then(({ status, output }) => answer(ctlCode, persistentId, volatileId, status, output));
      }
      default:
        // Every other FSCTL but the interface query names an open first (MS-SMB2 §3.3.5.15): a
        // closed one is STATUS_FILE_CLOSED.
        if (ctlCode !== FSCTL_QUERY_NETWORK_INTERFACE_INFO) conn.open(call, persistentId, volatileId);
        throw smbError(STATUS_INVALID_DEVICE_REQUEST, `FSCTL 0x${ctlCode.toString(16)}`);
    }
  },
};

/** The file (not pipe) an FSCTL names. */
function fileOpen(call: SmbCall, persistentId: bigint, volatileId: bigint): Open {
  const open = call.conn.open(call, persistentId, volatileId);
  if (open.pipe) throw smbError(STATUS_INVALID_DEVICE_REQUEST, "a file FSCTL on a pipe");
  return open;
}

/** VALIDATE_NEGOTIATE_INFO (§2.2.31.4, §2.2.32.6): the client's view of NEGOTIATE must be what the server saw. */
function validateNegotiate(call: SmbCall, input: Buffer): Buffer {
  const negotiated = call.conn.negotiated!;
  // 3.1.1 protects NEGOTIATE with the preauth hash; the request has no place there (§3.3.5.15.12).
  if (negotiated.dialect === SMB2_DIALECT_311) throw new SmbFramingError("VALIDATE_NEGOTIATE_INFO on an SMB 3.1.1 connection");
  const r = new SmbReader(input);
  const capabilities = r.u32();
  const guid = r.bytes(16);
  const securityMode = r.u16();
  const count = r.u16();
  const dialects: number[] = [];
  for (let i = 0; i < count; i++) dialects.push(r.u16());
  const same =
    capabilities === negotiated.clientCapabilities &&
    guid.equals(negotiated.clientGuid) &&
    securityMode === negotiated.clientSecurityMode &&
    dialects.length === negotiated.clientDialects.length &&
    dialects.every((d, i) => d === negotiated.clientDialects[i]);
  if (!same) throw new SmbFramingError("VALIDATE_NEGOTIATE_INFO does not match NEGOTIATE");
  return new SmbWriter(24).u32(negotiated.capabilities).bytes(call.ctx.serverGuid).u16(negotiated.serverSecurityMode).u16(negotiated.dialect).buffer();
}

function answer(ctlCode: number, persistentId: bigint, volatileId: bigint, status: number, output: Buffer): SmbReply {
  const w = new SmbWriter(48 + output.length);
  w.u16(49).u16(0).u32(ctlCode).u64(persistentId).u64(volatileId);
  w.u32(SMB2_HEADER_SIZE + 48).u32(0).u32(SMB2_HEADER_SIZE + 48).u32(output.length).u32(0).u32(0);
  w.bytes(output);
  return { status, body: w.buffer() };
}
