import { XdrError, type XdrReader } from "../xdr/reader.js";
import type { XdrWriter } from "../xdr/writer.js";
import {
  AUTH_ERROR,
  GARBAGE_ARGS,
  MAX_AUTH_BYTES,
  MSG_ACCEPTED,
  MSG_DENIED,
  PROC_UNAVAIL,
  PROG_MISMATCH,
  PROG_UNAVAIL,
  REPLY,
  RPC_MISMATCH,
  RPC_VERSION,
  SUCCESS,
  SYSTEM_ERR,
} from "./constants.js";
import { AUTH_NONE } from "./types.js";

/**
 * Reply encoders (RFC 5531 §9, reply_body). Accepted replies carry an AUTH_NONE verifier: we
 * offer no server authentication.
 */

function acceptedHeader(w: XdrWriter, xid: number, acceptStat: number): XdrWriter {
  return w.u32(xid).u32(REPLY).u32(MSG_ACCEPTED).u32(AUTH_NONE).u32(0).u32(acceptStat);
}

/** The accepted SUCCESS header; the procedure's results follow it. */
export function encodeSuccessHeader(w: XdrWriter, xid: number): XdrWriter {
  return acceptedHeader(w, xid, SUCCESS);
}

/** The program is not served here. */
export function encodeProgUnavail(w: XdrWriter, xid: number): XdrWriter {
  return acceptedHeader(w, xid, PROG_UNAVAIL);
}

/** The program is served, but not in the requested version: `low`..`high` are. */
export function encodeProgMismatch(w: XdrWriter, xid: number, low: number, high: number): XdrWriter {
  return acceptedHeader(w, xid, PROG_MISMATCH).u32(low).u32(high);
}

export function encodeProcUnavail(w: XdrWriter, xid: number): XdrWriter {
  return acceptedHeader(w, xid, PROC_UNAVAIL);
}

/** The procedure's arguments could not be decoded. */
export function encodeGarbageArgs(w: XdrWriter, xid: number): XdrWriter {
  return acceptedHeader(w, xid, GARBAGE_ARGS);
}

/** The server failed while running the procedure. */
export function encodeSystemErr(w: XdrWriter, xid: number): XdrWriter {
  return acceptedHeader(w, xid, SYSTEM_ERR);
}

/** Denied: only RPC version 2 is spoken. */
export function encodeRpcMismatch(w: XdrWriter, xid: number): XdrWriter {
  return w.u32(xid).u32(REPLY).u32(MSG_DENIED).u32(RPC_MISMATCH).u32(RPC_VERSION).u32(RPC_VERSION);
}

/** Denied: the credential was refused, for the reason `authStat` (AUTH_BADCRED, AUTH_TOOWEAK…). */
export function encodeAuthError(w: XdrWriter, xid: number, authStat: number): XdrWriter {
  return w.u32(xid).u32(REPLY).u32(MSG_DENIED).u32(AUTH_ERROR).u32(authStat);
}

export interface VersionRange {
  low: number;
  high: number;
}

/** A decoded reply header, as a client sees it. After SUCCESS the reader points at the results. */
export type ReplyHeader =
  | { xid: number; status: "accepted"; acceptStat: number; mismatch: VersionRange | null }
  | { xid: number; status: "denied"; rejectStat: number; mismatch: VersionRange | null; authStat: number | null };

/** Decodes a reply header (for clients and tests); throws XdrError on anything malformed. */
export function decodeReply(r: XdrReader): ReplyHeader {
  const xid = r.u32();
  const msgType = r.u32();
  if (msgType !== REPLY) throw new XdrError(`not an RPC reply: msg_type ${msgType}`);
  const replyStat = r.u32();
  if (replyStat === MSG_ACCEPTED) {
    r.u32(); // verifier flavor
    r.opaqueVar(MAX_AUTH_BYTES);
    const acceptStat = r.u32();
    const mismatch = acceptStat === PROG_MISMATCH ? { low: r.u32(), high: r.u32() } : null;
    return { xid, status: "accepted", acceptStat, mismatch };
  }
  if (replyStat !== MSG_DENIED) throw new XdrError(`invalid reply_stat ${replyStat}`);
  const rejectStat = r.u32();
  if (rejectStat === RPC_MISMATCH) {
    return { xid, status: "denied", rejectStat, mismatch: { low: r.u32(), high: r.u32() }, authStat: null };
  }
  if (rejectStat === AUTH_ERROR) return { xid, status: "denied", rejectStat, mismatch: null, authStat: r.u32() };
  throw new XdrError(`invalid reject_stat ${rejectStat}`);
}
