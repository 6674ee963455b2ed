import { SmbReader, SmbWriter } from "../../protocol/smb2/buffer.js";
import { SMB2_LEASE_HANDLE_CACHING, SMB2_OPLOCK_LEVEL_BATCH, STATUS_INVALID_PARAMETER } from "../../protocol/smb2/constants.js";
import type { Logger } from "../../util/logger.js";
import { smbError } from "./errors.js";
import type { DurableState, Open, Session } from "./state.js";
import type { AuthContext } from "../../metadata/types.js";

/** Create context tags of durable handles (MS-SMB2 §2.2.13.2.3, .2.4, .2.11, .2.12). */
export const DURABLE_HANDLE_REQUEST = "DHnQ";
export const DURABLE_HANDLE_RECONNECT = "DHnC";
export const DURABLE_HANDLE_REQUEST_V2 = "DH2Q";
export const DURABLE_HANDLE_RECONNECT_V2 = "DH2C";
/** How long a disconnected v1 durable open waits for its client (Windows and Samba: 16 s). */
export const DURABLE_V1_TIMEOUT_MS = 16_000;
/** v2: the timeout given when the client asks for 0, and the most it gets (as Samba). */
export const DURABLE_V2_DEFAULT_TIMEOUT_MS = 60_000;
export const DURABLE_V2_MAX_TIMEOUT_MS = 300_000;
/** Disconnected opens the server keeps at once; past this a dropped connection's opens close. */
export const MAX_DISCONNECTED_OPENS = 16_384;

/** What a CREATE asks of durability: a new durable open, or the reclaim of a disconnected one. */
export interface DurableRequest {
  request: { version: 1 } | { version: 2; timeoutMs: number; createGuid: Buffer } | null;
  reconnect: { version: 1 | 2; persistentId: bigint; createGuid: Buffer | null } | null;
}

/**
 * The durable contexts of a CREATE. v1 and v2 contexts do not mix, nor a v2 request with a v2
 * reconnect (§3.3.5.9.6, §3.3.5.9.10, §3.3.5.9.12: STATUS_INVALID_PARAMETER); a v1 request beside
 * a v1 reconnect is ignored (§3.3.5.9.6).
 */
export function readDurableContexts(contexts: ReadonlyMap<string, Buffer>): DurableRequest {
  const v1 = contexts.get(DURABLE_HANDLE_REQUEST);
  const v1Reconnect = contexts.get(DURABLE_HANDLE_RECONNECT);
  const v2 = contexts.get(DURABLE_HANDLE_REQUEST_V2);
  const v2Reconnect = contexts.get(DURABLE_HANDLE_RECONNECT_V2);
  if ((v2 || v2Reconnect) && (v1 || v1Reconnect)) throw smbError(STATUS_INVALID_PARAMETER, "durable v1 and v2 create contexts together");
  if (v2 && v2Reconnect) throw smbError(STATUS_INVALID_PARAMETER, "a durable v2 request and reconnect together");
  if (v1Reconnect) {
    if (v1Reconnect.length < 16) throw smbError(STATUS_INVALID_PARAMETER, `DHnC of ${v1Reconnect.length} bytes`);
    return { request: null, reconnect: { version: 1, persistentId: v1Reconnect.readBigUInt64LE(0), createGuid: null } };
  }
  if (v2Reconnect) {
    if (v2Reconnect.length < 36) throw smbError(STATUS_INVALID_PARAMETER, `DH2C of ${v2Reconnect.length} bytes`);
    return { request: null, reconnect: { version: 2, persistentId: v2Reconnect.readBigUInt64LE(0), createGuid: Buffer.from(v2Reconnect.subarray(16, 32)) } };
  }
  if (v1) {
    if (v1.length < 16) throw smbError(STATUS_INVALID_PARAMETER, `DHnQ of ${v1.length} bytes`);
    return { request: { version: 1 }, reconnect: null };
  }
  if (v2) {
    if (v2.length < 32) throw smbError(STATUS_INVALID_PARAMETER, `DH2Q of ${v2.length} bytes`);
    const r = new SmbReader(v2);
    const asked = r.u32();
    r.skip(4 + 8); // Flags (persistent handles are not offered), Reserved
    const timeoutMs = asked === 0 ? DURABLE_V2_DEFAULT_TIMEOUT_MS : Math.min(asked, DURABLE_V2_MAX_TIMEOUT_MS);
    return { request: { version: 2, timeoutMs, createGuid: Buffer.from(r.bytes(16)) }, reconnect: null };
  }
  return { request: null, reconnect: null };
}

/**
 * Makes a new open durable when it asked and may be (§3.3.5.9.6, §3.3.5.9.10): a file with a
 * batch oplock or a lease that caches handles. Returns the response context, or null.
 */
export function grantDurable(open: Open, request: DurableRequest["request"], session: Session, auth: AuthContext): [string, Buffer] | null {
  if (!request || open.isDirectory) return null;
  const batch = open.oplock?.level === SMB2_OPLOCK_LEVEL_BATCH;
  const handleLease = open.lease !== null && (open.lease.state & SMB2_LEASE_HANDLE_CACHING) !== 0;
  if (!batch && !handleLease) return null;
  const user = session.guest || session.anonymous ? "" : session.user.toUpperCase();
  if (request.version === 1) {
    open.durable = { version: 1, timeoutMs: DURABLE_V1_TIMEOUT_MS, createGuid: Buffer.alloc(16), user, auth };
    return [DURABLE_HANDLE_REQUEST, Buffer.alloc(8)];
  }
  open.durable = { version: 2, timeoutMs: request.timeoutMs, createGuid: request.createGuid, user, auth };
  return [DURABLE_HANDLE_REQUEST_V2, new SmbWriter(8).u32(request.timeoutMs).u32(0).buffer()];
}

/** Whether a session may reclaim a durable open: the same user that opened it (§3.3.5.9.7). */
export function mayReclaim(durable: DurableState, session: Session): boolean {
  return durable.user !== "" && !session.guest && !session.anonymous && session.user.toUpperCase() === durable.user;
}

interface Held {
  open: Open;
  timer: NodeJS.Timeout;
}

/**
 * Durable opens whose connection went (MS-SMB2 §3.3.7.1): they keep their share modes,
 * byte-range locks, oplock or lease and delete on close until their client reclaims them or their
 * timeout passes; then they close for real. Nobody can acknowledge a break meanwhile, so one that
 * takes write or handle caching closes them at once (as Windows does), and the opener goes ahead.
 */
export class DisconnectedOpens {
  private readonly held = new Map<bigint, Held>();
  /** How many opens breaks have closed so far: a CREATE that broke some looks at its file again. */
  closedByBreaks = 0;

  constructor(
    private readonly closeOpen: (open: Open) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.held.size;
  }

  /** Keeps a durable open of a dropped connection; false when the table is full (the caller closes it). */
  hold(open: Open): boolean {
    if (!open.durable || this.held.size >= MAX_DISCONNECTED_OPENS || this.held.has(open.persistentId)) return false;
    open.channel = { sendBreak: () => queueMicrotask(() => this.brokenWhileAway(open)) };
    const timer = setTimeout(() => void this.expire(open), open.durable.timeoutMs);
    timer.unref();
    this.held.set(open.persistentId, { open, timer });
    // A break sent before the connection went waits for an acknowledgment that will not come.
    if ((open.oplock ?? open.lease)?.breaking) queueMicrotask(() => this.brokenWhileAway(open));
    return true;
  }

  /** The disconnected open with this persistent FileId, if any. */
  find(persistentId: bigint): Open | undefined {
    return this.held.get(persistentId)?.open;
  }

  /** Takes an open back for its reconnect: it is no longer disconnected. */
  take(open: Open): void {
    const held = this.held.get(open.persistentId);
    if (held?.open !== open) return;
    clearTimeout(held.timer);
    this.held.delete(open.persistentId);
  }

  /** The server stops: every disconnected open closes now (delete on close honoured). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.held.values()].map(({ open }) => this.expire(open)));
  }

  /**
   * A break reached a disconnected open. One that waits for an acknowledgment (write or handle
   * caching goes) would wait in vain: the open closes, and with its lease the lease's other
   * disconnected opens.
   */
  private brokenWhileAway(open: Open): void {
    const grant = open.oplock ?? open.lease;
    if (!grant?.breaking) return;
    const victims = open.lease ? [...open.lease.opens].filter((o) => this.held.get(o.persistentId)?.open === o) : [open];
    this.closedByBreaks += victims.length;
    for (const victim of victims) void this.expire(victim);
  }

  private async expire(open: Open): Promise<void> {
    const held = this.held.get(open.persistentId);
    if (held?.open !== open) return;
    clearTimeout(held.timer);
    this.held.delete(open.persistentId);
    try {
      await this.closeOpen(open);
    } catch (err) {
      this.logger.warn({ err, name: open.name }, "closing a disconnected durable open failed");
    }
  }
}
