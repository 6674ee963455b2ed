import { isFsError } from "../../../errors.js";
import type { AuthContext, FileAttr } from "../../../metadata/types.js";
import { fromUtf16, SmbReader, SmbWriter } from "../../../protocol/smb2/buffer.js";
import {
  CREATE_OPTIONS_RESERVED_MASK,
  DELETE,
  FILE_ADD_FILE,
  FILE_ADD_SUBDIRECTORY,
  FILE_APPEND_DATA,
  FILE_CREATE,
  FILE_CREATE_TREE_CONNECTION,
  FILE_CREATED,
  FILE_DELETE_CHILD,
  FILE_DELETE_ON_CLOSE,
  FILE_DIRECTORY_FILE,
  FILE_EXECUTE,
  FILE_NON_DIRECTORY_FILE,
  FILE_OPEN,
  FILE_OPEN_BY_FILE_ID,
  FILE_OPENED,
  FILE_OVERWRITE,
  FILE_OVERWRITE_IF,
  FILE_OVERWRITTEN,
  FILE_READ_ATTRIBUTES,
  FILE_READ_DATA,
  FILE_READ_EA,
  FILE_RESERVE_OPFILTER,
  FILE_SHARE_DELETE,
  FILE_SHARE_READ,
  FILE_SHARE_WRITE,
  FILE_SUPERSEDE,
  FILE_SUPERSEDED,
  FILE_WRITE_ATTRIBUTES,
  FILE_WRITE_DATA,
  FILE_WRITE_EA,
  FILE_WRITE_THROUGH,
  GENERIC_ALL,
  GENERIC_EXECUTE,
  GENERIC_READ,
  GENERIC_WRITE,
  MAXIMUM_ALLOWED,
  READ_CONTROL,
  SMB2_HEADER_SIZE,
  SMB2_IMPERSONATION_DELEGATE,
  SMB2_DIALECT_210,
  SMB2_DIALECT_300,
  SMB2_LEASE_FLAG_BREAK_IN_PROGRESS,
  SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET,
  SMB2_LEASE_HANDLE_CACHING,
  SMB2_LEASE_READ_CACHING,
  SMB2_LEASE_WRITE_CACHING,
  SMB2_OPLOCK_LEVEL_LEASE,
  SMB2_OPLOCK_LEVEL_NONE,
  STATUS_ACCESS_DENIED,
  STATUS_BAD_IMPERSONATION_LEVEL,
  STATUS_DELETE_PENDING,
  STATUS_FILE_IS_A_DIRECTORY,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_A_DIRECTORY,
  STATUS_NOT_SUPPORTED,
  STATUS_OBJECT_NAME_COLLISION,
  STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_TOO_MANY_OPENED_FILES,
  SYNCHRONIZE,
  WRITE_DAC,
  WRITE_OWNER,
} from "../../../protocol/smb2/constants.js";
import type { ConfiguredShare } from "../../../registry/share.js";
import { bodyReader, type SmbCall, type SmbCommand, type SmbReply } from "../command.js";
import type { SmbConnection } from "../connection.js";
import { fileKey, MAX_OPENS_PER_CONNECTION, type SmbContext } from "../context.js";
import { directoryKey } from "../case-names.js";
import { checkCreateAttributes, newNodeAttributes, overwriteAttributes } from "../dos-attributes.js";
import { grantDurable, readDurableContexts } from "../durable.js";
import { smbError } from "../errors.js";
import { touchesData } from "../open-files.js";
import type { Lease, LeaseRequest } from "../oplocks.js";
import { openPipe } from "../pipes.js";
import type { Open } from "../state.js";
import { reclaimDurableOpen } from "./create-reconnect.js";

/** What a granted "everything" means on a file (FILE_ALL_ACCESS). */
const FILE_ALL_ACCESS = 0x001f01ff;
/** What the generic rights stand for on files and directories (MS-SMB2 §2.2.13.1, FILE_GENERIC_*). */
const FILE_GENERIC_READ = READ_CONTROL | SYNCHRONIZE | FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA;
const FILE_GENERIC_WRITE = READ_CONTROL | SYNCHRONIZE | FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA;
const FILE_GENERIC_EXECUTE = READ_CONTROL | SYNCHRONIZE | FILE_EXECUTE | FILE_READ_ATTRIBUTES;
/** Access bits that change the file (refused on a read-only share). */
const MODIFYING = FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA | FILE_WRITE_ATTRIBUTES | FILE_DELETE_CHILD | DELETE | WRITE_DAC | WRITE_OWNER;
const MAX_NAME_BYTES = 2 * 4096;
const OVERWRITING = new Set([FILE_OVERWRITE, FILE_OVERWRITE_IF, FILE_SUPERSEDE]);
/** Create context tags answered (MS-SMB2 §2.2.13.2). */
const MAXIMAL_ACCESS_REQUEST = "MxAc";
const QUERY_ON_DISK_ID = "QFid";
const REQUEST_LEASE = "RqLs";

/**
 * MS-SMB2 §2.2.13 CREATE request: oplock level, DesiredAccess, FileAttributes, ShareAccess,
 * CreateDisposition, CreateOptions, the name (relative to the share root) and create contexts.
 * FileAttributes are kept for a new node and replace an overwritten file's (see dos-attributes.ts).
 * §2.2.14 response: the action taken, times, sizes, attributes, the FileId and the answered
 * contexts (maximal access, on-disk id, lease). Opens on IPC$ reach the srvsvc pipe (§3.3.5.9).
 * Other clients' oplocks and leases are broken before the open goes ahead, and the open gets the
 * oplock or lease it asked for as far as the file's other opens allow, and durability when it
 * asked and holds a batch oplock or a lease that caches handles (see durable.ts); a durable
 * reconnect context reclaims a disconnected open instead (create-reconnect.ts).
 */
export const create: SmbCommand = {
  name: "CREATE",
  structureSize: 57,
  needsSession: true,
  needsTree: true,
  async run(call: SmbCall): Promise<SmbReply> {
    const { body, ctx, conn } = call;
    const session = call.session!;
    const tree = call.tree!;
    if (conn.opens.size >= MAX_OPENS_PER_CONNECTION) throw smbError(STATUS_TOO_MANY_OPENED_FILES, `${conn.opens.size} opens on this connection`);
    body.skip(1); // SecurityFlags
    const requestedOplock = body.u8();
    const impersonation = body.u32();
    body.skip(8 + 8); // SmbCreateFlags, Reserved
    const desiredAccess = body.u32();
    const fileAttributes = body.u32();
    const shareAccess = body.u32() & (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE);
    const disposition = body.u32();
    const options = body.u32();
    const nameOffset = body.u16();
    const nameLength = body.u16();
    const contextsOffset = body.u32();
    const contextsLength = body.u32();
    if (nameLength > MAX_NAME_BYTES) throw smbError(STATUS_OBJECT_NAME_INVALID, `name of ${nameLength} bytes`);
    const name = fromUtf16(body.blob(nameOffset, nameLength, SMB2_HEADER_SIZE + 56));
    const contexts = readContexts(body, contextsOffset, contextsLength);
    const durable = readDurableContexts(contexts);
    if (durable.reconnect && tree.share) {
      const leaseRequest = readLeaseRequest(conn, contexts.get(REQUEST_LEASE));
      const { open, attr } = await reclaimDurableOpen(call, durable.reconnect, name, leaseRequest);
      const caching = open.lease ? { oplockLevel: SMB2_OPLOCK_LEVEL_LEASE, lease: leaseResponse(open.lease, leaseRequest!) } : { oplockLevel: open.oplock?.level ?? SMB2_OPLOCK_LEVEL_NONE, lease: null };
      return { status: 0, body: fileResponse(ctx, open, attr, FILE_OPENED, contexts, caching), openedFileId: open.volatileId };
    }
    // MS-SMB2 §3.3.5.9: the checks before any name is looked up.
    if (impersonation > SMB2_IMPERSONATION_DELEGATE) throw smbError(STATUS_BAD_IMPERSONATION_LEVEL, `ImpersonationLevel ${impersonation}`);
    if (options & (FILE_CREATE_TREE_CONNECTION | FILE_RESERVE_OPFILTER)) throw smbError(STATUS_NOT_SUPPORTED, `CreateOptions 0x${options.toString(16)}`);
    if (options & CREATE_OPTIONS_RESERVED_MASK) throw smbError(STATUS_INVALID_PARAMETER, `reserved CreateOptions 0x${options.toString(16)}`);
    if (disposition > FILE_OVERWRITE_IF) throw smbError(STATUS_INVALID_PARAMETER, `CreateDisposition ${disposition}`);
    if (options & FILE_OPEN_BY_FILE_ID) throw smbError(STATUS_NOT_SUPPORTED, "open by file id is not supported");
    if ((options & FILE_DIRECTORY_FILE) && (options & FILE_NON_DIRECTORY_FILE)) throw smbError(STATUS_INVALID_PARAMETER, "both directory and non-directory");
    checkCreateAttributes(fileAttributes, (options & FILE_DIRECTORY_FILE) !== 0);
    if (options & FILE_DELETE_ON_CLOSE && !(desiredAccess & (DELETE | GENERIC_ALL | MAXIMUM_ALLOWED))) {
      throw smbError(STATUS_ACCESS_DENIED, "delete on close without DELETE access");
    }

    if (!tree.share) {
      const open = newOpen(call, {
        share: null,
        fileId: null,
        pipe: openPipe(ctx, name),
        isDirectory: false,
        access: desiredAccess,
        shareAccess,
        parentId: null,
        name,
        path: name,
        deleteOnClose: false,
        writeThrough: false,
      });
      conn.opens.set(open.volatileId, open);
      return { status: 0, body: pipeResponse(open), openedFileId: open.volatileId };
    }

    // A file name is relative to the share: a leading separator is refused (pipes are exempt).
    if (name.startsWith("\\")) throw smbError(STATUS_INVALID_PARAMETER, "a name that starts with a path separator");
    const share = tree.share;
    const auth = ctx.authFor(session, share);
    const { dirId, name: last } = await ctx.resolveParent(auth, share, name);
    const found = last === "" ? { attr: await ctx.metadata.root(share.name), name: "" } : await ctx.lookupName(auth, share, dirId, last);
    const wantsDir = (options & FILE_DIRECTORY_FILE) !== 0;
    const clientGuid = conn.negotiated!.clientGuid.toString("hex");
    const leaseRequest = requestedOplock === SMB2_OPLOCK_LEVEL_LEASE ? readLeaseRequest(conn, contexts.get(REQUEST_LEASE)) : null;
    // A lease key names one file: the same key for another name is refused before anything is made.
    if (leaseRequest) ctx.grants.leaseFor(clientGuid, leaseRequest.key, found ? fileKey(share, found.attr.id) : "");
    let attr: FileAttr;
    let action = FILE_OPENED;
    if (found) {
      attr = found.attr;
      if (disposition === FILE_CREATE) throw smbError(STATUS_OBJECT_NAME_COLLISION, `'${name}' exists`);
      if (ctx.isDeletePending(share, attr.id)) throw smbError(STATUS_DELETE_PENDING, `'${name}' is to be deleted`);
      if (wantsDir && attr.type !== "dir") throw smbError(STATUS_NOT_A_DIRECTORY, `'${name}' is not a directory`);
      if (options & FILE_NON_DIRECTORY_FILE && attr.type === "dir") throw smbError(STATUS_FILE_IS_A_DIRECTORY, `'${name}' is a directory`);
      if (OVERWRITING.has(disposition) && attr.type === "dir") throw smbError(STATUS_INVALID_PARAMETER, `cannot overwrite directory '${name}'`);
    } else {
      if (disposition === FILE_OPEN || disposition === FILE_OVERWRITE) throw smbError(STATUS_OBJECT_NAME_NOT_FOUND, `no file '${name}'`);
      if (last === "") throw smbError(STATUS_OBJECT_NAME_INVALID, "cannot create the share root");
      attr = await createNode(ctx, auth, share, dirId, last, wantsDir, fileAttributes);
      action = FILE_CREATED;
    }
    const access = await grantedAccess(ctx, auth, share, attr, desiredAccess, action === FILE_CREATED);
    const open = newOpen(call, {
      share,
      fileId: attr.id,
      pipe: null,
      isDirectory: attr.type === "dir",
      access,
      shareAccess,
      parentId: last === "" ? null : dirId,
      name: found?.name ?? last,
      path: name.replace(/^\\/, ""),
      deleteOnClose: (options & FILE_DELETE_ON_CLOSE) !== 0,
      writeThrough: (options & FILE_WRITE_THROUGH) !== 0,
    });
    const key = fileKey(share, attr.id);
    const ownLease = leaseRequest ? ctx.grants.leaseFor(clientGuid, leaseRequest.key, key) : null;
    const overwriting = found !== null && OVERWRITING.has(disposition);
    if (found && (touchesData(open) || overwriting)) {
      // Others' caches give way first: write caching, or everything for an overwrite. When share
      // modes keep this open out, only handle caching goes (its holder may close the handles that
      // are in the way); the open fails if they stay.
      const keep = overwriting ? 0 : SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING;
      const closedBefore = ctx.disconnected.closedByBreaks;
      if (ctx.sharingConflict(open)) await ctx.grants.breakOthers(key, ownLease, keep & ~SMB2_LEASE_HANDLE_CACHING, call, true);
      else await ctx.grants.breakOthers(key, ownLease, keep, call);
      // A disconnected durable open the break closed may have taken the file with it (delete on close): start over.
      if (ctx.disconnected.closedByBreaks !== closedBefore && (await ctx.lookupName(auth, share, dirId, last))?.attr.id !== attr.id) {
        return create.run({ ...call, body: bodyReader(call.message) });
      }
    }
    // Share modes are checked before an overwrite: a file another open does not share stays whole.
    ctx.admitOpen(open);
    if (overwriting) {
      try {
        const attributes = overwriteAttributes(attr, fileAttributes, auth.uid === 0 || auth.uid === attr.uid);
        attr = (await ctx.metadata.setAttr(auth, share.name, attr.id, { size: 0, ...attributes }, null)).attr;
      } catch (err) {
        ctx.withdrawOpen(open);
        throw err;
      }
      action = disposition === FILE_SUPERSEDE ? FILE_SUPERSEDED : FILE_OVERWRITTEN;
    }
    conn.opens.set(open.volatileId, open);
    const caching = grantCaching(ctx, open, key, clientGuid, requestedOplock, leaseRequest, ownLease);
    const durableResponse = grantDurable(open, durable.request, session, auth);
    return { status: 0, body: fileResponse(ctx, open, attr, action, contexts, caching, durableResponse), openedFileId: open.volatileId };
  },
};

/** What the open may cache: a lease when it asked for one (not on a directory), else an oplock (§3.3.5.9.8, §3.3.5.9.11). */
function grantCaching(
  ctx: SmbContext,
  open: Open,
  key: string,
  clientGuid: string,
  requested: number,
  leaseRequest: LeaseRequest | null,
  ownLease: Lease | null,
): { oplockLevel: number; lease: Buffer | null } {
  if (requested === SMB2_OPLOCK_LEVEL_LEASE) {
    if (!leaseRequest || open.isDirectory) return { oplockLevel: SMB2_OPLOCK_LEVEL_NONE, lease: null };
    const lease = ctx.grants.grantLease(open, key, clientGuid, leaseRequest, ctx.othersOpen(open, ownLease, true));
    return { oplockLevel: SMB2_OPLOCK_LEVEL_LEASE, lease: leaseResponse(lease, leaseRequest) };
  }
  const grant = ctx.grants.grantOplock(open, key, requested, ctx.othersOpen(open, null, false));
  return { oplockLevel: grant?.level ?? SMB2_OPLOCK_LEVEL_NONE, lease: null };
}

/** The RqLs create context (§2.2.13.2.8 version 1, §2.2.13.2.10 version 2 from SMB 3.0); ignored before SMB 2.1. */
function readLeaseRequest(conn: SmbConnection, data: Buffer | undefined): LeaseRequest | null {
  if (!data || conn.negotiated!.dialect < SMB2_DIALECT_210) return null;
  if (data.length < 32) throw smbError(STATUS_INVALID_PARAMETER, `lease request of ${data.length} bytes`);
  const r = new SmbReader(data);
  const key = r.bytes(16);
  const state = r.u32() & (SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING | SMB2_LEASE_WRITE_CACHING);
  const flags = r.u32();
  r.skip(8); // LeaseDuration
  if (data.length < 52 || conn.negotiated!.dialect < SMB2_DIALECT_300) return { key, state, version: 1, parentKey: null, epoch: 0 };
  const parentKey = r.bytes(16);
  const epoch = r.u16();
  return { key, state, version: 2, parentKey: flags & SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET ? parentKey : null, epoch };
}

/** The RqLs response context: the lease's key, state and flags (and for version 2 its parent key and epoch). */
function leaseResponse(lease: Lease, request: LeaseRequest): Buffer {
  let flags = lease.breaking ? SMB2_LEASE_FLAG_BREAK_IN_PROGRESS : 0;
  if (request.version === 2 && lease.parentKey) flags |= SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET;
  const w = new SmbWriter(52).bytes(lease.key).u32(lease.state).u32(flags).u64(0n);
  if (request.version === 2) w.bytes(lease.parentKey ?? Buffer.alloc(16)).u16(lease.epoch).u16(0);
  return w.buffer();
}

/** An open of this request's session and tree, with a fresh FileId (its persistent part is the volatile one). */
function newOpen(
  call: SmbCall,
  fields: Omit<Open, "persistentId" | "volatileId" | "owner" | "sessionId" | "treeId" | "watch" | "listing" | "channel" | "oplock" | "lease" | "durable">,
): Open {
  const volatileId = call.conn.newVolatileId();
  return {
    ...fields,
    persistentId: volatileId,
    volatileId,
    owner: `${call.conn.id}:${volatileId}`,
    sessionId: call.session!.id,
    treeId: call.tree!.id,
    watch: null,
    listing: null,
    channel: call.conn,
    oplock: null,
    lease: null,
    durable: null,
  };
}

async function createNode(ctx: SmbContext, auth: AuthContext, share: ConfiguredShare, dirId: string, name: string, dir: boolean, attributes: number): Promise<FileAttr> {
  try {
    const made = dir
      ? await ctx.metadata.mkdir(auth, share.name, dirId, name, newNodeAttributes(attributes, true, 0o755))
      : await ctx.metadata.create(auth, share.name, dirId, name, { mode: "guarded", attrs: newNodeAttributes(attributes, false, 0o644) });
    ctx.names.added(directoryKey(share.id, dirId), made.dirWcc, name);
    return made.attr;
  } catch (err) {
    // Another client made the name between our lookup and create.
    if (isFsError(err, "Exists")) throw smbError(STATUS_OBJECT_NAME_COLLISION, `'${name}' exists`);
    throw err;
  }
}

/**
 * The access the open gets (MS-SMB2 §3.3.5.9): what was asked, expanded from the generic bits,
 * if the file's permissions and the share allow it; MAXIMUM_ALLOWED gets all they allow. The
 * creator of a new file gets what it asked for: the parent's permission was the check (MS-FSA
 * §2.1.5.1.1), as a 0644 file would otherwise refuse its creator FILE_ALL_ACCESS.
 */
async function grantedAccess(ctx: SmbContext, auth: AuthContext, share: ConfiguredShare, attr: FileAttr, desired: number, created: boolean): Promise<number> {
  const allowed = await allowedAccess(ctx, auth, share, attr);
  let wanted = desired & ~(GENERIC_ALL | GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | MAXIMUM_ALLOWED);
  if (desired & GENERIC_READ) wanted |= FILE_GENERIC_READ;
  if (desired & GENERIC_WRITE) wanted |= FILE_GENERIC_WRITE;
  if (desired & GENERIC_EXECUTE) wanted |= FILE_GENERIC_EXECUTE;
  if (desired & GENERIC_ALL) wanted |= FILE_ALL_ACCESS;
  if (created) return desired & MAXIMUM_ALLOWED ? allowed | wanted : wanted;
  if ((wanted & allowed) !== wanted) throw smbError(STATUS_ACCESS_DENIED, `access 0x${desired.toString(16)} denied`);
  return desired & MAXIMUM_ALLOWED ? allowed | wanted : wanted;
}

/** The access bits the file's mode grants `auth` on this share. */
async function allowedAccess(ctx: SmbContext, auth: AuthContext, share: ConfiguredShare, attr: FileAttr): Promise<number> {
  const { granted } = await ctx.metadata.access(auth, share.name, attr.id, 0x3f);
  let allowed = FILE_READ_ATTRIBUTES | READ_CONTROL | SYNCHRONIZE | FILE_READ_EA;
  // ACCESS3 bits: READ 1, LOOKUP 2, MODIFY 4, EXTEND 8, DELETE 16, EXECUTE 32. Execution happens
  // on the client: whoever may read a file may open it for execution, as with Samba's defaults.
  if (granted & 0x01) allowed |= FILE_READ_DATA;
  // A client runs a file from the bytes it reads, so FILE_EXECUTE follows read on a file (as
  // Samba's "acl allow execute always"); on a directory it is traverse, i.e. lookup.
  if (granted & (attr.type === "dir" ? 0x22 : 0x21)) allowed |= FILE_EXECUTE;
  // FILE_DELETE_CHILD means nothing on a file, but FILE_ALL_ACCESS asks for it there too.
  if (!share.readOnly && granted & 0x0c) allowed |= attr.type === "dir" ? FILE_ADD_FILE | FILE_ADD_SUBDIRECTORY | FILE_DELETE_CHILD : FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_DELETE_CHILD;
  if (!share.readOnly) {
    // Attributes, EAs and the name itself: the owner may change them; the parent's permission decides a delete.
    if (auth.uid === 0 || auth.uid === attr.uid) allowed |= FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA | WRITE_DAC | WRITE_OWNER;
    allowed |= DELETE;
  }
  return allowed & (share.readOnly ? ~MODIFYING : ~0);
}

/** The request's create contexts (MS-SMB2 §2.2.13.2): data by tag. */
function readContexts(body: SmbReader, offset: number, length: number): Map<string, Buffer> {
  const tags = new Map<string, Buffer>();
  if (length === 0) return tags;
  const all = new SmbReader(body.blob(offset, length, SMB2_HEADER_SIZE + 56));
  let at = 0;
  for (let i = 0; i < 64; i++) {
    all.seek(at);
    const next = all.u32();
    const nameOffset = all.u16();
    const nameLength = all.u16();
    all.skip(2);
    const dataOffset = all.u16();
    const dataLength = all.u32();
    all.seek(at + nameOffset);
    const tag = all.bytes(nameLength).toString("latin1");
    all.seek(at + dataOffset);
    tags.set(tag, dataLength === 0 ? Buffer.alloc(0) : all.bytes(dataLength));
    if (next === 0) return tags;
    if (next % 8 !== 0) throw smbError(STATUS_INVALID_PARAMETER, `create context Next ${next}`);
    at += next;
  }
  throw smbError(STATUS_INVALID_PARAMETER, "too many create contexts");
}

function fileResponse(
  ctx: SmbContext,
  open: Open,
  attr: FileAttr,
  action: number,
  contexts: Map<string, Buffer>,
  caching: { oplockLevel: number; lease: Buffer | null },
  durable: [string, Buffer] | null = null,
): Buffer {
  const info = ctx.fileInfo(attr, open.name);
  const answered: Array<[string, Buffer]> = [];
  if (contexts.has(MAXIMAL_ACCESS_REQUEST)) answered.push([MAXIMAL_ACCESS_REQUEST, new SmbWriter(8).u32(0).u32(open.access).buffer()]);
  if (contexts.has(QUERY_ON_DISK_ID)) answered.push([QUERY_ON_DISK_ID, new SmbWriter(32).u64(info.fileIndex).u64(BigInt(open.share!.id)).zeros(16).buffer()]);
  if (caching.lease) answered.push([REQUEST_LEASE, caching.lease]);
  if (durable) answered.push(durable);
  const w = new SmbWriter(160);
  w.u16(89).u8(caching.oplockLevel).u8(0).u32(action);
  w.u64(info.creationTime).u64(info.lastAccessTime).u64(info.lastWriteTime).u64(info.changeTime);
  w.u64(info.allocationSize).u64(info.endOfFile).u32(info.attributes).u32(0);
  w.u64(open.persistentId).u64(open.volatileId);
  const offsetAt = w.offset;
  w.u32(0).u32(0);
  if (answered.length === 0) return w.u8(0).buffer();
  const start = w.offset;
  w.setU32(offsetAt, SMB2_HEADER_SIZE + start);
  answered.forEach(([tag, data], i) => {
    const at = w.offset;
    const last = i === answered.length - 1;
    // Next, NameOffset 16, NameLength 4, Reserved, DataOffset 24, DataLength, name, padding, data.
    w.u32(0).u16(16).u16(4).u16(0).u16(24).u32(data.length).bytes(Buffer.from(tag, "latin1")).zeros(4).bytes(data);
    if (!last) {
      w.align(8);
      w.setU32(at, w.offset - at);
    }
  });
  w.setU32(offsetAt + 4, w.offset - start);
  return w.buffer();
}

function pipeResponse(open: Open): Buffer {
  const w = new SmbWriter(96);
  w.u16(89).u8(SMB2_OPLOCK_LEVEL_NONE).u8(0).u32(FILE_OPENED);
  w.zeros(32).u64(4096).u64(0).u32(0x80).u32(0); // times 0, allocation, EOF, FILE_ATTRIBUTE_NORMAL
  w.u64(open.persistentId).u64(open.volatileId).u32(0).u32(0).u8(0);
  return w.buffer();
}
