import type { XdrReader } from "../xdr/reader.js";
import type { XdrWriter } from "../xdr/writer.js";

/** ONC RPC v2 (RFC 5531) types shared by the codec, the TCP transport and program handlers. */

export const AUTH_NONE = 0;
export const AUTH_SYS = 1;

export interface AuthSysCredential {
  stamp: number;
  machineName: string;
  uid: number;
  gid: number;
  gids: number[];
}

export interface RpcCredential {
  flavor: number;
  /** Present when flavor is AUTH_SYS and the body decoded. */
  sys: AuthSysCredential | null;
}

/** One decoded call, as a program's procedure handler sees it. */
export interface RpcCall {
  xid: number;
  prog: number;
  vers: number;
  proc: number;
  cred: RpcCredential;
  /** Peer address as Node reports it (e.g. "127.0.0.1", "::1"), and its port. */
  remoteAddress: string;
  remotePort: number;
  /** Local port the call arrived on (MOUNT may be served on its own port). */
  localPort: number;
}

/**
 * A procedure handler decodes its arguments from `args` (throwing XdrError for garbage, which
 * the transport answers with GARBAGE_ARGS), does its work, and encodes its results into `out`
 * after the accepted-reply header the transport has already written. Buffers read from `args`
 * are views of the call's record, which the transport reuses once the handler has settled:
 * whatever must outlive the call is copied.
 */
export type ProcedureHandler = (call: RpcCall, args: XdrReader, out: XdrWriter) => Promise<void> | void;

export interface Procedure {
  name: string;
  handler: ProcedureHandler;
  /**
   * Running the call twice does not give the same result (REMOVE, RENAME, MKDIR…): its reply
   * is kept in the duplicate request cache, so that a retransmission is answered from there.
   */
  nonIdempotent?: boolean;
}

/** A program version's dispatch table: procedure number → procedure. */
export type DispatchTable = ReadonlyMap<number, Procedure>;

export interface RpcProgram {
  prog: number;
  name: string;
  /** Version number → dispatch table. */
  versions: ReadonlyMap<number, DispatchTable>;
  /** Credential flavors the program accepts; others get AUTH_ERROR (AUTH_TOOWEAK). */
  acceptedFlavors: readonly number[];
}
