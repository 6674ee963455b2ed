import { SmbReader } from "../../protocol/smb2/buffer.js";
import type { Smb2Header } from "../../protocol/smb2/header.js";
import type { SmbConnection } from "./connection.js";
import type { ReplyHold } from "./reply-budget.js";
import type { SmbContext } from "./context.js";
import type { Session, Tree } from "./state.js";

/** One request of a message (a compound chain has several), ready for its command. */
export interface SmbCall {
  readonly ctx: SmbContext;
  readonly conn: SmbConnection;
  readonly header: Smb2Header;
  /** The request's bytes, its header at offset 0 (offsets in the body count from there). */
  readonly message: Buffer;
  /** Positioned after the StructureSize field of the body. */
  readonly body: SmbReader;
  /** The session, for every command that needs one (checked before the command runs). */
  readonly session: Session | null;
  readonly tree: Tree | null;
  /** The FileId a related compound request means by 0xFFFF…FF: what the chain last opened. */
  readonly relatedFileId: bigint | null;
  /** What the message's replies hold of the connection's reply budget (SmbConnection.holdReplyBytes). */
  readonly replyHold: ReplyHold;
  /** Aborted when the client CANCELs the request (or the connection goes): a waiting command answers STATUS_CANCELLED. */
  readonly signal: AbortSignal;
  /** Tells the client the request will take a while (STATUS_PENDING); call before waiting on others. */
  goAsync(): void;
}

/** A command's answer: its status and the response body (the bytes after the header). */
export interface SmbReply {
  status: number;
  body: Buffer;
  /**
   * A buffer that starts with SMB2_HEADER_SIZE bytes of room and goes on with `body`: the
   * connection writes the header there rather than copying the body behind a new one (READ data).
   */
  withHeaderRoom?: Buffer;
  /** TREE_CONNECT: the new tree's id, for the response header. */
  treeId?: number;
  /** SESSION_SETUP: the session, for the response header (and signing). */
  session?: Session;
  /** CREATE: the volatile FileId opened, for related requests later in the chain. */
  openedFileId?: bigint;
}

/** A command: what it needs before it runs, and its handler (one file per command). */
export interface SmbCommand {
  readonly name: string;
  /** The request's StructureSize (MS-SMB2 §2.2.x), or the sizes of its forms; a request with another is malformed. */
  readonly structureSize: number | readonly number[];
  readonly needsSession: boolean;
  readonly needsTree: boolean;
  run(call: SmbCall): Promise<SmbReply> | SmbReply;
}

/** A reader over a request's body, after its StructureSize. */
export function bodyReader(message: Buffer): SmbReader {
  return new SmbReader(message, 64 + 2);
}
