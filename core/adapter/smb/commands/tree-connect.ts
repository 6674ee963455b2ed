import { fromUtf16, SmbWriter } from "../../../protocol/smb2/buffer.js";
import {
  SMB2_DIALECT_300,
  SMB2_HEADER_SIZE,
  SMB2_SHARE_TYPE_DISK,
  SMB2_SHARE_TYPE_PIPE,
  SMB2_SHAREFLAG_ENCRYPT_DATA,
  SMB2_SHAREFLAG_MANUAL_CACHING,
  SMB2_SHAREFLAG_NO_CACHING,
  SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT,
  STATUS_ACCESS_DENIED,
  STATUS_BAD_NETWORK_NAME,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_SUPPORTED,
} from "../../../protocol/smb2/constants.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";
import { MAX_TREES_PER_SESSION } from "../context.js";
import { smbError } from "../errors.js";

/** FILE_ALL_ACCESS and FILE_GENERIC_READ | FILE_GENERIC_EXECUTE (MS-SMB2 §2.2.13.1). */
const FULL_ACCESS = 0x001f01ff;
const READ_ACCESS = 0x001200a9;
/** The longest \\server\share path accepted (UTF-16 bytes). */
const MAX_PATH_BYTES = 2 * 512;

/**
 * MS-SMB2 §2.2.9 TREE_CONNECT request: Flags, the path \\server\share. §2.2.10 response: the share
 * type (disk, or pipe for IPC$), flags (encryption), capabilities and the maximal access. A share
 * the client's address may not use is STATUS_ACCESS_DENIED; one that encrypts needs a session
 * that can (§3.3.5.7).
 */
export const treeConnect: SmbCommand = {
  name: "TREE_CONNECT",
  structureSize: 9,
  needsSession: true,
  needsTree: false,
  run(call: SmbCall): SmbReply {
    const { body, ctx, conn } = call;
    const session = call.session!;
    const flags = body.u16();
    const pathOffset = body.u16();
    const pathLength = body.u16();
    if (session.trees.size >= MAX_TREES_PER_SESSION) throw smbError(STATUS_INSUFFICIENT_RESOURCES, `${session.trees.size} trees on this session`);
    if (flags & SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT) throw smbError(STATUS_NOT_SUPPORTED, "tree connect extensions are not supported");
    if (pathLength > MAX_PATH_BYTES) throw smbError(STATUS_INVALID_PARAMETER, `tree path of ${pathLength} bytes`);
    const path = fromUtf16(body.blob(pathOffset, pathLength, SMB2_HEADER_SIZE + 8));
    const name = path.slice(path.lastIndexOf("\\") + 1);
    const canEncrypt = session.keys?.encrypt != null && conn.negotiated!.dialect >= SMB2_DIALECT_300;
    if (name.toUpperCase() === "IPC$") {
      const tree = session.addTree(null, session.encryptData);
      return { status: 0, body: response(SMB2_SHARE_TYPE_PIPE, SMB2_SHAREFLAG_NO_CACHING, READ_ACCESS), treeId: tree.id };
    }
    const share = ctx.share(name);
    if (!share) throw smbError(STATUS_BAD_NETWORK_NAME, `no share ${JSON.stringify(name)}`);
    if (!share.allowsClient(conn.remoteAddress)) throw smbError(STATUS_ACCESS_DENIED, `client ${conn.remoteAddress} may not use share ${share.name}`);
    const encryption = ctx.encryptionOf(share);
    if (encryption === "required" && !canEncrypt) throw smbError(STATUS_ACCESS_DENIED, `share ${name} requires encryption`);
    const encrypt = session.encryptData || (encryption !== "off" && canEncrypt);
    const tree = session.addTree(share, encrypt && encryption === "required");
    let shareFlags = SMB2_SHAREFLAG_MANUAL_CACHING;
    if (encrypt) shareFlags |= SMB2_SHAREFLAG_ENCRYPT_DATA;
    return { status: 0, body: response(SMB2_SHARE_TYPE_DISK, shareFlags, share.readOnly ? READ_ACCESS : FULL_ACCESS), treeId: tree.id };
  },
};

function response(shareType: number, shareFlags: number, maximalAccess: number): Buffer {
  return new SmbWriter(16).u16(16).u8(shareType).u8(0).u32(shareFlags).u32(0).u32(maximalAccess).buffer();
}
