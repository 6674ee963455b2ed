/**
 * A minimal SMB2 client over direct TCP (MS-SMB2 §2.1: a zero byte, a 24-bit length, the
 * message), for sending the server what no well-behaved client would: broken framing, bad
 * headers, offsets outside the message, unknown ids, replayed message ids, bad signatures and
 * seals. It speaks SMB 3.0.2 (AES-CMAC signing, AES-128-CCM sealing, no preauth hash) and logs
 * on with NTLMv2 through SPNEGO, built from the project's codecs (MS-NLMP §3.1.5).
 */
import { randomBytes } from "node:crypto";
import { type Socket, connect } from "node:net";
import {
  AUTHENTICATE_MIC_OFFSET,
  MsvAvFlags,
  MsvAvTimestamp,
  OID_NTLMSSP,
  SMB2_ENCRYPTION_AES128_CCM,
  SMB2_SIGNING_AES_CMAC,
  decodeChallenge,
  decodeNegTokenResp,
  decryptMessage,
  deriveSessionKeys,
  encodeAuthenticate,
  encodeNegTokenInit,
  encodeNegTokenResp,
  encodeNegotiate,
  encodeNtlmV2ClientChallenge,
  encryptMessage,
  findAvPair,
  hmacMd5,
  ntHash,
  ntowfV2,
  ntProofStr,
  rc4k,
  sessionBaseKey,
  signMessage,
} from "../../core/testing/smb2.js";

export const SMB2_NEGOTIATE = 0x0000;
export const SMB2_SESSION_SETUP = 0x0001;
export const SMB2_LOGOFF = 0x0002;
export const SMB2_TREE_CONNECT = 0x0003;
export const SMB2_CREATE = 0x0005;
export const SMB2_CLOSE = 0x0006;
export const SMB2_READ = 0x0008;
export const SMB2_WRITE = 0x0009;
export const SMB2_FLUSH = 0x0007;
export const SMB2_IOCTL = 0x000b;
export const SMB2_ECHO = 0x000d;
export const SMB2_QUERY_DIRECTORY = 0x000e;
export const SMB2_QUERY_INFO = 0x0010;
export const SMB2_SET_INFO = 0x0011;
export const SMB2_CHANGE_NOTIFY = 0x000f;
export const SMB2_OPLOCK_BREAK = 0x0012;
export const SMB2_LOCK = 0x000a;

export const SMB2_FLAGS_RELATED_OPERATIONS = 0x0000_0004;
export const SMB2_FLAGS_SIGNED = 0x0000_0008;

export const STATUS_SUCCESS = 0;
export const STATUS_PENDING = 0x0000_0103;
export const STATUS_MORE_PROCESSING_REQUIRED = 0xc000_0016;
export const STATUS_INVALID_PARAMETER = 0xc000_000d;
export const STATUS_ACCESS_DENIED = 0xc000_0022;
export const STATUS_NETWORK_NAME_DELETED = 0xc000_00c9;
export const STATUS_FILE_CLOSED = 0xc000_0128;
export const STATUS_TOO_MANY_OPENED_FILES = 0xc000_011f;
export const STATUS_INSUFFICIENT_RESOURCES = 0xc000_009a;
export const STATUS_USER_SESSION_DELETED = 0xc000_0203;

const SMB2_PROTOCOL_ID = 0x424d_53fe;
const HEADER_SIZE = 64;
const DIALECT_302 = 0x0302;
const SMB2_GLOBAL_CAP_ENCRYPTION = 0x40;
const SIGNING_ENABLED = 0x01;
/** UNICODE, REQUEST_TARGET, SIGN, SEAL, NTLM, ALWAYS_SIGN, ESS, TARGET_INFO, VERSION, 128, KEY_EXCH, 56 (what smbclient asks for). */
const NTLM_FLAGS = 0xe2888235 | 0x4;
/** Credits asked for with every request: plenty for these tests, far below the server's cap. */
const CREDITS_ASKED = 64;

/** The 4-byte direct TCP header for a message of `length` bytes (the first byte is the frame type). */
export function transportHeader(length: number, type = 0): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(length);
  header[0] = type;
  return header;
}

export function frame(message: Buffer): Buffer {
  return Buffer.concat([transportHeader(message.length), message]);
}

export interface HeaderFields {
  command: number;
  messageId: bigint;
  sessionId?: bigint;
  treeId?: number;
  creditCharge?: number;
  credits?: number;
  flags?: number;
  nextCommand?: number;
}

/** A request: the 64-byte sync header (MS-SMB2 §2.2.1.2) followed by `body`. */
export function request(fields: HeaderFields, body: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt32LE(SMB2_PROTOCOL_ID, 0);
  header.writeUInt16LE(HEADER_SIZE, 4);
  header.writeUInt16LE(fields.creditCharge ?? 1, 6);
  header.writeUInt16LE(fields.command, 12);
  header.writeUInt16LE(fields.credits ?? CREDITS_ASKED, 14);
  header.writeUInt32LE((fields.flags ?? 0) >>> 0, 16);
  header.writeUInt32LE(fields.nextCommand ?? 0, 20);
  header.writeBigUInt64LE(fields.messageId, 24);
  header.writeUInt32LE(fields.treeId ?? 0, 36);
  header.writeBigUInt64LE(fields.sessionId ?? 0n, 40);
  return Buffer.concat([header, body]);
}

/** Little-endian field writer for request bodies. */
class Body {
  private readonly parts: Buffer[] = [];
  u8(v: number): this {
    return this.raw(Buffer.from([v]));
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return this.raw(b);
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.raw(b);
  }
  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    return this.raw(b);
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A FileId as its 16 wire bytes (persistent, volatile). */
export type FileId = Buffer;

/** §2.2.3 NEGOTIATE offering 3.0.2 only, with the encryption capability; a random ClientGuid unless given. */
export function negotiateBody(dialects: number[] = [DIALECT_302], clientGuid: Buffer = randomBytes(16)): Buffer {
  const body = new Body().u16(36).u16(dialects.length).u16(SIGNING_ENABLED).u16(0).u32(SMB2_GLOBAL_CAP_ENCRYPTION);
  body.raw(clientGuid).u32(0).u16(0).u16(0);
  for (const d of dialects) body.u16(d);
  return body.done();
}

/**
 * §2.2.5 SESSION_SETUP; the security buffer sits right after the fixed part unless `offset` says
 * otherwise. `previousSessionId`: the session a reconnecting client had; `flags`: 0x01 asks to bind.
 */
export function sessionSetupBody(token: Buffer, offset = HEADER_SIZE + 24, previousSessionId = 0n, flags = 0): Buffer {
  return new Body().u16(25).u8(flags).u8(SIGNING_ENABLED).u32(0).u32(0).u16(offset).u16(token.length).u64(previousSessionId).raw(token).done();
}

/** §2.2.35 CHANGE_NOTIFY of a directory open for the changes in `filter`. */
export function changeNotifyBody(dirId: FileId, filter: number): Buffer {
  return new Body().u16(32).u16(0).u32(4096).raw(dirId).u32(filter).u32(0).done();
}

/** §2.2.9 TREE_CONNECT to `\\127.0.0.1\share`. */
export function treeConnectBody(share: string): Buffer {
  const path = Buffer.from(`\\\\127.0.0.1\\${share}`, "utf16le");
  return new Body().u16(9).u16(0).u16(HEADER_SIZE + 8).u16(path.length).raw(path).done();
}

/** §2.2.13 CREATE of `name` (relative to the share) with read/write access, opened or created; a file unless `options` says otherwise. */
export function createBody(name: string, nameOffset = HEADER_SIZE + 56, nameLength?: number, options = 0x40): Buffer {
  const encoded = Buffer.from(name, "utf16le");
  const body = new Body().u16(57).u8(0).u8(0).u32(2 /* impersonation */).u64(0n).u64(0n);
  body.u32(0x0012_019f /* generic read/write bits */).u32(0x80).u32(7 /* share all */).u32(3 /* FILE_OPEN_IF */).u32(options);
  body.u16(nameOffset).u16(nameLength ?? encoded.length).u32(0).u32(0);
  return body.raw(encoded.length > 0 ? encoded : Buffer.alloc(1)).done();
}

/**
 * §2.2.13 CREATE of `name` with read/write access (opened or created) asking for an oplock level,
 * or for a lease (level 0xFF and a version 1 RqLs context, §2.2.13.2.8) with `key` and `state`.
 */
export function cachingCreateBody(name: string, caching: { oplockLevel: number } | { leaseKey: Buffer; leaseState: number }): Buffer {
  if (!("leaseKey" in caching)) return createWithContextsBody(name, [], { oplockLevel: caching.oplockLevel });
  // LeaseKey, LeaseState, LeaseFlags, LeaseDuration.
  const lease = new Body().raw(caching.leaseKey).u32(caching.leaseState).u32(0).u64(0n).done();
  return createWithContextsBody(name, [["RqLs", lease]], { oplockLevel: 0xff });
}

/** What a CREATE asks besides its name (defaults: read/write/delete access, share all, FILE_OPEN_IF, a file, no oplock). */
export interface CreateOptions {
  oplockLevel?: number;
  access?: number;
  shareAccess?: number;
  disposition?: number;
  options?: number;
}

/** §2.2.13 CREATE of `name` with create contexts (§2.2.13.2): each a tag and its data. */
export function createWithContextsBody(name: string, contexts: Array<[string, Buffer]>, create: CreateOptions = {}): Buffer {
  const encoded = Buffer.from(name, "utf16le");
  const contextsOffset = HEADER_SIZE + 56 + Math.ceil(Math.max(encoded.length, 1) / 8) * 8;
  const chain = new Body();
  contexts.forEach(([tag, data], i) => {
    const length = 24 + data.length;
    const padded = i === contexts.length - 1 ? length : Math.ceil(length / 8) * 8;
    // Next, NameOffset 16, NameLength 4, Reserved, DataOffset 24, DataLength, the tag, padding, data.
    chain.u32(i === contexts.length - 1 ? 0 : padded).u16(16).u16(4).u16(0).u16(24).u32(data.length).raw(Buffer.from(tag, "latin1")).u32(0).raw(data);
    chain.raw(Buffer.alloc(padded - length));
  });
  const contextBytes = chain.done();
  const body = new Body().u16(57).u8(0).u8(create.oplockLevel ?? 0).u32(2).u64(0n).u64(0n);
  body.u32(create.access ?? 0x0012_019f).u32(0x80).u32(create.shareAccess ?? 7).u32(create.disposition ?? 3).u32(create.options ?? 0x40);
  body.u16(HEADER_SIZE + 56).u16(encoded.length).u32(contexts.length > 0 ? contextsOffset : 0).u32(contextBytes.length);
  body.raw(encoded.length > 0 ? encoded : Buffer.alloc(1));
  if (contexts.length === 0) return body.done();
  body.raw(Buffer.alloc(contextsOffset - HEADER_SIZE - 56 - Math.max(encoded.length, 1)));
  return body.raw(contextBytes).done();
}

/** §2.2.13.2.8 RqLs (version 1): a lease key and the state asked for. */
export function leaseContext(key: Buffer, state: number): [string, Buffer] {
  return ["RqLs", new Body().raw(key).u32(state).u32(0).u64(0n).done()];
}

/** §2.2.13.2.3 DHnQ: a durable v1 open. */
export function durableV1Context(): [string, Buffer] {
  return ["DHnQ", Buffer.alloc(16)];
}

/** §2.2.13.2.11 DH2Q: a durable v2 open with a timeout (ms, 0 for the server's default) and the client's CreateGuid. */
export function durableV2Context(createGuid: Buffer, timeoutMs: number): [string, Buffer] {
  return ["DH2Q", new Body().u32(timeoutMs).u32(0).u64(0n).raw(createGuid).done()];
}

/** §2.2.13.2.4 DHnC: reclaim the durable v1 open with this FileId. */
export function durableReconnectContext(fileId: FileId): [string, Buffer] {
  return ["DHnC", Buffer.from(fileId)];
}

/** §2.2.13.2.12 DH2C: reclaim the durable v2 open with this FileId and CreateGuid. */
export function durableReconnectV2Context(fileId: FileId, createGuid: Buffer): [string, Buffer] {
  return ["DH2C", new Body().raw(fileId).raw(createGuid).u32(0).done()];
}

/** The create contexts of a CREATE response (§2.2.14.2), by tag. */
export function responseContexts(response: Response): Map<string, Buffer> {
  const contexts = new Map<string, Buffer>();
  const offset = response.message.readUInt32LE(HEADER_SIZE + 80);
  if (offset === 0) return contexts;
  for (let at = offset; ; ) {
    const next = response.message.readUInt32LE(at);
    const tag = response.message.subarray(at + response.message.readUInt16LE(at + 4), at + response.message.readUInt16LE(at + 4) + 4).toString("latin1");
    const dataOffset = response.message.readUInt16LE(at + 10);
    contexts.set(tag, Buffer.from(response.message.subarray(at + dataOffset, at + dataOffset + response.message.readUInt32LE(at + 12))));
    if (next === 0) return contexts;
    at += next;
  }
}

/** §2.2.26 LOCK of one range; `flags` 2 (exclusive) | 0x10 (fail immediately), or 4 to unlock. */
export function lockBody(fileId: FileId, offset: bigint, length: bigint, flags: number): Buffer {
  return new Body().u16(48).u16(1).u32(0).raw(fileId).u64(offset).u64(length).u32(flags).u32(0).done();
}

/** §2.2.24.1 oplock break acknowledgment: the level kept. */
export function oplockAckBody(fileId: FileId, level: number): Buffer {
  return new Body().u16(24).u8(level).u8(0).u32(0).raw(fileId).done();
}

/** §2.2.24.2 lease break acknowledgment: the state kept. */
export function leaseAckBody(key: Buffer, state: number): Buffer {
  return new Body().u16(36).u16(0).u32(0).raw(key).u32(state).u64(0n).done();
}

/** §2.2.21 WRITE of `data` at `offset`. */
export function writeBody(fileId: FileId, offset: bigint, data: Buffer, dataOffset = HEADER_SIZE + 48, dataLength?: number): Buffer {
  return new Body().u16(49).u16(dataOffset).u32(dataLength ?? data.length).u64(offset).raw(fileId).u32(0).u32(0).u16(0).u16(0).u32(0).raw(data).done();
}

/** §2.2.19 READ of `length` bytes at `offset`. */
export function readBody(fileId: FileId, offset: bigint, length: number): Buffer {
  return new Body().u16(49).u8(0x50).u8(0).u32(length).u64(offset).raw(fileId).u32(0).u32(0).u32(0).u16(0).u16(0).u8(0).done();
}

/** §2.2.37 QUERY_INFO: FileStandardInformation (class 5) of a file. */
export function queryInfoBody(fileId: FileId): Buffer {
  return new Body().u16(41).u8(1).u8(5).u32(4096).u16(0).u16(0).u32(0).u32(0).u32(0).raw(fileId).u8(0).done();
}

/** §2.2.39 SET_INFO of `data` for (InfoType, FileInfoClass). */
export function setInfoBody(fileId: FileId, infoType: number, infoClass: number, data: Buffer): Buffer {
  return new Body().u16(33).u8(infoType).u8(infoClass).u32(data.length).u16(HEADER_SIZE + 32).u16(0).u32(0).raw(fileId).raw(data.length > 0 ? data : Buffer.alloc(1)).done();
}

/** §2.2.33 QUERY_DIRECTORY of a directory open, restarting the scan. */
export function queryDirectoryBody(dirId: FileId, infoClass: number, pattern: string): Buffer {
  const name = Buffer.from(pattern, "utf16le");
  return new Body().u16(33).u8(infoClass).u8(0x01).u32(0).raw(dirId).u16(HEADER_SIZE + 32).u16(name.length).u32(65536).raw(name).done();
}

/** §2.2.31 IOCTL (an FSCTL) with `input`. */
export function ioctlBody(ctlCode: number, fileId: FileId, input: Buffer): Buffer {
  const body = new Body().u16(57).u16(0).u32(ctlCode).raw(fileId).u32(HEADER_SIZE + 56).u32(input.length).u32(0).u32(0).u32(0).u32(65536).u32(1).u32(0);
  return body.raw(input.length > 0 ? input : Buffer.alloc(1)).done();
}

/** §2.2.15 CLOSE. */
export function closeBody(fileId: FileId): Buffer {
  return new Body().u16(24).u16(0).u32(0).raw(fileId).done();
}

export function fileIdOf(persistent: bigint, volatile: bigint): FileId {
  const id = Buffer.alloc(16);
  id.writeBigUInt64LE(persistent, 0);
  id.writeBigUInt64LE(volatile, 8);
  return id;
}

/** A response as the tests look at it. */
export interface Response {
  status: number;
  command: number;
  messageId: bigint;
  credits: number;
  sessionId: bigint;
  treeId: number;
  /** The whole message, header included. */
  message: Buffer;
}

function parseResponse(message: Buffer): Response {
  if (message.length < HEADER_SIZE || message.readUInt32LE(0) !== SMB2_PROTOCOL_ID) {
    throw new Error(`not an SMB2 response: ${message.subarray(0, 80).toString("hex")}`);
  }
  return {
    status: message.readUInt32LE(8),
    command: message.readUInt16LE(12),
    credits: message.readUInt16LE(14),
    messageId: message.readBigUInt64LE(24),
    treeId: message.readUInt32LE(36),
    sessionId: message.readBigUInt64LE(40),
    message,
  };
}

/** A TCP connection that splits what the server sends into messages. */
export class SmbSocket {
  /** Received bytes not yet split into messages (kept as chunks: responses may be hundreds of MiB). */
  private readonly chunks: Buffer[] = [];
  private chunkBytes = 0;
  private readonly messages: Buffer[] = [];
  private isClosed = false;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.chunkBytes += chunk.length;
      for (;;) {
        if (this.chunkBytes < 4) break;
        if (this.chunks[0]!.length < 4) this.chunks.splice(0, this.chunks.length, Buffer.concat(this.chunks));
        const length = this.chunks[0]!.readUInt32BE(0) & 0xff_ffff;
        if (this.chunkBytes < 4 + length) break;
        const all = Buffer.concat(this.chunks);
        this.chunks.splice(0, this.chunks.length);
        this.messages.push(all.subarray(4, 4 + length));
        const rest = all.subarray(4 + length);
        this.chunkBytes = rest.length;
        if (rest.length > 0) this.chunks.push(rest);
      }
      this.notify();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.isClosed = true;
      this.notify();
    });
  }

  static open(port: number): Promise<SmbSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port }, () => {
        socket.off("error", reject);
        resolve(new SmbSocket(socket));
      });
      socket.once("error", reject);
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Writes raw bytes; resolves once they are handed to the kernel (or the peer has gone). */
  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.isClosed || this.socket.destroyed) return resolve();
      this.socket.write(bytes, () => resolve());
    });
  }

  /** The next message from the server; rejects if the connection closes or nothing comes in time. */
  async next(timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length === 0) {
      if (this.isClosed) throw new Error("the server closed the connection instead of replying");
      if (Date.now() > deadline) throw new Error(`no reply within ${timeoutMs} ms`);
      await this.wait(deadline - Date.now());
    }
    return this.messages.shift()!;
  }

  /** Resolves true once the server has closed the connection, false after `timeoutMs`. */
  async waitClosed(timeoutMs = 5_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.isClosed && Date.now() < deadline) await this.wait(deadline - Date.now());
    return this.isClosed;
  }

  /** Stops reading from the socket (the server's replies pile up on its side), or starts again. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      this.waiters.add(done);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export interface SendOptions {
  /** Sign with the session's key (default: once a session is set up). */
  sign?: boolean;
  /** Seal in a TRANSFORM_HEADER with the session's key. */
  encrypt?: boolean;
}

/**
 * One SMB2 connection with at most one session and one tree: message ids in order, requests
 * signed once the session has a key. `send` writes any message; `call` builds, sends and waits.
 */
export class SmbRawClient {
  nextMessageId = 0n;
  sessionId = 0n;
  treeId = 0;
  private signingKey: Buffer | null = null;
  /** The server's DecryptionKey (what the client seals with) and EncryptionKey (what it opens). */
  private sealKey: Buffer | null = null;
  private openKey: Buffer | null = null;

  private constructor(readonly socket: SmbSocket) {}

  static async connect(port: number): Promise<SmbRawClient> {
    return new SmbRawClient(await SmbSocket.open(port));
  }

  /** Connects, negotiates 3.0.2 (as `clientGuid`, random if not given), logs on and connects to `share`. */
  static async logon(port: number, user: string, password: string, share: string, clientGuid?: Buffer): Promise<SmbRawClient> {
    const client = await SmbRawClient.connect(port);
    await client.negotiate(clientGuid);
    await client.sessionSetup(user, password);
    await client.treeConnect(share);
    return client;
  }

  /** The header fields of the next request on this session and tree, spending the next id(s). */
  fields(command: number, creditCharge = 1): HeaderFields {
    const messageId = this.nextMessageId;
    this.nextMessageId += BigInt(Math.max(1, creditCharge));
    return { command, messageId, sessionId: this.sessionId, treeId: this.treeId, creditCharge };
  }

  /** Signs a built request in place with the session's key; returns it. */
  sign(message: Buffer): Buffer {
    signMessage(SMB2_SIGNING_AES_CMAC, this.signingKey!, message);
    return message;
  }

  /** Signs (and seals) a built request as the session does, then writes it. */
  async send(message: Buffer, options: SendOptions = {}): Promise<void> {
    if ((options.sign ?? this.signingKey !== null) && this.signingKey) signMessage(SMB2_SIGNING_AES_CMAC, this.signingKey, message);
    const wire = options.encrypt ? encryptMessage(SMB2_ENCRYPTION_AES128_CCM, this.sealKey!, this.sessionId, message) : message;
    await this.socket.write(frame(wire));
  }

  /**
   * Sends requests as one compound message (MS-SMB2 §3.2.4.1.4): each but the last padded to 8
   * bytes and pointing at the next, each signed on its own.
   */
  async sendChain(requests: Array<{ command: number; body: Buffer; creditCharge?: number }>): Promise<void> {
    const parts = requests.map(({ command, body, creditCharge }, i) => {
      const last = i === requests.length - 1;
      const length = 64 + body.length;
      const padded = last ? length : Math.ceil(length / 8) * 8;
      const message = Buffer.concat([request({ ...this.fields(command, creditCharge), nextCommand: last ? 0 : padded }, body), Buffer.alloc(padded - length)]);
      return this.signingKey ? this.sign(message) : message;
    });
    await this.socket.write(frame(Buffer.concat(parts)));
  }

  /** The responses of a compound reply, split at their NextCommand fields. */
  async receiveChain(timeoutMs?: number): Promise<Response[]> {
    const message = await this.socket.next(timeoutMs);
    const responses: Response[] = [];
    for (let at = 0; ; ) {
      const next = message.readUInt32LE(at + 20);
      responses.push(parseResponse(message.subarray(at, next === 0 ? message.length : at + next)));
      if (next === 0) return responses;
      at += next;
    }
  }

  /** The next response, opened when it comes sealed. */
  async receive(timeoutMs?: number): Promise<Response> {
    let message = await this.socket.next(timeoutMs);
    if (message.readUInt32LE(0) === 0x424d_53fd) message = decryptMessage(SMB2_ENCRYPTION_AES128_CCM, this.openKey!, message, 16 * 1024 * 1024).message;
    return parseResponse(message);
  }

  async call(command: number, body: Buffer, options: SendOptions & { creditCharge?: number } = {}): Promise<Response> {
    await this.send(request(this.fields(command, options.creditCharge), body), options);
    return this.receive();
  }

  async negotiate(clientGuid?: Buffer): Promise<Response> {
    const response = await this.call(SMB2_NEGOTIATE, negotiateBody(undefined, clientGuid));
    expectStatus(response, STATUS_SUCCESS, "NEGOTIATE");
    return response;
  }

  /**
   * NTLMv2 with KEY_EXCH and a MIC through SPNEGO (two round trips); derives the 3.0.2 keys.
   * `previousSessionId`: the session this one replaces (MS-SMB2 §3.3.5.5.3).
   */
  async sessionSetup(user: string, password: string, previousSessionId = 0n): Promise<void> {
    const { last, exportedSessionKey } = await this.authenticate(user, password, previousSessionId);
    expectStatus(last, STATUS_SUCCESS, "SESSION_SETUP (authenticate)");
    const keys = deriveSessionKeys({ dialect: DIALECT_302, gssKey: exportedSessionKey });
    this.signingKey = keys.signingKey;
    this.sealKey = keys.decryptionKey;
    this.openKey = keys.encryptionKey;
  }

  /**
   * Authenticates the session again (MS-SMB2 §3.3.5.5.2), every request signed with its key, which
   * stays the session's; the final response, whatever its status.
   */
  async reauthenticate(user: string, password: string): Promise<Response> {
    return (await this.authenticate(user, password, 0n)).last;
  }

  /** Whether a response carries a right signature by this session's key. */
  signedBySession(response: Response): boolean {
    if (!(response.message.readUInt32LE(16) & SMB2_FLAGS_SIGNED) || !this.signingKey) return false;
    const copy = Buffer.from(response.message);
    copy.fill(0, 48, 64);
    signMessage(SMB2_SIGNING_AES_CMAC, this.signingKey, copy);
    return copy.subarray(48, 64).equals(response.message.subarray(48, 64));
  }

  /** The NTLM exchange of a SESSION_SETUP, signed when the session already has a key (a reauthentication). */
  private async authenticate(user: string, password: string, previousSessionId: bigint): Promise<{ last: Response; exportedSessionKey: Buffer }> {
    const negotiate = encodeNegotiate({ flags: NTLM_FLAGS, domain: "", workstation: "" });
    const first = await this.call(SMB2_SESSION_SETUP, sessionSetupBody(encodeNegTokenInit({ mechTypes: [OID_NTLMSSP], mechToken: negotiate }), undefined, previousSessionId));
    expectStatus(first, STATUS_MORE_PROCESSING_REQUIRED, "SESSION_SETUP (negotiate)");
    this.sessionId = first.sessionId;
    const challengeBytes = decodeNegTokenResp(securityBuffer(first.message)).responseToken!;
    const challenge = decodeChallenge(challengeBytes);
    const timestamp = findAvPair(challenge.targetInfo, MsvAvTimestamp)!;
    const temp = encodeNtlmV2ClientChallenge({
      timestamp: timestamp.readBigUInt64LE(0),
      challengeFromClient: randomBytes(8),
      avPairs: [...challenge.targetInfo, { id: MsvAvFlags, value: Buffer.from([2, 0, 0, 0]) }],
    });
    const responseKey = ntowfV2(ntHash(password), user, "");
    const proof = ntProofStr(responseKey, challenge.serverChallenge, temp);
    const exportedSessionKey = randomBytes(16);
    const authenticate = encodeAuthenticate({
      flags: (challenge.flags & NTLM_FLAGS) >>> 0,
      lmChallengeResponse: Buffer.alloc(24),
      ntChallengeResponse: Buffer.concat([proof, temp]),
      domain: "",
      user,
      workstation: "E2E",
      encryptedRandomSessionKey: rc4k(sessionBaseKey(responseKey, proof), exportedSessionKey),
      version: { major: 10, minor: 0, build: 19041, revision: 15 },
      mic: Buffer.alloc(16),
    });
    hmacMd5(exportedSessionKey, negotiate, challengeBytes, authenticate).copy(authenticate, AUTHENTICATE_MIC_OFFSET);
    const last = await this.call(SMB2_SESSION_SETUP, sessionSetupBody(encodeNegTokenResp({ responseToken: authenticate }), undefined, previousSessionId));
    return { last, exportedSessionKey };
  }

  async treeConnect(share: string): Promise<void> {
    const response = await this.call(SMB2_TREE_CONNECT, treeConnectBody(share));
    expectStatus(response, STATUS_SUCCESS, "TREE_CONNECT");
    this.treeId = response.treeId;
  }

  /** Opens (or creates) a file; returns its FileId. */
  async create(name: string): Promise<FileId> {
    const response = await this.call(SMB2_CREATE, createBody(name));
    expectStatus(response, STATUS_SUCCESS, `CREATE ${name}`);
    return Buffer.from(response.message.subarray(HEADER_SIZE + 64, HEADER_SIZE + 80));
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  /** The bytes of a successful READ response. */
  static readData(response: Response): Buffer {
    const at = response.message[HEADER_SIZE + 2]!;
    return response.message.subarray(at, at + response.message.readUInt32LE(HEADER_SIZE + 4));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The security buffer of a SESSION_SETUP response (§2.2.6). */
function securityBuffer(message: Buffer): Buffer {
  const offset = message.readUInt16LE(HEADER_SIZE + 4);
  return message.subarray(offset, offset + message.readUInt16LE(HEADER_SIZE + 6));
}

export function statusName(status: number): string {
  return `0x${status.toString(16).padStart(8, "0")}`;
}

function expectStatus(response: Response, status: number, what: string): void {
  if (response.status !== status) throw new Error(`${what}: status ${statusName(response.status)}, expected ${statusName(status)}`);
}
