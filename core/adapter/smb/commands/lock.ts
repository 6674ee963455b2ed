import { SmbWriter } from "../../../protocol/smb2/buffer.js";
import {
  SMB2_LOCKFLAG_EXCLUSIVE_LOCK,
  SMB2_LOCKFLAG_FAIL_IMMEDIATELY,
  SMB2_LOCKFLAG_SHARED_LOCK,
  SMB2_LOCKFLAG_UNLOCK,
  STATUS_CANCELLED,
  STATUS_INVALID_LOCK_RANGE,
  STATUS_INVALID_PARAMETER,
  STATUS_LOCK_NOT_GRANTED,
  STATUS_NOT_SUPPORTED,
  STATUS_RANGE_NOT_LOCKED,
} from "../../../protocol/smb2/constants.js";
import { ByteRangeLocks, type RangeLock } from "../byte-range-locks.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";
import { fileKey } from "../context.js";
import { smbError } from "../errors.js";

/** Lock elements in one request (Windows sends one; more is a malformed or hostile request). */
const MAX_LOCKS = 64;

interface LockElement {
  offset: bigint;
  length: bigint;
  flags: number;
}

/**
 * MS-SMB2 §2.2.26 LOCK request: LockCount, FileId, the elements (Offset, Length, Flags). §2.2.27
 * response: nothing. Unlocks (every element UNLOCK) each drop exactly one lock of the open; locks
 * (SHARED or EXCLUSIVE) are all granted or none. One lock without FAIL_IMMEDIATELY waits for the
 * conflicting locks to go, asynchronously (STATUS_PENDING) until granted, CANCELed
 * (STATUS_CANCELLED) or its handle closed (STATUS_RANGE_NOT_LOCKED) (§3.3.5.14). Windows
 * semantics: see ByteRangeLocks.
 */
export const lock: SmbCommand = {
  name: "LOCK",
  structureSize: 48,
  needsSession: true,
  needsTree: true,
  async run(call: SmbCall): Promise<SmbReply> {
    const { body, ctx, conn } = call;
    const count = body.u16();
    body.u32(); // LockSequenceNumber/Index: for resilient handles, which are not offered
    const open = conn.open(call, body.u64(), body.u64());
    if (count === 0 || count > MAX_LOCKS) throw smbError(STATUS_INVALID_PARAMETER, `${count} lock elements`);
    const elements: LockElement[] = [];
    for (let i = 0; i < count; i++) {
      const offset = body.u64();
      const length = body.u64();
      const flags = body.u32();
      body.u32();
      elements.push({ offset, length, flags });
    }
    if (!open.share || open.fileId === null) throw smbError(STATUS_NOT_SUPPORTED, "LOCK on a pipe");
    if (open.isDirectory) throw smbError(STATUS_INVALID_PARAMETER, "LOCK on a directory");
    const file = fileKey(open.share, open.fileId);
    const locks = ctx.locks;

    if (elements[0]!.flags & SMB2_LOCKFLAG_UNLOCK) {
      for (const e of elements) {
        if (e.flags !== SMB2_LOCKFLAG_UNLOCK) throw smbError(STATUS_INVALID_PARAMETER, "unlocks mixed with locks");
        if (!locks.unlock(file, open.owner, e.offset, e.length)) throw smbError(STATUS_RANGE_NOT_LOCKED, "no such lock");
      }
      return done();
    }

    const wanted = elements.map((e) => toLock(e, open.owner));
    const blocking = !(elements[0]!.flags & SMB2_LOCKFLAG_FAIL_IMMEDIATELY);
    if (count > 1 && elements.some((e) => !(e.flags & SMB2_LOCKFLAG_FAIL_IMMEDIATELY))) {
      throw smbError(STATUS_INVALID_PARAMETER, "several locks, not all FAIL_IMMEDIATELY");
    }
    // A byte-range lock changes what others may read: their read caches go (MS-FSA §2.1.5.7).
    ctx.breakReadCaches(open);
    for (;;) {
      const taken: RangeLock[] = [];
      for (const lock of wanted) {
        if (!locks.tryLock(file, lock)) break;
        taken.push(lock);
      }
      if (taken.length === wanted.length) return done();
      for (const lock of taken) locks.unlock(file, lock.owner, lock.offset, lock.length);
      if (!blocking) throw smbError(STATUS_LOCK_NOT_GRANTED, "the range is locked");
      call.goAsync();
      try {
        await locks.waitForChange(file, call.signal);
      } catch {
        throw smbError(STATUS_CANCELLED, "the lock request was cancelled");
      }
      // Closing the handle (or its tree or session) ends its waiting lock (MS-SMB2 §3.3.5.10).
      if (!conn.opens.has(open.volatileId)) throw smbError(STATUS_RANGE_NOT_LOCKED, "the handle was closed");
    }
  },
};

function toLock(e: LockElement, owner: string): RangeLock {
  const kind = e.flags & ~SMB2_LOCKFLAG_FAIL_IMMEDIATELY;
  if (kind !== SMB2_LOCKFLAG_SHARED_LOCK && kind !== SMB2_LOCKFLAG_EXCLUSIVE_LOCK) throw smbError(STATUS_INVALID_PARAMETER, `lock flags 0x${e.flags.toString(16)}`);
  if (!ByteRangeLocks.validRange(e.offset, e.length)) throw smbError(STATUS_INVALID_LOCK_RANGE, "lock range past 2^64");
  return { owner, offset: e.offset, length: e.length, exclusive: kind === SMB2_LOCKFLAG_EXCLUSIVE_LOCK };
}

function done(): SmbReply {
  return { status: 0, body: new SmbWriter(4).u16(4).u16(0).buffer() };
}
