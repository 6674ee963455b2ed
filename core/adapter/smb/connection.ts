import type { Socket } from "node:net";
import { SmbDecodeError, SmbWriter } from "../../protocol/smb2/buffer.js";
import {
  SMB1_PROTOCOL_ID,
  SMB2_CANCEL,
  SMB2_CREATE,
  SMB2_DIALECT_311,
  SMB2_FLAGS_ASYNC_COMMAND,
  SMB2_ECHO,
  SMB2_FLAGS_RELATED_OPERATIONS,
  SMB2_FLAGS_SIGNED,
  SMB2_HEADER_SIZE,
  SMB2_NEGOTIATE,
  SMB2_OPLOCK_BREAK,
  SMB2_PROTOCOL_ID,
  SMB2_SESSION_SETUP,
  SMB2_TRANSFORM_PROTOCOL_ID,
  STATUS_ACCESS_DENIED,
  STATUS_FILE_CLOSED,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_PARAMETER,
  STATUS_NETWORK_NAME_DELETED,
  STATUS_NOT_SUPPORTED,
  STATUS_PENDING,
  STATUS_USER_SESSION_DELETED,
} from "../../protocol/smb2/constants.js";
import { initialPreauthHash, updatePreauthHash } from "../../protocol/smb2/crypto/index.js";
import { decodeHeader, writeResponseHeader, type Smb2Header } from "../../protocol/smb2/header.js";
import type { Logger } from "../../util/logger.js";
import { bodyReader, type SmbCall, type SmbReply } from "./command.js";
import { commandFor } from "./commands/index.js";
import { MAX_CREDITS, MAX_IO_BYTES, MAX_MESSAGES_IN_FLIGHT, type SmbContext } from "./context.js";
import { CreditWindow } from "./credits.js";
import { isExpectedSmbError, smbError, smbStatusOf } from "./errors.js";
import { FrameAssembler, frameHeader, SmbFramingError } from "./framing.js";
import { ReplyBudget, type ReplyHold } from "./reply-budget.js";
import { assembleChain, type Response } from "./responses.js";
import { negotiateFromSmb1 } from "./commands/negotiate.js";
import type { Open, Session, Tree } from "./state.js";

/** A FileId of all ones: "the file the previous request of this chain opened". */
const RELATED_FILE_ID = 0xffff_ffff_ffff_ffffn;
/** The MessageId of a message the server sends unasked (an oplock or lease break). */
const NOTIFICATION_MESSAGE_ID = 0xffff_ffff_ffff_ffffn;
/** The SessionId / TreeId of a related request that inherits the previous one's. */
const INHERIT_SESSION = 0xffff_ffff_ffff_ffffn;
const INHERIT_TREE = 0xffff_ffff;
/** A message: the largest WRITE plus its header, or a compound chain of that size. */
const MAX_MESSAGE_BYTES = MAX_IO_BYTES + 64 * 1024;
/**
 * The responses of one compound chain held at once. A request starts only while the chain's
 * responses are below this, so a chain of many large READs costs a few MiB, not gigabytes, and
 * its reply stays far below the 16 MiB a transport frame can carry (MS-SMB2 §2.1).
 */
const MAX_CHAIN_RESPONSE_BYTES = 4 * MAX_IO_BYTES;
/** READ data a connection holds in replies not yet handed to the kernel (see ReplyBudget). */
const MAX_REPLY_BYTES_HELD = 4 * MAX_IO_BYTES;

/** Ended sessions a connection remembers, and live ones it tries, to sign the news that a session is gone. */
const ENDED_SESSIONS_KEPT = 8;
const MAX_SIGNERS_TRIED = 8;

let nextConnectionId = 1;

/** What NEGOTIATE settled for this connection (MS-SMB2 §3.3.1.7). */
export interface Negotiated {
  dialect: number;
  clientGuid: Buffer;
  clientCapabilities: number;
  clientSecurityMode: number;
  serverSecurityMode: number;
  capabilities: number;
  clientDialects: number[];
  /** SMB 3.x cipher id (0: none), signing algorithm id (MS-SMB2 §2.2.3.1.7). */
  cipherId: number;
  signingAlgorithmId: number;
}

/**
 * The responses of a chain so far, whether the request running is its last, the session that
 * sealed it, and the READ data its responses hold.
 */
interface ChainState {
  responses: Response[];
  last: boolean;
  sealedBy: Session | null;
  replyHold: ReplyHold;
}

/** What a related request of a compound chain inherits from the one before it (MS-SMB2 §3.3.5.2.7.2). */
interface ChainContext {
  sessionId: bigint;
  treeId: number;
  fileId: bigint | null;
  /** A failed CREATE's status, which every related request after it gets too. */
  status: number;
}

export interface ConnectionHooks {
  closed(connection: SmbConnection): void;
}

/**
 * One client's TCP connection: frames messages, decrypts, splits compound chains, checks
 * credits, sessions, trees and signatures, runs each command and sends its response (signed and
 * sealed as the session requires). Separate messages run concurrently, the requests of one chain
 * in order.
 */
export class SmbConnection {
  negotiated: Negotiated | null = null;
  /** SMB 3.1.1: the connection's preauth integrity hash (NEGOTIATE request and response). */
  preauthHash: Buffer | null = null;
  readonly sessions = new Map<bigint, Session>();
  readonly opens = new Map<bigint, Open>();
  readonly remoteAddress: string;
  /** Unique among the server's connections (lock owners and FileIds are per connection). */
  readonly id = nextConnectionId++;
  private readonly credits = new CreditWindow(MAX_CREDITS);
  private readonly frames = new FrameAssembler(MAX_MESSAGE_BYTES);
  private readonly log: Logger;
  private nextAsyncId = 1n;
  /** READ data in replies not yet written; READs past it wait. */
  readonly replies = new ReplyBudget(MAX_REPLY_BYTES_HELD);
  /** Requests being handled, by MessageId, and those gone asynchronous, by AsyncId (for CANCEL). */
  private readonly running = new Map<bigint, AbortController>();
  private readonly asyncRequests = new Map<bigint, AbortController>();
  /** The sessions ended last, oldest first (see deletedSessionSigner). */
  private readonly endedSessions = new Map<bigint, Session>();
  private inFlight = 0;
  private paused = false;
  private done = false;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: SmbContext,
    private readonly hooks: ConnectionHooks,
  ) {
    this.remoteAddress = socket.remoteAddress ?? "";
    this.log = ctx.logger.child({ remote: `${this.remoteAddress}:${socket.remotePort ?? 0}` });
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.log.debug({ err }, "SMB connection error"));
    socket.on("close", () => this.onClose());
    if (ctx.config.idleTimeout > 0) {
      socket.setTimeout(ctx.config.idleTimeout);
      socket.on("timeout", () => {
        if (this.inFlight === 0) socket.destroy();
      });
    }
  }

  /** The SMB1 NEGOTIATE spends message id 0, like the SMB2 one it stands for; returns the credits granted. */
  spendSmb1Negotiate(): number {
    if (!this.credits.spend(0n, 1)) throw new SmbFramingError("SMB1 NEGOTIATE after message id 0 was used");
    return this.credits.grant(1);
  }

  /** A fresh volatile FileId for an open on this connection (unique server-wide: a reclaimed durable open keeps its own). */
  newVolatileId(): bigint {
    return this.ctx.newFileId();
  }

  /** The open a request's FileId (persistent, volatile) names, if it belongs to the request's session and tree. */
  open(call: SmbCall, persistentId: bigint, volatileId: bigint): Open {
    let volatile = volatileId;
    if (persistentId === RELATED_FILE_ID && volatileId === RELATED_FILE_ID) {
      if (call.relatedFileId === null) throw smbError(STATUS_FILE_CLOSED, "related FileId with nothing opened before it");
      volatile = call.relatedFileId;
    }
    const open = this.opens.get(volatile);
    const persistentMatches = volatile !== volatileId || open?.persistentId === persistentId;
    if (!open || !persistentMatches || open.sessionId !== call.session?.id || open.treeId !== call.tree?.id) {
      throw smbError(STATUS_FILE_CLOSED, `no open with FileId ${volatile}`);
    }
    return open;
  }

  /**
   * An OPLOCK_BREAK notification (MS-SMB2 §3.3.4.6, §3.3.4.7): MessageId all ones, no session or
   * tree in the header, unsigned; sealed when the open's session or tree encrypts.
   */
  sendBreak(body: Buffer, open: Open | null): void {
    const message = Buffer.allocUnsafe(SMB2_HEADER_SIZE + body.length);
    writeResponseHeader(message, {
      command: SMB2_OPLOCK_BREAK,
      status: 0,
      creditCharge: 0,
      credits: 0,
      flags: 0,
      messageId: NOTIFICATION_MESSAGE_ID,
      treeId: 0,
      sessionId: 0n,
    });
    body.copy(message, SMB2_HEADER_SIZE);
    const session = open ? (this.sessions.get(open.sessionId) ?? null) : null;
    const seal = session && (session.encryptData || session.trees.get(open!.treeId)?.encrypt) ? session : null;
    this.send(assembleChain([{ bytes: message, signer: null }], seal));
  }

  /** Whether a request is being handled. */
  get busy(): boolean {
    return this.inFlight > 0;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    try {
      this.frames.push(chunk);
    } catch (err) {
      this.log.debug({ msg: (err as Error).message }, "closing SMB connection: bad framing");
      this.socket.destroy();
      return;
    }
    for (let message = this.frames.next(); message; message = this.frames.next()) {
      this.inFlight++;
      this.updateFlow();
      void this.process(message).finally(() => {
        this.inFlight--;
        this.updateFlow();
      });
    }
  }

  private updateFlow(): void {
    const shouldPause = this.inFlight >= MAX_MESSAGES_IN_FLIGHT || this.socket.writableNeedDrain;
    if (shouldPause && !this.paused) {
      this.paused = true;
      this.socket.pause();
      if (this.socket.writableNeedDrain) this.socket.once("drain", () => this.updateFlow());
    } else if (!shouldPause && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private async process(message: Buffer): Promise<void> {
    try {
      const protocol = message.length >= 4 ? message.readUInt32LE(0) : 0;
      if (protocol === SMB2_TRANSFORM_PROTOCOL_ID) return await this.processEncrypted(message);
      if (protocol === SMB1_PROTOCOL_ID) return this.processSmb1(message);
      if (protocol !== SMB2_PROTOCOL_ID) throw new SmbFramingError("not an SMB2 message");
      await this.processChain(message, null);
    } catch (err) {
      if (err instanceof SmbFramingError || err instanceof SmbDecodeError) {
        this.log.debug({ msg: err.message }, "closing SMB connection: malformed message");
      } else {
        this.log.error({ err }, "SMB message handling failed unexpectedly; closing the connection");
      }
      this.socket.destroy();
    }
  }

  /** A TRANSFORM_HEADER'ed message: opened with its session's key, answered sealed the same way. */
  private async processEncrypted(message: Buffer): Promise<void> {
    if (message.length < 52) throw new SmbFramingError("truncated TRANSFORM_HEADER");
    const session = this.sessions.get(message.readBigUInt64LE(44));
    if (!session?.keys?.decrypt) throw new SmbFramingError("encrypted message for a session without a cipher");
    let plain: Buffer;
    try {
      plain = session.keys.decrypt(message);
    } catch (err) {
      throw new SmbFramingError(`cannot decrypt: ${(err as Error).message}`);
    }
    if (plain.length < 4 || plain.readUInt32LE(0) !== SMB2_PROTOCOL_ID) throw new SmbFramingError("decrypted message is not SMB2");
    await this.processChain(plain, session);
  }

  /** An SMB1 NEGOTIATE that offers SMB2 (MS-SMB2 §3.3.5.3.1); anything else SMB1 closes the connection. */
  private processSmb1(message: Buffer): void {
    if (this.negotiated) throw new SmbFramingError("SMB1 message after NEGOTIATE");
    const response = negotiateFromSmb1(this.ctx, this, message);
    if (!response) throw new SmbFramingError("SMB1 request that does not offer SMB2");
    this.send([response]);
  }

  /**
   * Runs the requests of one message in order and sends their responses as one message.
   * `sealedBy`: the session whose key opened an encrypted message (its responses are sealed).
   */
  private async processChain(message: Buffer, sealedBy: Session | null): Promise<void> {
    const chain: ChainState = { responses: [], last: false, sealedBy, replyHold: { bytes: 0 } };
    let handedOff = false;
    try {
      handedOff = await this.runChain(message, chain);
    } finally {
      if (!handedOff) this.replies.release(chain.replyHold);
    }
  }

  /** processChain's work; true once the replies (and the chain's reply hold) are handed to the socket. */
  private async runChain(message: Buffer, chain: ChainState): Promise<boolean> {
    const { responses, sealedBy } = chain;
    let responseBytes = 0;
    let at = 0;
    let related = null as ChainContext | null;
    let replySession: Session | null = null;
    for (;;) {
      const header = decodeHeader(message.subarray(at));
      const next = header.nextCommand;
      if (next !== 0 && (next % 8 !== 0 || next < SMB2_HEADER_SIZE || at + next > message.length)) {
        throw new SmbDecodeError(`NextCommand ${next} at offset ${at}`);
      }
      const element = next === 0 ? message.subarray(at) : message.subarray(at, at + next);
      const isRelated = (header.flags & SMB2_FLAGS_RELATED_OPERATIONS) !== 0;
      if (isRelated && related === null) throw new SmbDecodeError("first request of a chain marked related");
      const context: ChainContext | null = isRelated ? related : null;
      const sessionId: bigint = context && header.sessionId === INHERIT_SESSION ? context.sessionId : header.sessionId;
      const treeId: number = context && header.treeId === INHERIT_TREE ? context.treeId : header.treeId;
      chain.last = next === 0;
      const full = responseBytes >= MAX_CHAIN_RESPONSE_BYTES;
      const outcome = await this.runRequest(element, header, sessionId, treeId, context, chain, full);
      // CANCEL gets no response.
      if (outcome !== null) {
        responses.push({ bytes: outcome.response, signer: outcome.signer });
        responseBytes += outcome.response.length;
        replySession = outcome.session ?? replySession;
        related = {
          sessionId: outcome.session?.id ?? sessionId,
          treeId: outcome.treeId,
          fileId: outcome.openedFileId ?? context?.fileId ?? null,
          // Only a CREATE that failed fails the rest (as Windows and Samba do): a failed READ or
          // WRITE leaves the FileId good for the requests after it.
          status: header.command === SMB2_CREATE && outcome.status !== 0 ? outcome.status : (context?.status ?? 0),
        };
      }
      if (next === 0) break;
      at += next;
    }
    if (responses.length === 0) return false;
    const sealFor = sealedBy ?? (replySession?.encryptData ? replySession : null);
    this.send(assembleChain(responses, sealFor), () => this.replies.release(chain.replyHold));
    return true;
  }

  /** Writes one message; `written` runs once the kernel has it (or the connection is gone). */
  private send(parts: Buffer[], written?: () => void): void {
    if (this.done || this.socket.destroyed) {
      written?.();
      return;
    }
    const length = parts.reduce((sum, part) => sum + part.length, 0);
    this.socket.cork();
    this.socket.write(frameHeader(length));
    parts.forEach((part, i) => this.socket.write(part, i === parts.length - 1 ? () => written?.() : undefined));
    this.socket.uncork();
  }

  /** One request: the checks of MS-SMB2 §3.3.5.2, the command, and its response header. */
  private async runRequest(
    element: Buffer,
    header: Smb2Header,
    sessionId: bigint,
    treeId: number,
    context: { fileId: bigint | null; status: number } | null,
    chain: ChainState,
    chainFull: boolean,
  ): Promise<{ response: Buffer; signer: Session | null; status: number; session?: Session; treeId: number; openedFileId?: bigint } | null> {
    const sealedBy = chain.sealedBy;
    if (header.command === SMB2_CANCEL) {
      this.cancel(header);
      return null;
    }
    const granted = this.credits.spend(header.messageId, this.negotiated && this.negotiated.dialect > 0x0202 ? header.creditCharge : 1)
      ? this.credits.grant(header.credits)
      : null;
    if (granted === null) throw new SmbFramingError(`message id ${header.messageId} was not granted or was used before`);
    const command = commandFor(header.command);
    let session: Session | null = null;
    let tree: Tree | null = null;
    let reply: SmbReply;
    const controller = new AbortController();
    let asyncId: bigint | undefined;
    this.running.set(header.messageId, controller);
    try {
      if (!command) throw smbError(STATUS_NOT_SUPPORTED, `unknown command ${header.command}`);
      if (header.command !== SMB2_NEGOTIATE && !this.negotiated) throw new SmbFramingError("request before NEGOTIATE");
      if (header.command === SMB2_NEGOTIATE && this.negotiated) throw new SmbFramingError("second NEGOTIATE");
      session = this.sessionFor(header, sessionId, command.needsSession);
      if (session) this.checkIntegrity(element, header, session, sealedBy);
      if (context && context.status !== 0) throw smbError(context.status, "an earlier request of the chain failed");
      if (chainFull) throw smbError(STATUS_INSUFFICIENT_RESOURCES, "the compound's responses are at their limit");
      if (command.needsTree) tree = this.treeFor(session!, treeId, sealedBy);
      if (element.length < SMB2_HEADER_SIZE + 2 || !acceptsStructureSize(command.structureSize, element.readUInt16LE(SMB2_HEADER_SIZE))) {
        throw smbError(STATUS_INVALID_PARAMETER, `${command.name} with StructureSize ${element.length >= 66 ? element.readUInt16LE(64) : "missing"}`);
      }
      const call: SmbCall = {
        ctx: this.ctx,
        conn: this,
        header,
        message: element,
        body: bodyReader(element),
        session,
        tree,
        relatedFileId: context?.fileId ?? null,
        replyHold: chain.replyHold,
        signal: controller.signal,
        goAsync: () => {
          asyncId ??= this.sendInterim(header, granted, sessionId, treeId, controller, chain);
        },
      };
      reply = await command.run(call);
    } catch (err) {
      if (err instanceof SmbFramingError) throw err;
      reply = { status: smbStatusOf(err), body: errorBody() };
      if (!isExpectedSmbError(err)) this.log.error({ err, command: command?.name }, "SMB command raised an unexpected error");
      else if (this.log.isLevelEnabled("debug")) this.log.debug({ command: command?.name, msg: (err as Error).message }, "SMB request failed");
    }
    this.running.delete(header.messageId);
    if (asyncId !== undefined) this.asyncRequests.delete(asyncId);
    const replySession = reply.session ?? session;
    const signer = replySession ?? this.deletedSessionSigner(element, header, sessionId, reply.status);
    const response = reply.withHeaderRoom ?? Buffer.allocUnsafe(SMB2_HEADER_SIZE + reply.body.length);
    writeResponseHeader(response, {
      command: header.command,
      status: reply.status,
      creditCharge: header.creditCharge,
      // The interim response of an async request granted the credits (MS-SMB2 §3.3.4.3).
      credits: asyncId === undefined ? granted : 0,
      asyncId,
      flags: (header.flags & SMB2_FLAGS_RELATED_OPERATIONS) | (this.shouldSign(header, signer, reply) ? SMB2_FLAGS_SIGNED : 0),
      messageId: header.messageId,
      treeId: reply.treeId ?? treeId,
      sessionId: replySession?.id ?? sessionId,
    });
    if (!reply.withHeaderRoom) reply.body.copy(response, SMB2_HEADER_SIZE);
    if (header.command === SMB2_SESSION_SETUP && replySession) this.recordSessionSetup(replySession, element, response, reply.status);
    if (header.command === SMB2_NEGOTIATE && reply.status === 0 && this.negotiated?.dialect === SMB2_DIALECT_311) {
      this.preauthHash = updatePreauthHash(updatePreauthHash(initialPreauthHash(), element), response);
    }
    return { response, signer, status: reply.status, session: reply.session, treeId: reply.treeId ?? treeId, openedFileId: reply.openedFileId };
  }

  /**
   * Turns a request that must wait (a blocking lock, CHANGE_NOTIFY) asynchronous (MS-SMB2
   * §3.3.4.2): an unsigned STATUS_PENDING interim response with a new AsyncId, sent with the
   * responses the chain has so far, carries the request's credits. Only the last request of a
   * chain goes asynchronous; an earlier one just waits (returns undefined).
   */
  private sendInterim(header: Smb2Header, credits: number, sessionId: bigint, treeId: number, controller: AbortController, chain: ChainState): bigint | undefined {
    if (!chain.last) return undefined;
    const asyncId = this.nextAsyncId++;
    this.asyncRequests.set(asyncId, controller);
    const interim = Buffer.allocUnsafe(SMB2_HEADER_SIZE + 9);
    writeResponseHeader(interim, {
      command: header.command,
      status: STATUS_PENDING,
      creditCharge: header.creditCharge,
      credits,
      flags: header.flags & SMB2_FLAGS_RELATED_OPERATIONS,
      messageId: header.messageId,
      treeId,
      sessionId,
      asyncId,
    });
    errorBody().copy(interim, SMB2_HEADER_SIZE);
    const parts = [...chain.responses, { bytes: interim, signer: null }];
    chain.responses.length = 0;
    const session = this.sessions.get(sessionId) ?? null;
    // The responses sent now give back what they held.
    this.send(assembleChain(parts, chain.sealedBy ?? (session?.encryptData ? session : null)), () => this.replies.release(chain.replyHold));
    return asyncId;
  }

  /** CANCEL (MS-SMB2 §3.3.5.16): the request it names, by AsyncId or MessageId, stops waiting and answers STATUS_CANCELLED. */
  private cancel(header: Smb2Header): void {
    const target = header.flags & SMB2_FLAGS_ASYNC_COMMAND ? this.asyncRequests.get(header.asyncId) : this.running.get(header.messageId);
    target?.abort();
  }

  /** The request's session, as the command needs it; STATUS_USER_SESSION_DELETED when unknown. */
  private sessionFor(header: Smb2Header, sessionId: bigint, needed: boolean): Session | null {
    if (sessionId === 0n) {
      if (needed) throw smbError(STATUS_USER_SESSION_DELETED, "request without a session");
      return null;
    }
    const session = this.sessions.get(sessionId);
    if (!session) {
      // A SESSION_SETUP naming another connection's session (a binding) is refused by the command,
      // signed with that session's key as Windows and Samba sign it (MS-SMB2 §3.3.5.5).
      const other = header.command === SMB2_SESSION_SETUP ? this.ctx.globalSession(sessionId)?.session : undefined;
      if (other?.state === "valid") return other;
      if (needed || header.command === SMB2_SESSION_SETUP) throw smbError(STATUS_USER_SESSION_DELETED, `no session ${sessionId}`);
      return null;
    }
    if (needed && session.state === "in-progress") throw smbError(STATUS_USER_SESSION_DELETED, `session ${sessionId} is not set up`);
    return session;
  }

  /**
   * MS-SMB2 §3.3.5.2.4: a request of a session that signs must carry a right signature (a wrong
   * one closes nothing but the request: STATUS_ACCESS_DENIED); a session that encrypts takes only
   * encrypted requests. ECHO, and SESSION_SETUP still in progress, are exempt.
   */
  private checkIntegrity(element: Buffer, header: Smb2Header, session: Session, sealedBy: Session | null): void {
    if (sealedBy) {
      if (sealedBy !== session) throw smbError(STATUS_ACCESS_DENIED, "request sealed by another session");
      return;
    }
    if (session.state !== "valid" || header.command === SMB2_ECHO) return;
    // Another connection's session is only refused (see sessionFor): neither sealed nor signed is required.
    const foreign = !this.sessions.has(session.id);
    if (session.encryptData && !foreign) throw smbError(STATUS_ACCESS_DENIED, "unencrypted request on a session that encrypts");
    const signed = (header.flags & SMB2_FLAGS_SIGNED) !== 0;
    if (!signed) {
      if (session.signingRequired && !foreign) throw smbError(STATUS_ACCESS_DENIED, "unsigned request on a session that signs");
      return;
    }
    if (!session.keys?.verify(element)) throw smbError(STATUS_ACCESS_DENIED, "bad signature");
  }

  private treeFor(session: Session, treeId: number, sealedBy: Session | null): Tree {
    const tree = session.trees.get(treeId);
    if (!tree) throw smbError(STATUS_NETWORK_NAME_DELETED, `no tree ${treeId}`);
    if (tree.encrypt && !sealedBy) throw smbError(STATUS_ACCESS_DENIED, "unencrypted request on a tree that requires encryption");
    return tree;
  }

  /**
   * Responses are signed when their session signs, or answer a signed request, never before a key
   * exists; of a first SESSION_SETUP, only the final one (a reauthentication's come signed).
   */
  private shouldSign(header: Smb2Header, session: Session | null, reply: SmbReply): boolean {
    if (!session?.keys) return false;
    const signedRequest = (header.flags & SMB2_FLAGS_SIGNED) !== 0;
    if (header.command === SMB2_SESSION_SETUP) return reply.status === 0 || signedRequest;
    return session.signingRequired || signedRequest;
  }

  /**
   * SMB 3.1.1 (§3.3.5.5): every SESSION_SETUP request, and each response but the final one, extends
   * the session's hash, until its keys are derived (a reauthentication or a refused binding leaves it).
   */
  private recordSessionSetup(session: Session, request: Buffer, response: Buffer, status: number): void {
    if (session.preauthHash === null || session.state === "valid") return;
    session.preauthHash = updatePreauthHash(session.preauthHash, request);
    if (status !== 0) session.preauthHash = updatePreauthHash(session.preauthHash, response);
  }

  /**
   * The session whose key signed a request answered STATUS_USER_SESSION_DELETED (one this
   * connection ended lately, or one of its own the client signed with while naming another id):
   * a client that requires signing takes an unsigned answer for an attack and drops the
   * connection, rather than learning that the session is gone. Only a key that verifies the
   * request signs, so no one gets a signature they could not make themselves.
   */
  private deletedSessionSigner(element: Buffer, header: Smb2Header, sessionId: bigint, status: number): Session | null {
    if (status !== STATUS_USER_SESSION_DELETED || !(header.flags & SMB2_FLAGS_SIGNED)) return null;
    const named = this.endedSessions.get(sessionId);
    const candidates = [...(named ? [named] : []), ...[...this.sessions.values()].slice(0, MAX_SIGNERS_TRIED), ...this.endedSessions.values()];
    return candidates.find((session) => session.keys?.verify(element)) ?? null;
  }

  /**
   * Ends a session, once however many ask (LOGOFF, a new session naming it, the connection
   * closing): its opens close (delete on close honoured), its trees go. With `keepDurable` (the
   * connection dropped, a LOGOFF, a new session that names this one as its previous) its durable
   * opens are kept for their client to reclaim.
   */
  endSession(session: Session, keepDurable = false): Promise<void> {
    session.ending ??= this.closeSession(session, keepDurable);
    return session.ending;
  }

  private async closeSession(session: Session, keepDurable: boolean): Promise<void> {
    this.sessions.delete(session.id);
    this.endedSessions.set(session.id, session);
    if (this.endedSessions.size > ENDED_SESSIONS_KEPT) this.endedSessions.delete(this.endedSessions.keys().next().value!);
    this.ctx.forgetSession(session.id);
    for (const open of [...this.opens.values()]) {
      if (open.sessionId !== session.id) continue;
      if (keepDurable && open.durable) {
        this.opens.delete(open.volatileId);
        if (this.ctx.disconnected.hold(open)) continue;
      }
      // The session has left the table: its delete on close still acts as its user.
      await this.closeOpen(open, session);
    }
  }

  async endTree(session: Session, tree: Tree): Promise<void> {
    session.trees.delete(tree.id);
    for (const open of [...this.opens.values()]) if (open.sessionId === session.id && open.treeId === tree.id) await this.closeOpen(open);
  }

  /** Closes an open: a pending delete on close removes the name once no other open of it remains. */
  async closeOpen(open: Open, session = this.sessions.get(open.sessionId) ?? null): Promise<void> {
    this.opens.delete(open.volatileId);
    await this.ctx.closeOpen(open, session);
  }

  private onClose(): void {
    if (this.done) return;
    this.done = true;
    for (const controller of this.running.values()) controller.abort();
    this.replies.close();
    void (async () => {
      for (const session of [...this.sessions.values()]) await this.endSession(session, true).catch((err) => this.log.warn({ err }, "closing a session's opens failed"));
      this.hooks.closed(this);
    })();
  }
}

function acceptsStructureSize(expected: number | readonly number[], size: number): boolean {
  return typeof expected === "number" ? size === expected : expected.includes(size);
}

/** The body of an error response (MS-SMB2 §2.2.2): StructureSize 9, no error contexts, one byte of data. */
export function errorBody(): Buffer {
  return new SmbWriter(9).u16(9).u8(0).u8(0).u32(0).u8(0).buffer();
}
