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
} from "../../../protocol/smb2/constants.js";
import { NtlmExchange } from "../auth/ntlm-server.js";
import type { SmbCall, SmbCommand, SmbReply } from "../command.js";
import { updatePreauthHash } from "../../../protocol/smb2/crypto/index.js";
import { MAX_SESSIONS_PER_CONNECTION } from "../context.js";
import { smbError } from "../errors.js";
import { sessionKeys } from "../keys.js";
import { Session } from "../state.js";

/** The NetBIOS-style names the server gives in its NTLM CHALLENGE. */
const SERVER_NAME = "DITTOFS";
const DOMAIN_NAME = "WORKGROUP";

/**
 * MS-SMB2 §2.2.5 SESSION_SETUP request: Flags, SecurityMode, Capabilities, Channel, the security
 * buffer (SPNEGO/NTLMSSP), PreviousSessionId. §2.2.6 response: SessionFlags and the server's
 * token. The first request makes a session (STATUS_MORE_PROCESSING_REQUIRED with its id); the
 * last one (§3.3.5.5.3) settles the user, derives the keys and whether the session signs and
 * encrypts. A failed authentication ends the session with STATUS_LOGON_FAILURE. A PreviousSessionId
 * of the same user ends that session first (its durable opens wait to be reclaimed), as a client
 * that reconnects after a network failure asks.
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
    const token = body.blob(tokenOffset, tokenLength, SMB2_HEADER_SIZE + 24);
    if (flags & SMB2_SESSION_FLAG_BINDING) throw smbError(STATUS_REQUEST_NOT_ACCEPTED, "multichannel session binding is not supported");
    const negotiated = conn.negotiated!;
    let session = call.session;
    if (!session) {
      if (conn.sessions.size >= MAX_SESSIONS_PER_CONNECTION) throw smbError(STATUS_INSUFFICIENT_RESOURCES, `${conn.sessions.size} sessions on this connection`);
      session = new Session(ctx.newSessionId(conn));
      session.preauthHash = conn.preauthHash;
      conn.sessions.set(session.id, session);
    }
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
      session.exchange = null;
      if (session.state !== "valid") void conn.endSession(session);
      ctx.logger.info({ remote: conn.remoteAddress, reason: (err as Error).message }, "SMB logon failed");
      return { status: STATUS_LOGON_FAILURE, body: response(0, Buffer.alloc(0)), session };
    }
    if (!step.done) return { status: STATUS_MORE_PROCESSING_REQUIRED, body: response(0, step.reply), session };
    session.exchange = null;
    const user = step.anonymous || step.guest ? undefined : ctx.user(step.user);
    if (!step.anonymous && !step.guest && !user) throw smbError(STATUS_LOGON_FAILURE, `unknown user ${step.user}`);
    session.user = user?.name ?? "";
    session.guest = step.guest;
    session.anonymous = step.anonymous;
    if (user) session.auth = user.auth;
    const authenticated = !step.guest && !step.anonymous;
    if (authenticated) {
      // 3.1.1 keys hash the whole exchange up to this request (MS-SMB2 §3.3.5.5.3).
      const preauth = session.preauthHash && updatePreauthHash(session.preauthHash, call.message);
      session.keys = sessionKeys(negotiated, step.sessionKey, preauth);
      session.signingRequired = ctx.config.signing === "required" || (negotiated.clientSecurityMode & SMB2_NEGOTIATE_SIGNING_REQUIRED) !== 0;
      const canEncrypt = negotiated.dialect >= SMB2_DIALECT_300 && negotiated.cipherId !== 0;
      if (ctx.config.encryption === "required" && !canEncrypt) {
        void conn.endSession(session);
        throw smbError(STATUS_ACCESS_DENIED, "this server requires encryption, which the client did not negotiate");
      }
      session.encryptData = canEncrypt && ctx.config.encryption !== "off";
    } else if (ctx.config.encryption === "required") {
      void conn.endSession(session);
      throw smbError(STATUS_ACCESS_DENIED, "guest sessions cannot encrypt, and this server requires encryption");
    }
    if (authenticated) await endPreviousSession(call, session);
    session.state = "valid";
    ctx.logger.info({ remote: conn.remoteAddress, user: session.user || (step.anonymous ? "(anonymous)" : "(guest)"), dialect: negotiated.dialect.toString(16) }, "SMB session set up");
    let sessionFlags = 0;
    if (step.guest) sessionFlags |= SMB2_SESSION_FLAG_IS_GUEST;
    if (step.anonymous) sessionFlags |= SMB2_SESSION_FLAG_IS_NULL;
    if (session.encryptData) sessionFlags |= SMB2_SESSION_FLAG_ENCRYPT_DATA;
    return { status: 0, body: response(sessionFlags, step.reply), session };
  },
};

/** §3.3.5.5.3: the session a reconnecting client names as its previous one ends, if it is the same user's. */
async function endPreviousSession(call: SmbCall, session: Session): Promise<void> {
  if (call.message.length < SMB2_HEADER_SIZE + 24) return;
  const previousId = call.message.readBigUInt64LE(SMB2_HEADER_SIZE + 16);
  if (previousId === 0n || previousId === session.id) return;
  const previous = call.ctx.liveSession(previousId);
  if (!previous || previous.session.guest || previous.session.anonymous) return;
  if (previous.session.user.toUpperCase() !== session.user.toUpperCase()) return;
  await previous.home.expireSession(previous.session);
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
