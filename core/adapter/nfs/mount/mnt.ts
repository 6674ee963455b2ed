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
 * root fhandle3 and auth_flavors<>). The path is a share or a directory inside one. An unknown
 * path is MNT3ERR_NOENT, a client the share does not admit (by address, or by source port when
 * the share requires a privileged one) MNT3ERR_ACCES. A successful mount is
 * recorded for DUMP.
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
    const found = name === null ? undefined : ctx.registry.shareForPath(name);
    // A share served over SMB only is no export here.
    if (!found || !found.share.servedOver("nfs")) throw fsError("NotFound", `no export ${JSON.stringify(dirpath.toString("utf8"))}`);
    const { share, below } = found;
    if (!share.allowsClient(call.remoteAddress)) {
      throw fsError("Access", `client ${call.remoteAddress} may not mount ${share.name}`);
    }
    // MNT3ERR_ACCES, as rpc.mountd refuses a mount from an "illegal port" on a `secure` export.
    if (!share.allowsSourcePort(call.remotePort)) {
      throw fsError("Access", `share ${share.name} requires a privileged source port, got ${call.remotePort}`);
    }
    // A directory inside a share mounts too (as with knfsd): each step is a LOOKUP as the caller.
    const auth = share.authContext(call.cred.sys);
    let dir = (await ctx.metadata.root(share.name)).id;
    for (const segment of below) {
      const { attr } = await ctx.metadata.lookup(auth, share.name, dir, segment);
      if (attr.type !== "dir") throw fsError("NotDir", `${segment} is not a directory`);
      dir = attr.id;
    }
    fhandle = ctx.registry.handleFor(share, dir);
    path = name!;
  } catch (err) {
    ctx.fail(call, "MNT", err);
    encodeMountres3Error(out, mountStatusOf(err));
    return;
  }
  ctx.mounts.add(call.remoteAddress, path);
  ctx.logger.info({ client: call.remoteAddress, share: path }, "NFS client mounted");
  encodeMountres3Ok(out, fhandle, AUTH_FLAVORS);
}
