import { XdrError, XdrReader } from "../xdr/reader.js";
import type { XdrWriter } from "../xdr/writer.js";
import { MAX_AUTH_SYS_GIDS, MAX_MACHINE_NAME } from "./constants.js";
import type { AuthSysCredential } from "./types.js";

/**
 * Decodes an AUTH_SYS credential body (RFC 5531 Appendix A, authsys_parms). Returns null when
 * the body is malformed — too short, a machine name over 255 bytes, more than 16 groups, or
 * bytes left over — which the caller answers with AUTH_ERROR / AUTH_BADCRED.
 */
export function decodeAuthSys(body: Buffer): AuthSysCredential | null {
  const r = new XdrReader(body);
  try {
    const stamp = r.u32();
    const machineName = r.string(MAX_MACHINE_NAME);
    const uid = r.u32();
    const gid = r.u32();
    const count = r.u32();
    if (count > MAX_AUTH_SYS_GIDS) return null;
    const gids = new Array<number>(count);
    for (let i = 0; i < count; i++) gids[i] = r.u32();
    if (r.remaining !== 0) return null;
    return { stamp, machineName, uid, gid, gids };
  } catch (err) {
    if (err instanceof XdrError) return null;
    throw err;
  }
}

/** Encodes an authsys_parms body (used by clients and tests). */
export function encodeAuthSys(w: XdrWriter, cred: AuthSysCredential): XdrWriter {
  w.u32(cred.stamp).string(cred.machineName).u32(cred.uid).u32(cred.gid).u32(cred.gids.length);
  for (const g of cred.gids) w.u32(g);
  return w;
}
