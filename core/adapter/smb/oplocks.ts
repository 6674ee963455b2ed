import { SmbWriter } from "../../protocol/smb2/buffer.js";
import {
  SMB2_LEASE_HANDLE_CACHING as H,
  SMB2_LEASE_READ_CACHING as R,
  SMB2_LEASE_WRITE_CACHING as W,
  SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED,
  SMB2_OPLOCK_LEVEL_BATCH,
  SMB2_OPLOCK_LEVEL_EXCLUSIVE,
  SMB2_OPLOCK_LEVEL_II,
  SMB2_OPLOCK_LEVEL_NONE,
  STATUS_CANCELLED,
  STATUS_INVALID_PARAMETER,
} from "../../protocol/smb2/constants.js";
import { smbError } from "./errors.js";
import type { Open } from "./state.js";

/**
 * How long a break waits for the client's acknowledgment before the server takes it as given
 * (MS-SMB2 §3.3.2.1 and §3.3.2.5: Windows waits 35 seconds).
 */
export const BREAK_TIMEOUT_MS = 35_000;
const ALL = R | H | W;

/** Where a grant's break notifications go: the connection of the client that holds it. */
export interface BreakChannel {
  /** Sends an OPLOCK_BREAK notification body; `open`'s session seals it when that session encrypts. */
  sendBreak(body: Buffer, open: Open | null): void;
}

/** What a request that waits for breaks offers: CANCEL, and the way to tell the client it waits. */
export interface BreakWaiter {
  readonly signal: AbortSignal;
  goAsync(): void;
}

/**
 * What a client may cache of a file, as lease state bits (MS-SMB2 §2.2.13.2.8): an oplock is the
 * same thing for one open (batch is RWH, exclusive RW, level II R). A break lowers the state; one
 * that takes away write or handle caching waits for the client's acknowledgment (it must flush or
 * close first), one that takes away only read caching does not (§3.3.4.6, §3.3.4.7).
 */
export abstract class CacheGrant {
  state = 0;
  breaking = false;
  breakTo = 0;
  /** What breaks asked for while one was in progress: the next break, once it is acknowledged. */
  private wanted = ALL;
  private done: { promise: Promise<void>; resolve: () => void } | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly fileKey: string) {}

  /** Sends the break notification from `this.state` to `to`. */
  protected abstract notify(to: number, ackRequired: boolean): void;
  /** The nearest state this kind of grant can hold within `state`. */
  protected abstract valid(state: number): number;

  /**
   * Asks the client to keep no more than `keep`; resolves once it has (acknowledged, timed out or
   * closed). Null when there is nothing to wait for.
   */
  lower(keep: number): Promise<void> | null {
    if ((this.state & ~keep) === 0) return null;
    if (this.breaking) {
      if (this.breakTo & ~keep) this.wanted &= keep;
      return this.done!.promise;
    }
    const target = this.valid(this.state & keep);
    const ackRequired = (this.state & (W | H)) !== 0;
    this.notify(target, ackRequired);
    if (!ackRequired) {
      this.state = target;
      return null;
    }
    this.breaking = true;
    this.breakTo = target;
    let resolve!: () => void;
    const promise = new Promise<void>((done) => (resolve = done));
    this.done = { promise, resolve };
    this.timer = setTimeout(() => this.settle(this.breakTo), BREAK_TIMEOUT_MS);
    this.timer.unref();
    return promise;
  }

  /** The break ended (acknowledged, timed out, or the holder went): the grant is `state` now. */
  settle(state: number): void {
    this.state = state;
    this.breaking = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const done = this.done;
    this.done = null;
    const wanted = this.wanted;
    this.wanted = ALL;
    if (this.state & ~wanted) void this.lower(wanted);
    done?.resolve();
  }
}

/** An oplock of one open (MS-SMB2 §3.3.1.10: Open.OplockLevel and OplockState). */
export class OplockGrant extends CacheGrant {
  constructor(
    readonly open: Open,
    fileKey: string,
    level: number,
  ) {
    super(fileKey);
    this.state = stateOfOplock(level);
  }

  get level(): number {
    return oplockOfState(this.state);
  }

  protected valid(state: number): number {
    return state & W ? state : state & R;
  }

  /** §2.2.23.1: the level the client may keep, and the FileId. */
  protected notify(to: number): void {
    const body = new SmbWriter(24).u16(24).u8(oplockOfState(to)).u8(0).u32(0).u64(this.open.persistentId).u64(this.open.volatileId).buffer();
    this.open.channel.sendBreak(body, this.open);
  }
}

/** A client's lease on a file, shared by the opens made with its key (MS-SMB2 §3.3.1.12). */
export class Lease extends CacheGrant {
  readonly opens = new Set<Open>();
  epoch: number;

  constructor(
    readonly clientGuid: string,
    readonly key: Buffer,
    fileKey: string,
    readonly version: 1 | 2,
    readonly parentKey: Buffer | null,
    epoch: number,
  ) {
    super(fileKey);
    this.epoch = epoch;
  }

  protected valid(state: number): number {
    return state & R ? state : 0;
  }

  /** §2.2.23.2: sent on a connection of one of the lease's opens, never sealed (as Samba does). */
  protected notify(to: number, ackRequired: boolean): void {
    const open = this.opens.values().next().value;
    if (!open) return;
    if (this.version === 2) this.epoch = (this.epoch + 1) & 0xffff;
    const w = new SmbWriter(44).u16(44).u16(this.version === 2 ? this.epoch : 0).u32(ackRequired ? SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED : 0);
    w.bytes(this.key).u32(this.state).u32(to).u32(0).u32(0).u32(0);
    open.channel.sendBreak(w.buffer(), null);
  }
}

/** A lease asked for in CREATE (the RqLs create context, §2.2.13.2.8 and §2.2.13.2.10). */
export interface LeaseRequest {
  key: Buffer;
  state: number;
  version: 1 | 2;
  parentKey: Buffer | null;
  epoch: number;
}

/**
 * Every oplock and lease the server has granted, by file: what a new open, a write or another
 * protocol's access must break first, and what a new open may be granted (MS-FSA §2.1.5.17, with
 * the choices Samba and Windows make where the spec leaves room).
 */
export class CacheGrants {
  private readonly files = new Map<string, Set<CacheGrant>>();
  /** Leases by client and key: a key names one file for as long as it has opens (§3.3.5.9.8). */
  private readonly leases = new Map<string, Lease>();

  /** The lease a client holds with this key, if it names this file; a key in use for another file is STATUS_INVALID_PARAMETER. */
  leaseFor(clientGuid: string, key: Buffer, fileKey: string | null): Lease | null {
    const lease = this.leases.get(leaseId(clientGuid, key)) ?? null;
    if (lease && fileKey !== null && lease.fileKey !== fileKey) throw smbError(STATUS_INVALID_PARAMETER, "lease key in use for another file");
    return lease;
  }

  /** Whether anyone but `own` caches the file. */
  cachedByOthers(fileKey: string, own: CacheGrant | null): boolean {
    for (const grant of this.files.get(fileKey) ?? []) if (grant !== own && grant.state !== 0) return true;
    return false;
  }

  /**
   * Lowers every grant of the file but `own` to `keep` (only those that cache handles, with
   * `onlyHandles`), waiting for the acknowledgments that takes (the request goes asynchronous
   * meanwhile; CANCEL ends the wait with STATUS_CANCELLED).
   */
  async breakOthers(fileKey: string, own: CacheGrant | null, keep: number, waiter: BreakWaiter | null, onlyHandles = false): Promise<void> {
    for (;;) {
      const pending: Promise<void>[] = [];
      for (const grant of this.files.get(fileKey) ?? []) {
        if (grant === own || (onlyHandles && !(grant.state & H))) continue;
        const wait = grant.lower(keep);
        if (wait) pending.push(wait);
      }
      if (pending.length === 0) return;
      if (!waiter) {
        await Promise.all(pending);
        continue;
      }
      waiter.goAsync();
      await untilAborted(Promise.all(pending), waiter.signal);
    }
  }

  /**
   * A change of the file's data by `own`'s open (WRITE, a new size, a byte-range lock): read
   * caching goes without waiting (MS-FSA §2.1.5.3; Samba's level 2 contention), the writer's own
   * level II oplock included; its own lease stays.
   */
  breakReaders(fileKey: string, own: CacheGrant | null): void {
    if (own && own.state & W) return;
    for (const grant of this.files.get(fileKey) ?? []) {
      if (grant.state & R && !(grant.state & W) && !(grant === own && grant instanceof Lease)) void grant.lower(0);
    }
  }

  /**
   * The oplock an open gets for the level it asked (§3.3.5.9): batch or exclusive when no other
   * open uses the file's data, level II when others only read-cache it, none for a directory.
   */
  grantOplock(open: Open, fileKey: string, requested: number, othersOpen: boolean): OplockGrant | null {
    if (requested === SMB2_OPLOCK_LEVEL_NONE || open.isDirectory) return null;
    let level = requested === SMB2_OPLOCK_LEVEL_BATCH || requested === SMB2_OPLOCK_LEVEL_EXCLUSIVE ? requested : SMB2_OPLOCK_LEVEL_II;
    if (othersOpen) level = SMB2_OPLOCK_LEVEL_II;
    // A lease that caches handles and an oplock do not mix (as Windows: smbtorture's lease.oplock).
    for (const grant of this.files.get(fileKey) ?? []) if (grant.state & W || (grant instanceof Lease && grant.state & H)) return null;
    const grant = new OplockGrant(open, fileKey, level);
    this.add(grant);
    open.oplock = grant;
    return grant;
  }

  /**
   * The lease an open joins or gets (§3.3.5.9.8, §3.3.5.9.11). A new lease gets what it asks
   * that the file's other opens allow: read caching always, handle caching unless an oplock is
   * held, write caching only while the file has no open outside the lease. An existing lease
   * changes only to a state it asks that holds all it has and more, and only if all of that is
   * allowed (smbtorture's lease.upgrade2 and upgrade3 spell this out).
   */
  grantLease(open: Open, fileKey: string, clientGuid: string, request: LeaseRequest, othersOpen: boolean): Lease {
    let lease = this.leaseFor(clientGuid, request.key, fileKey);
    const asked = request.state & R ? request.state & ALL : 0;
    let allowed = ALL;
    if (othersOpen || this.othersHold(fileKey, lease, W)) allowed &= ~W;
    for (const grant of this.files.get(fileKey) ?? []) if (grant instanceof OplockGrant && grant.state !== 0) allowed &= ~H;
    if (!lease) {
      lease = new Lease(clientGuid, Buffer.from(request.key), fileKey, request.version, request.parentKey, request.epoch);
      this.leases.set(leaseId(clientGuid, request.key), lease);
      this.add(lease);
      lease.state = asked & allowed;
      if (lease.state !== 0 && lease.version === 2) lease.epoch = (lease.epoch + 1) & 0xffff;
    } else if (!lease.breaking && (asked & ~lease.state) !== 0 && (asked & lease.state) === lease.state && (asked & ~allowed) === 0) {
      lease.state = asked;
      if (lease.version === 2) lease.epoch = (lease.epoch + 1) & 0xffff;
    }
    lease.opens.add(open);
    open.lease = lease;
    return lease;
  }

  /** An open closed: its oplock goes, and its lease with its last open. */
  release(open: Open): void {
    if (open.oplock) {
      this.remove(open.oplock);
      open.oplock.settle(0);
      open.oplock = null;
    }
    const lease = open.lease;
    if (lease) {
      open.lease = null;
      lease.opens.delete(open);
      if (lease.opens.size === 0) {
        this.remove(lease);
        this.leases.delete(leaseId(lease.clientGuid, lease.key));
        lease.settle(0);
      }
    }
  }

  private othersHold(fileKey: string, own: CacheGrant | null, bits: number): boolean {
    for (const grant of this.files.get(fileKey) ?? []) if (grant !== own && grant.state & bits) return true;
    return false;
  }

  private add(grant: CacheGrant): void {
    let grants = this.files.get(grant.fileKey);
    if (!grants) this.files.set(grant.fileKey, (grants = new Set()));
    grants.add(grant);
  }

  private remove(grant: CacheGrant): void {
    const grants = this.files.get(grant.fileKey);
    grants?.delete(grant);
    if (grants?.size === 0) this.files.delete(grant.fileKey);
  }
}

export function stateOfOplock(level: number): number {
  if (level === SMB2_OPLOCK_LEVEL_BATCH) return R | W | H;
  if (level === SMB2_OPLOCK_LEVEL_EXCLUSIVE) return R | W;
  return level === SMB2_OPLOCK_LEVEL_II ? R : 0;
}

export function oplockOfState(state: number): number {
  if (state & W) return state & H ? SMB2_OPLOCK_LEVEL_BATCH : SMB2_OPLOCK_LEVEL_EXCLUSIVE;
  return state & R ? SMB2_OPLOCK_LEVEL_II : SMB2_OPLOCK_LEVEL_NONE;
}

function leaseId(clientGuid: string, key: Buffer): string {
  return `${clientGuid}:${key.toString("hex")}`;
}

function untilAborted(work: Promise<unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(smbError(STATUS_CANCELLED, "cancelled while waiting for an oplock break"));
    const onAbort = () => reject(smbError(STATUS_CANCELLED, "cancelled while waiting for an oplock break"));
    signal.addEventListener("abort", onAbort, { once: true });
    void work.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}
