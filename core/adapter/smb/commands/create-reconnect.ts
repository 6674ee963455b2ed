import type { FileAttr } from "../../../metadata/types.js";
import { STATUS_ACCESS_DENIED, STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_NOT_FOUND } from "../../../protocol/smb2/constants.js";
import type { SmbCall } from "../command.js";
import { mayReclaim, type DurableRequest } from "../durable.js";
import { smbError } from "../errors.js";
import type { LeaseRequest } from "../oplocks.js";
import type { Open } from "../state.js";

/**
 * A CREATE with a durable reconnect context (MS-SMB2 §3.3.5.9.7 DHnC, §3.3.5.9.12 DH2C): the
 * client reclaims an open its dropped connection left. Only the FileId, the CreateGuid (v2), the
 * lease key and, for a leased open, the name count; the rest of the request is ignored, as
 * Windows ignores it. The open keeps its FileId, share modes, locks, oplock or lease, and moves to
 * this connection, session and tree.
 */
export async function reclaimDurableOpen(
  call: SmbCall,
  reconnect: NonNullable<DurableRequest["reconnect"]>,
  name: string,
  leaseRequest: LeaseRequest | null,
): Promise<{ open: Open; attr: FileAttr }> {
  const { ctx, conn } = call;
  const session = call.session!;
  const tree = call.tree!;
  const open = ctx.disconnected.find(reconnect.persistentId);
  if (!open?.durable || !open.share || open.fileId === null || open.share.id !== tree.share?.id) {
    throw smbError(STATUS_OBJECT_NAME_NOT_FOUND, `no disconnected durable open ${reconnect.persistentId}`);
  }
  // A v1 open has a zero CreateGuid: a v2 reconnect names it only with zeros.
  if (reconnect.version === 2 && !reconnect.createGuid!.equals(open.durable.createGuid)) {
    throw smbError(STATUS_OBJECT_NAME_NOT_FOUND, "the CreateGuid is not the open's");
  }
  if (open.lease) {
    const clientGuid = conn.negotiated!.clientGuid.toString("hex");
    if (!leaseRequest || !leaseRequest.key.equals(open.lease.key) || open.lease.clientGuid !== clientGuid) {
      throw smbError(STATUS_OBJECT_NAME_NOT_FOUND, "the open's lease is another client's or key's");
    }
    if (name.replace(/^\\/, "").toUpperCase() !== open.path.toUpperCase()) throw smbError(STATUS_INVALID_PARAMETER, "a leased open reclaimed under another name");
  } else if (leaseRequest) {
    throw smbError(STATUS_OBJECT_NAME_NOT_FOUND, "a lease for an open that has none");
  }
  if (!mayReclaim(open.durable, session)) throw smbError(STATUS_ACCESS_DENIED, "the durable open is another user's");
  const attr = await ctx.metadata.getAttr(open.share.name, open.fileId);
  // Another request may have reclaimed it while the attributes were read.
  if (ctx.disconnected.find(reconnect.persistentId) !== open) throw smbError(STATUS_OBJECT_NAME_NOT_FOUND, "the open was reclaimed or closed meanwhile");
  ctx.disconnected.take(open);
  open.sessionId = session.id;
  open.treeId = tree.id;
  open.channel = conn;
  conn.opens.set(open.volatileId, open);
  return { open, attr };
}
