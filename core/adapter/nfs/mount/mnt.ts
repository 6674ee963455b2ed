import { fsError } from "../../../errors.js";
import { AUTH_NONE, AUTH_SYS, type RpcCall } from "../../../protocol/rpc/types.js";
import { MNT3ERR_NAMETOOLONG, MNTPATHLEN } from "../../../protocol/nfs/mount/constants.js";
import { decodeDirpath, encodeMountres3Error, encodeMountres3Ok } from "../../../protocol/nfs/mount/types.js";
import type { XdrReader } from "../../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../../protocol/xdr/writer.js";
import type { NfsContext } from "../context.js";
import { mountStatusOf } from "../errors.js";
import { shareNameOf } from "./path.js";

/** The flavors a mounted client may use, strongest first: AUTH_UNIX (AUTH_SYS), then AUTH_NONE. */
const AUTH_FLAVORS = [AUTH_SYS, AUTH_NONE] as const;

/**
 * RFC 1813 §5.2.1 MOUNTPROC3_MNT: args dirpath; mountres3 (mountstat3, and with MNT3_OK the
 * root fhandle3 and auth_flavors<>). An unknown path is MNT3ERR_NOENT, a client the share does
 * not admit MNT3ERR_ACCES. A successful mount is recorded for DUMP.
 */
export async function mnt(ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter): Promise<void> {
  const dirpath = decodeDirpath(args);
  if (dirpath.length > MNTPATHLEN) {
    encodeMountres3Error(out, MNT3ERR_NAMETOOLONG);
    return;
  }
  let fhandle: Buffer;
  let path: string;
  try {
    const name = shareNameOf(dirpath);
    const share = name === null ? undefined : ctx.registry.share(name);
    if (!share) throw fsError("NotFound", `no export ${JSON.stringify(dirpath.toString("utf8"))}`);
    if (!share.allowsClient(call.remoteAddress)) {
      throw fsError("Access", `client ${call.remoteAddress} may not mount ${share.name}`);
    }
    fhandle = await ctx.registry.rootHandle(share);
    path = share.name;
  } catch (err) {
    ctx.fail(call, "MNT", err);
    encodeMountres3Error(out, mountStatusOf(err));
    return;
  }
  ctx.mounts.add(call.remoteAddress, path);
  ctx.logger.info({ client: call.remoteAddress, share: path }, "NFS client mounted");
  encodeMountres3Ok(out, fhandle, AUTH_FLAVORS);
}
