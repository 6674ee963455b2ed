import { SmbWriter } from "../../../protocol/smb2/buffer.js";
import {
  SMB2_LEASE_HANDLE_CACHING,
  SMB2_LEASE_READ_CACHING,
  SMB2_LEASE_WRITE_CACHING,
  SMB2_OPLOCK_LEVEL_II,
  SMB2_OPLOCK_LEVEL_LEASE,
  SMB2_OPLOCK_LEVEL_NONE,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_OPLOCK_PROTOCOL,
  STATUS_INVALID_PARAMETER,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_REQUEST_NOT_ACCEPTED,
  STATUS_UNSUCCESSFUL,
} from "../../../protocol/smb2/constants.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";
import { smbError } from "../errors.js";
import { oplockOfState, stateOfOplock } from "../oplocks.js";

const OPLOCK_ACKNOWLEDGMENT = 24;
const LEASE_ACKNOWLEDGMENT = 36;

/**
 * MS-SMB2 §2.2.24 OPLOCK_BREAK acknowledgment, in its two forms: an oplock's (§2.2.24.1: the
 * level the client kept, FileId) and a lease's (§2.2.24.2: LeaseKey, the state it kept). The break
 * it answers ends (§3.3.5.22); the response repeats what the server now holds (§2.2.25).
 */
export const oplockBreak: SmbCommand = {
  name: "OPLOCK_BREAK",
  structureSize: [OPLOCK_ACKNOWLEDGMENT, LEASE_ACKNOWLEDGMENT],
  needsSession: true,
  needsTree: true,
  run(call: SmbCall): SmbReply {
    return call.message.readUInt16LE(64) === OPLOCK_ACKNOWLEDGMENT ? acknowledgeOplock(call) : acknowledgeLease(call);
  },
};

/** §3.3.5.22.1: the open's oplock was breaking; it keeps the level acknowledged, if no more than the break allowed. */
function acknowledgeOplock(call: SmbCall): SmbReply {
  const { body, conn } = call;
  const level = body.u8();
  body.skip(1 + 4);
  const persistentId = body.u64();
  const volatileId = body.u64();
  const open = conn.open(call, persistentId, volatileId);
  const grant = open.oplock;
  if (!grant?.breaking) throw smbError(STATUS_INVALID_DEVICE_STATE, "no oplock break in progress on this open");
  if (level === SMB2_OPLOCK_LEVEL_LEASE) {
    grant.settle(0);
    throw smbError(STATUS_INVALID_PARAMETER, "a lease level acknowledging an oplock break");
  }
  const kept = level === SMB2_OPLOCK_LEVEL_II || level === SMB2_OPLOCK_LEVEL_NONE ? stateOfOplock(level) : -1;
  if (kept === -1 || (kept & ~grant.breakTo) !== 0) {
    grant.settle(0);
    throw smbError(STATUS_INVALID_OPLOCK_PROTOCOL, `oplock level ${level} is more than the break allows`);
  }
  grant.settle(kept);
  const w = new SmbWriter(24).u16(24).u8(oplockOfState(grant.state)).u8(0).u32(0).u64(persistentId).u64(volatileId);
  return { status: 0, body: w.buffer() };
}

/** §3.3.5.22.2: the client's lease with this key was breaking; it keeps the state acknowledged, if within the break. */
function acknowledgeLease(call: SmbCall): SmbReply {
  const { body, ctx, conn } = call;
  body.skip(2 + 4); // Reserved, Flags
  const key = body.bytes(16);
  const state = body.u32() & (SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING | SMB2_LEASE_WRITE_CACHING);
  const lease = ctx.grants.leaseFor(conn.negotiated!.clientGuid.toString("hex"), key, null);
  if (!lease) throw smbError(STATUS_OBJECT_NAME_NOT_FOUND, "no lease with this key");
  if (!lease.breaking) throw smbError(STATUS_UNSUCCESSFUL, "no lease break in progress");
  if ((state & ~lease.breakTo) !== 0) throw smbError(STATUS_REQUEST_NOT_ACCEPTED, `lease state ${state} is more than the break allows`);
  lease.settle(state);
  const w = new SmbWriter(36).u16(36).u16(0).u32(0).bytes(key).u32(state).u64(0n);
  return { status: 0, body: w.buffer() };
}
