import { XdrError, type XdrReader } from "../xdr/reader.js";
import { XdrWriter } from "../xdr/writer.js";
import { decodeAuthSys, encodeAuthSys } from "./auth.js";
import {
  AUTH_BADCRED,
  AUTH_BADVERF,
  CALL,
  MAX_AUTH_BYTES,
  RPC_VERSION,
} from "./constants.js";
import { AUTH_NONE, AUTH_SYS, type AuthSysCredential, type RpcCredential } from "./types.js";

/** A call header that decoded and authenticated; the reader now points at the arguments. */
export interface CallHeader {
  kind: "call";
  xid: number;
  prog: number;
  vers: number;
  proc: number;
  cred: RpcCredential;
}

/** rpcvers was not 2: answer MSG_DENIED / RPC_MISMATCH. */
export interface RpcVersionMismatch {
  kind: "rpc-mismatch";
  xid: number;
}

/** The credential or verifier is malformed: answer MSG_DENIED / AUTH_ERROR with `authStat`. */
export interface AuthFailure {
  kind: "auth-error";
  xid: number;
  authStat: number;
}

export type DecodedCall = CallHeader | RpcVersionMismatch | AuthFailure;

/**
 * Decodes the call header of one RPC record (RFC 5531 §9, rpc_msg with a call_body), leaving
 * `r` at the procedure arguments. A header that can be answered — wrong rpcvers, bad
 * credential — comes back as a rejection to send. Anything that is not even a call header
 * (a REPLY or unknown msg_type, a record cut short inside the header) throws XdrError: there is
 * nothing sensible to answer, so the transport drops the connection.
 */
export function decodeCall(r: XdrReader): DecodedCall {
  const xid = r.u32();
  const msgType = r.u32();
  if (msgType !== CALL) throw new XdrError(`not an RPC call: msg_type ${msgType}`);
  if (r.u32() !== RPC_VERSION) return { kind: "rpc-mismatch", xid };
  const prog = r.u32();
  const vers = r.u32();
  const proc = r.u32();

  const credFlavor = r.u32();
  const credLength = r.u32();
  if (credLength > MAX_AUTH_BYTES) return { kind: "auth-error", xid, authStat: AUTH_BADCRED };
  const credBody = r.opaqueFixed(credLength);

  // The verifier of AUTH_NONE and AUTH_SYS calls carries nothing we check; only its size is
  // bounded by the spec.
  r.u32();
  const verfLength = r.u32();
  if (verfLength > MAX_AUTH_BYTES) return { kind: "auth-error", xid, authStat: AUTH_BADVERF };
  r.opaqueFixed(verfLength);

  let sys: AuthSysCredential | null = null;
  if (credFlavor === AUTH_SYS) {
    sys = decodeAuthSys(credBody);
    if (!sys) return { kind: "auth-error", xid, authStat: AUTH_BADCRED };
  }
  // AUTH_NONE bodies are undefined by the spec (RFC 5531 §10.1), so any body is accepted.
  return { kind: "call", xid, prog, vers, proc, cred: { flavor: credFlavor, sys } };
}

export interface CallToEncode {
  xid: number;
  prog: number;
  vers: number;
  proc: number;
  /** AUTH_SYS credential, or null for AUTH_NONE. */
  sys: AuthSysCredential | null;
}

/**
 * Encodes a call header (for clients and tests); the caller appends the arguments. The
 * AUTH_SYS body is sized in a scratch writer first because opaque_auth is length-prefixed.
 */
export function encodeCall(w: XdrWriter, call: CallToEncode): XdrWriter {
  w.u32(call.xid).u32(CALL).u32(RPC_VERSION).u32(call.prog).u32(call.vers).u32(call.proc);
  if (call.sys) {
    w.u32(AUTH_SYS).opaqueVar(encodeAuthSys(new XdrWriter(128), call.sys).toBuffer());
  } else {
    w.u32(AUTH_NONE).u32(0);
  }
  return w.u32(AUTH_NONE).u32(0);
}
