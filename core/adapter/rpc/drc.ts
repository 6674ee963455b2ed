import { createHash } from "node:crypto";
import type { RpcCall } from "../../protocol/rpc/types.js";

/**
 * Replies larger than this are not kept: those of non-idempotent NFS procedures take at most a
 * few hundred bytes, so the cache holds at most capacity × 1 KiB of replies.
 */
const MAX_CACHED_REPLY_BYTES = 1024;

/** What the cache knows of a call: nothing, that it is still running, or its reply. */
export type DrcLookup = { state: "new"; key: string } | { state: "in-progress" } | { state: "done"; reply: Buffer };

/**
 * The duplicate request cache (as knfsd and ganesha keep one): replies of non-idempotent calls,
 * keyed by client address, xid, program, version, procedure, credential and a hash of the
 * arguments, so that a retransmission (on the same connection or a new one from the same
 * address) gets the reply of the call that already ran instead of running it again: a REMOVE
 * resent after a lost reply is answered OK, not NOENT. Bounded: the oldest entries go first.
 */
export class DuplicateRequestCache {
  /** key → the framed reply, or null while the call runs. In insertion order, oldest first. */
  private readonly entries = new Map<string, Buffer | null>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** Looks `call` up; a "new" call is recorded as running under the returned key. */
  begin(call: RpcCall, args: Buffer): DrcLookup {
    const key = keyOf(call, args);
    const entry = this.entries.get(key);
    if (entry === null) return { state: "in-progress" };
    if (entry !== undefined) return { state: "done", reply: entry };
    this.entries.set(key, null);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return { state: "new", key };
  }

  /** The call under `key` replied `reply` (a complete record, mark included). */
  complete(key: string, reply: Buffer): void {
    // An entry evicted while its call ran is not brought back.
    if (!this.entries.has(key)) return;
    if (reply.length > MAX_CACHED_REPLY_BYTES) this.entries.delete(key);
    else this.entries.set(key, reply);
  }

  /** The call under `key` got no reply worth repeating (it failed in the server): run a resend again. */
  forget(key: string): void {
    this.entries.delete(key);
  }
}

function keyOf(call: RpcCall, args: Buffer): string {
  const sys = call.cred.sys;
  const who = sys ? `${call.cred.flavor}:${sys.uid}:${sys.gid}` : `${call.cred.flavor}`;
  const digest = createHash("sha1").update(args).digest("base64");
  return `${call.remoteAddress}|${call.xid}|${call.prog}|${call.vers}|${call.proc}|${who}|${digest}`;
}
