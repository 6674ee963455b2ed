import type { AuthContext, FileId } from "../../metadata/types.js";
import type { ConfiguredShare } from "../../registry/share.js";
import type { DirectoryWatch } from "./notify.js";
import type { BreakChannel, Lease, OplockGrant } from "./oplocks.js";

/** How a session signs and seals its messages, once its keys are known (MS-SMB2 §3.3.5.5.3). */
export interface SessionKeys {
  /** Signs `message` (one compound element, signature field zeroed by the caller) in place. */
  sign(message: Buffer): void;
  /** Whether the element's signature is right; never changes the buffer. */
  verify(message: Buffer): boolean;
  /** Seals a whole response chain in a TRANSFORM_HEADER; null when the session has no cipher. */
  encrypt: ((message: Buffer) => Buffer) | null;
  /** Opens a TRANSFORM_HEADER'ed request; throws on a bad tag. Null when the session has no cipher. */
  decrypt: ((transform: Buffer) => Buffer) | null;
}

/** A step of an authentication exchange: more to come (with a reply token) or done. */
export type AuthStep =
  | { done: false; reply: Buffer }
  | { done: true; reply: Buffer; user: string; guest: boolean; anonymous: boolean; sessionKey: Buffer };

export interface AuthExchange {
  step(token: Buffer): AuthStep;
}

/** A tree connect: a disk share of the registry, or IPC$ (for the srvsvc pipe). */
export interface Tree {
  readonly id: number;
  readonly share: ConfiguredShare | null;
  /** Every message on this tree must be encrypted. */
  readonly encrypt: boolean;
}

/** A named pipe endpoint on IPC$ (srvsvc). */
export interface Pipe {
  write(data: Buffer): void;
  read(max: number): { data: Buffer; more: boolean };
  transceive(data: Buffer, max: number): { data: Buffer; more: boolean };
}

/** One SMB2 session on a connection (MS-SMB2 §3.3.1.8). */
export class Session {
  state: "in-progress" | "valid" = "in-progress";
  exchange: AuthExchange | null = null;
  user = "";
  /** Whom the services see; set when the session is valid. */
  auth: AuthContext = { uid: 65534, gid: 65534, gids: [] };
  guest = false;
  anonymous = false;
  keys: SessionKeys | null = null;
  signingRequired = false;
  encryptData = false;
  /** SMB 3.1.1: the preauth integrity hash of this session's SESSION_SETUP exchange. */
  preauthHash: Buffer | null = null;
  readonly trees = new Map<number, Tree>();
  /** Set once the session is being ended (SmbConnection.endSession). */
  ending: Promise<void> | null = null;
  private nextTreeId = 1;

  constructor(readonly id: bigint) {}

  addTree(share: ConfiguredShare | null, encrypt: boolean): Tree {
    const tree: Tree = { id: this.nextTreeId++, share, encrypt };
    this.trees.set(tree.id, tree);
    return tree;
  }
}

/** An open file, directory or pipe (MS-SMB2 §3.3.1.10). */
export interface Open {
  readonly persistentId: bigint;
  readonly volatileId: bigint;
  /** Who holds this open's byte-range locks: unique across connections. */
  readonly owner: string;
  /** The session and tree it belongs to: a durable open moves to new ones when it is reclaimed. */
  sessionId: bigint;
  treeId: number;
  readonly share: ConfiguredShare | null;
  /** The node; null for a pipe. */
  readonly fileId: FileId | null;
  readonly pipe: Pipe | null;
  readonly isDirectory: boolean;
  /** Access granted at CREATE (MS-SMB2 §2.2.13.1). */
  readonly access: number;
  /** What other opens of the file may do meanwhile (FILE_SHARE_READ / WRITE / DELETE). */
  readonly shareAccess: number;
  /** Where the file's name is, for rename, delete on close and the name queries. */
  parentId: FileId | null;
  name: string;
  /** The path below the share root, with "\" separators ("" for the root). */
  path: string;
  deleteOnClose: boolean;
  writeThrough: boolean;
  /** CHANGE_NOTIFY: what the directory open watches, after its first request. */
  watch: DirectoryWatch | null;
  /** QUERY_DIRECTORY progress: the pattern, and the cookie to resume after (-1: "." and ".." not sent yet). */
  listing: DirectoryListing | null;
  /** The connection that hears of this open's oplock and lease breaks (another one once reclaimed). */
  channel: BreakChannel;
  /** The oplock granted at CREATE, or the lease the open belongs to (never both). */
  oplock: OplockGrant | null;
  lease: Lease | null;
  /** Set when the open is durable: it outlives its connection for a while (MS-SMB2 §3.3.1.10). */
  durable: DurableState | null;
}

/** What a durable open keeps for its reconnect (Open.IsDurable, DurableOpenTimeout, CreateGuid, DurableOwner). */
export interface DurableState {
  version: 1 | 2;
  /** How long it waits for its client once disconnected. */
  timeoutMs: number;
  /** v2: the client's CreateGuid; zeros for v1. */
  createGuid: Buffer;
  /** Who may reclaim it: the session's user (upper case, "" for a guest or anonymous session). */
  user: string;
  /** Whom the services see when it closes without a session (its delete on close). */
  auth: AuthContext;
}

export interface DirectoryListing {
  pattern: string;
  /** Entries to send before the store's: ".", ".." (at the start of a listing). */
  dots: string[];
  afterCookie: number;
  done: boolean;
}
