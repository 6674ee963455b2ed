import { SmbWriter } from "../../../protocol/smb2/buffer.js";
import {
  SMB2_DIALECT_300,
  SMB2_HEADER_SIZE,
  SMB2_NEGOTIATE_SIGNING_REQUIRED,
  SMB2_SESSION_FLAG_BINDING,
  SMB2_SESSION_FLAG_ENCRYPT_DATA,
  SMB2_SESSION_FLAG_IS_GUEST,
  SMB2_SESSION_FLAG_IS_NULL,
  STATUS_ACCESS_DENIED,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_LOGON_FAILURE,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_REQUEST_NOT_ACCEPTED,
  STATUS_USER_SESSION_DELETED,
} from "../../../protocol/smb2/constants.js";
import { NtlmExchange } from "../auth/ntlm-server.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";
import { updatePreauthHash } from "../../../protocol/smb2/crypto/index.js";
import { MAX_SESSIONS_PER_CONNECTION, type SmbContext } from "../context.js";
import { smbError } from "../errors.js";
import { sessionKeys } from "../keys.js";
import type { AuthStep, Session } from "../state.js";

/** The NetBIOS-style names the server gives in its NTLM CHALLENGE. */
const SERVER_NAME = "DITTOFS";
const DOMAIN_NAME = "WORKGROUP";

type FinalStep = Extract<AuthStep, { done: true }>;

/**
 * MS-SMB2 §2.2.5 SESSION_SETUP request: Flags, SecurityMode, Capabilities, Channel, the security
 * buffer (SPNEGO/NTLMSSP), PreviousSessionId. §2.2.6 response: SessionFlags and the server's
 * token. The first request makes a session (STATUS_MORE_PROCESSING_REQUIRED with its id); the
 * last one (§3.3.5.5.3) settles the user, derives the keys and whether the session signs and
 * encrypts, and ends the user's PreviousSessionId. A SESSION_SETUP on a valid session
 * reauthenticates it (§3.3.5.5.2). A failed authentication ends the session with
 * STATUS_LOGON_FAILURE. Multichannel is not offered: a binding is STATUS_REQUEST_NOT_ACCEPTED.
 */
export const sessionSetup: SmbCommand = {
  name: "SESSION_SETUP",
  structureSize: 25,
  needsSession: false,
  needsTree: false,
  async run(call: SmbCall): Promise<SmbReply> {
    const { body, ctx, conn } = call;
    const flags = body.u8();
    body.u8(); // SecurityMode: the connection's NEGOTIATE said it already
    body.skip(8); // Capabilities, Channel
    const tokenOffset = body.u16();
    const tokenLength = body.u16();
    const previousSessionId = body.u64();
    const token = body.blob(tokenOffset, tokenLength, SMB2_HEADER_SIZE + 24);
    let session = call.session;
    if (flags & SMB2_SESSION_FLAG_BINDING) throw smbError(STATUS_REQUEST_NOT_ACCEPTED, "multichannel session binding is not supported");
    // Another connection's session, named without binding (the connection looked it up only to sign this answer).
    if (session && !conn.sessions.has(session.id)) throw smbError(STATUS_USER_SESSION_DELETED, `session ${session.id} is not on this connection`);
    if (!session) {
      if (conn.sessions.size >= MAX_SESSIONS_PER_CONNECTION) throw smbError(STATUS_INSUFFICIENT_RESOURCES, `${conn.sessions.size} sessions on this connection`);
      session = ctx.newSession(conn);
      session.preauthHash = conn.preauthHash;
      conn.sessions.set(session.id, session);
    }
    const reauth = session.state === "valid";
    session.exchange ??= new NtlmExchange({
      lookupUser: (name) => ctx.user(name),
      allowGuest: ctx.config.guest,
      serverName: SERVER_NAME,
      domainName: DOMAIN_NAME,
    });
    let step;
    try {
      step = session.exchange.step(token);
    } catch (err) {
      // A failed reauthentication ends the session too (as Windows and Samba end it).
      session.exchange = null;
      await conn.endSession(session);
      ctx.logger.info({ remote: conn.remoteAddress, reason: (err as Error).message, reauth }, "SMB logon failed");
      return { status: STATUS_LOGON_FAILURE, body: response(0, Buffer.alloc(0)), session };
    }
    if (!step.done) return { status: STATUS_MORE_PROCESSING_REQUIRED, body: response(0, step.reply), session };
    session.exchange = null;
    if (reauth) return reauthenticated(call, session, step);
    const user = step.anonymous || step.guest ? undefined : ctx.user(step.user);
    if (!step.anonymous && !step.guest && !user) throw smbError(STATUS_LOGON_FAILURE, `unknown user ${step.user}`);
    session.user = user?.name ?? "";
    session.guest = step.guest;
    session.anonymous = step.anonymous;
    if (user) session.auth = user.auth;
    const negotiated = conn.negotiated!;
    if (!step.guest && !step.anonymous) {
      // 3.1.1 keys hash the whole exchange up to this request (MS-SMB2 §3.3.5.5.3).
      const preauth = session.preauthHash && updatePreauthHash(session.preauthHash, call.message);
      session.keys = sessionKeys(negotiated, step.sessionKey, preauth);
      session.signingRequired = ctx.config.signing === "required" || (negotiated.clientSecurityMode & SMB2_NEGOTIATE_SIGNING_REQUIRED) !== 0;
      const canEncrypt = negotiated.dialect >= SMB2_DIALECT_300 && negotiated.cipherId !== 0;
      if (ctx.config.encryption === "required" && !canEncrypt) {
        await conn.endSession(session);
        throw smbError(STATUS_ACCESS_DENIED, "this server requires encryption, which the client did not negotiate");
      }
      session.encryptData = canEncrypt && ctx.config.encryption !== "off";
    } else if (ctx.config.encryption === "required") {
      await conn.endSession(session);
      throw smbError(STATUS_ACCESS_DENIED, "guest sessions cannot encrypt, and this server requires encryption");
    }
    session.state = "valid";
    if (previousSessionId !== 0n && previousSessionId !== session.id) await endPrevious(ctx, session, previousSessionId);
    ctx.logger.info({ remote: conn.remoteAddress, user: describeUser(session), dialect: negotiated.dialect.toString(16) }, "SMB session set up");
    return { status: 0, body: response(sessionFlags(session), step.reply), session };
  },
};

/**
 * A valid session authenticated again (MS-SMB2 §3.3.5.5.2): its keys, trees and opens stay, only
 * whom it acts for may change — to anonymous or guest and back to its user (what Samba's tests
 * expect of Windows); another named user is refused and the session left as it was.
 */
function reauthenticated(call: SmbCall, session: Session, step: FinalStep): SmbReply {
  const { ctx, conn } = call;
  if (!step.anonymous && !step.guest) {
    const user = ctx.user(step.user);
    if (!user || session.user.toUpperCase() !== user.name.toUpperCase()) {
      throw smbError(STATUS_ACCESS_DENIED, `reauthentication of ${describeUser(session)}'s session as ${step.user}`);
    }
    session.auth = user.auth;
  }
  // session.user stays the session's own user, whom a later reauthentication may return to.
  session.guest = step.guest;
  session.anonymous = step.anonymous;
  ctx.logger.info({ remote: conn.remoteAddress, user: describeUser(session) }, "SMB session reauthenticated");
  return { status: 0, body: response(sessionFlags(session), step.reply), session };
}

/**
 * PreviousSessionId (MS-SMB2 §3.3.5.5.3): a client reconnecting names the session it had; when
 * that session is the same user's, it ends as if its connection had dropped (its durable opens
 * wait to be reclaimed, the others close, its pending CHANGE_NOTIFYs answer
 * STATUS_NOTIFY_CLEANUP) before the new one is answered.
 */
async function endPrevious(ctx: SmbContext, session: Session, previousSessionId: bigint): Promise<void> {
  const previous = ctx.globalSession(previousSessionId);
  if (!previous || previous.session.state !== "valid") return;
  const sameUser = !session.anonymous && !session.guest && !previous.session.anonymous && !previous.session.guest && previous.session.user.toUpperCase() === session.user.toUpperCase();
  if (!sameUser) return;
  ctx.logger.info({ user: session.user }, "SMB session replaces the user's previous session");
  await previous.holder.endSession(previous.session, true);
}

function sessionFlags(session: Session): number {
  let flags = 0;
  if (session.guest) flags |= SMB2_SESSION_FLAG_IS_GUEST;
  if (session.anonymous) flags |= SMB2_SESSION_FLAG_IS_NULL;
  if (session.encryptData) flags |= SMB2_SESSION_FLAG_ENCRYPT_DATA;
  return flags;
}

function describeUser(session: Session): string {
  if (session.anonymous) return "(anonymous)";
  return session.guest ? "(guest)" : session.user;
}

function response(sessionFlags: number, token: Buffer): Buffer {
  return new SmbWriter(8 + token.length)
    .u16(9)
    .u16(sessionFlags)
    .u16(token.length > 0 ? SMB2_HEADER_SIZE + 8 : 0)
    .u16(token.length)
    .bytes(token)
    .buffer();
}
