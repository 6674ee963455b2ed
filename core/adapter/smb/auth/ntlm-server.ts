/**
 * One SMB2 SESSION_SETUP authentication (MS-SMB2 §3.3.5.5.3): SPNEGO (RFC 4178, MS-SPNG) carrying
 * NTLMSSP (MS-NLMP), or raw NTLMSSP for clients that skip SPNEGO. Feed each SESSION_SETUP
 * security buffer to `step`; send back `reply` (STATUS_MORE_PROCESSING_REQUIRED while `done` is
 * false, STATUS_SUCCESS once it is true); on NtlmAuthError answer STATUS_LOGON_FAILURE and drop
 * the exchange.
 *
 * SPNEGO flow: the client's NegTokenInit carries the NTLM NEGOTIATE (or, when NTLMSSP is not its
 * first choice, nothing usable, and we ask for NTLMSSP with an empty accept-incomplete); we reply
 * accept-incomplete with the CHALLENGE; its NegTokenResp carries the AUTHENTICATE and usually a
 * mechListMIC, which is verified; we reply accept-completed with our own mechListMIC whenever the
 * client sent one or NTLMSSP was not its first choice (RFC 4178 §5). Guest and anonymous logons
 * have no key, so no mechListMIC is checked or sent for them.
 */
import { randomBytes } from "node:crypto";
import { messageSignature, sealKey, signKey, type Direction } from "../../../protocol/smb2/ntlm/crypto.js";
import {
  MsvAvDnsComputerName,
  MsvAvDnsDomainName,
  MsvAvNbComputerName,
  MsvAvNbDomainName,
  MsvAvTimestamp,
  NTLMSSP_NEGOTIATE_128,
  NTLMSSP_NEGOTIATE_56,
  NTLMSSP_NEGOTIATE_ALWAYS_SIGN,
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY,
  NTLMSSP_NEGOTIATE_KEY_EXCH,
  NTLMSSP_NEGOTIATE_NTLM,
  NTLMSSP_NEGOTIATE_SEAL,
  NTLMSSP_NEGOTIATE_SIGN,
  NTLMSSP_NEGOTIATE_TARGET_INFO,
  NTLMSSP_NEGOTIATE_UNICODE,
  NTLMSSP_NEGOTIATE_VERSION,
  NTLMSSP_REQUEST_TARGET,
  NTLMSSP_REVISION_W2K3,
  NTLMSSP_TARGET_TYPE_SERVER,
  NTLM_NEGOTIATE_OEM,
  NtLmAuthenticate,
  NtLmNegotiate,
  NtlmMessageError,
  decodeNegotiate,
  encodeChallenge,
  ntlmMessageType,
} from "../../../protocol/smb2/ntlm/messages.js";
import { Rc4 } from "../../../protocol/smb2/ntlm/rc4.js";
import {
  NEG_STATE_ACCEPT_COMPLETED,
  NEG_STATE_ACCEPT_INCOMPLETE,
  OID_NTLMSSP,
  SpnegoError,
  decodeNegTokenInit,
  decodeNegTokenResp,
  encodeNegTokenInit2,
  encodeNegTokenResp,
  isSpnegoToken,
} from "../../../protocol/smb2/ntlm/spnego.js";
import { NtlmAuthError } from "./errors.js";
import { equalSecret, verifyAuthenticate, type NtlmLogon, type NtlmUser } from "./ntlm-verify.js";

export { NtlmAuthError } from "./errors.js";
export type { NtlmUser } from "./ntlm-verify.js";

export interface NtlmServerOptions {
  /** The account for a user name as the client sent it; case-insensitive matching is the caller's job. */
  lookupUser(name: string): NtlmUser | undefined;
  /** Anonymous logons, and unknown users as guests (a wrong password for a known user still fails). */
  allowGuest: boolean;
  /** NetBIOS-style names for the CHALLENGE's TargetName and AV pairs, e.g. "DITTOFS" and "WORKGROUP". */
  serverName: string;
  domainName: string;
  /** Current time as a FILETIME (100 ns since 1601), for MsvAvTimestamp; for tests. */
  now?: () => bigint;
  /** Random bytes (the server challenge); for tests. */
  random?: (n: number) => Buffer;
}

export type NtlmStepResult =
  | { done: false; reply: Buffer }
  | {
      done: true;
      reply: Buffer;
      user: string;
      domain: string;
      guest: boolean;
      anonymous: boolean;
      /** ExportedSessionKey, 16 bytes (zeros for guest and anonymous: such sessions cannot sign). */
      sessionKey: Buffer;
    };

/** The SPNEGO NegTokenInit2 for the SMB2 NEGOTIATE response's security buffer (MS-SMB2 §3.3.5.4). */
export function negotiateResponseToken(): Buffer {
  return encodeNegTokenInit2([OID_NTLMSSP]);
}

/** Flags we grant when the client asks for them (MS-NLMP §3.2.5.1.1). */
const GRANTABLE =
  NTLMSSP_NEGOTIATE_SIGN |
  NTLMSSP_NEGOTIATE_SEAL |
  NTLMSSP_NEGOTIATE_ALWAYS_SIGN |
  NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
  NTLMSSP_NEGOTIATE_128 |
  NTLMSSP_NEGOTIATE_56 |
  NTLMSSP_NEGOTIATE_KEY_EXCH;
/** Flags we always set. */
const ALWAYS =
  NTLMSSP_REQUEST_TARGET |
  NTLMSSP_NEGOTIATE_NTLM |
  NTLMSSP_TARGET_TYPE_SERVER |
  NTLMSSP_NEGOTIATE_TARGET_INFO |
  NTLMSSP_NEGOTIATE_VERSION;
/** Our VERSION (MS-NLMP §2.2.2.10); informational only. Samba sends the same. */
const SERVER_VERSION = { major: 6, minor: 1, build: 0, revision: NTLMSSP_REVISION_W2K3 };
/** 1601-01-01 to 1970-01-01 in 100 ns units. */
const FILETIME_UNIX_EPOCH = 116444736000000000n;

const filetimeNow = (): bigint => BigInt(Date.now()) * 10000n + FILETIME_UNIX_EPOCH;

type State = "start" | "await-negotiate" | "await-authenticate" | "done" | "failed";

interface SentChallenge {
  negotiate: Buffer;
  challenge: Buffer;
  serverChallenge: Buffer;
  flags: number;
}

export class NtlmExchange {
  private state: State = "start";
  /** Whether the client speaks SPNEGO (else raw NTLMSSP), and what a mechListMIC signs. */
  private spnego = false;
  private mechTypesDer: Buffer | undefined;
  /** NTLMSSP was not the client's first choice: mechListMICs must be exchanged (RFC 4178 §5). */
  private micRequired = false;
  private sent: SentChallenge | undefined;

  constructor(private readonly options: NtlmServerOptions) {}

  /** Feeds the client's security buffer; throws NtlmAuthError (with a reason) on failure. */
  step(token: Buffer): NtlmStepResult {
    if (this.state === "done" || this.state === "failed") throw new NtlmAuthError("the exchange is already over");
    try {
      return this.advance(token);
    } catch (err) {
      this.state = "failed";
      if (err instanceof NtlmMessageError || err instanceof SpnegoError) throw new NtlmAuthError(`malformed token: ${err.message}`);
      throw err;
    }
  }

  private advance(token: Buffer): NtlmStepResult {
    switch (this.state) {
      case "start":
        return this.first(token);
      case "await-negotiate": {
        const negotiate = decodeNegTokenResp(token).responseToken;
        if (!negotiate) throw new NtlmAuthError("NegTokenResp without the NTLM NEGOTIATE_MESSAGE");
        const challenge = this.challengeFor(negotiate);
        this.state = "await-authenticate";
        return { done: false, reply: encodeNegTokenResp({ negState: NEG_STATE_ACCEPT_INCOMPLETE, responseToken: challenge }) };
      }
      default:
        return this.spnego ? this.finishSpnego(token) : this.finishRaw(token);
    }
  }

  private first(token: Buffer): NtlmStepResult {
    // An empty buffer asks for the server's initial token (MS-SMB2 §3.3.5.5.3).
    if (token.length === 0) return { done: false, reply: negotiateResponseToken() };
    if (ntlmMessageType(token) !== undefined) {
      const challenge = this.challengeFor(token);
      this.state = "await-authenticate";
      return { done: false, reply: challenge };
    }
    if (!isSpnegoToken(token)) throw new NtlmAuthError("the security buffer is neither SPNEGO nor NTLMSSP");
    const init = decodeNegTokenInit(token);
    if (!init.mechTypes.includes(OID_NTLMSSP)) throw new NtlmAuthError(`client offers no NTLMSSP (${init.mechTypes.join(", ")})`);
    this.spnego = true;
    this.mechTypesDer = Buffer.from(init.mechTypesDer);
    if (init.mechTypes[0] !== OID_NTLMSSP || !init.mechToken) {
      // Its optimistic token (if any) is for another mechanism: select NTLMSSP and wait for its NEGOTIATE.
      this.micRequired = init.mechTypes[0] !== OID_NTLMSSP;
      this.state = "await-negotiate";
      return { done: false, reply: encodeNegTokenResp({ negState: NEG_STATE_ACCEPT_INCOMPLETE, supportedMech: OID_NTLMSSP }) };
    }
    const challenge = this.challengeFor(init.mechToken);
    this.state = "await-authenticate";
    return {
      done: false,
      reply: encodeNegTokenResp({ negState: NEG_STATE_ACCEPT_INCOMPLETE, supportedMech: OID_NTLMSSP, responseToken: challenge }),
    };
  }

  /** Decodes the client's NEGOTIATE_MESSAGE and builds our CHALLENGE_MESSAGE (MS-NLMP §3.2.5.1.1). */
  private challengeFor(negotiateToken: Buffer): Buffer {
    if (ntlmMessageType(negotiateToken) !== NtLmNegotiate) throw new NtlmAuthError("expected an NTLM NEGOTIATE_MESSAGE");
    const negotiate = decodeNegotiate(negotiateToken);
    const { serverName, domainName } = this.options;
    const charset = negotiate.flags & NTLMSSP_NEGOTIATE_UNICODE ? NTLMSSP_NEGOTIATE_UNICODE : NTLM_NEGOTIATE_OEM;
    const flags = (ALWAYS | charset | (negotiate.flags & GRANTABLE)) >>> 0;
    const serverChallenge = (this.options.random ?? randomBytes)(8);
    const timestamp = Buffer.alloc(8);
    timestamp.writeBigUInt64LE((this.options.now ?? filetimeNow)());
    const utf16 = (s: string): Buffer => Buffer.from(s, "utf16le");
    const challenge = encodeChallenge({
      flags,
      serverChallenge,
      targetName: serverName.toUpperCase(),
      targetInfo: [
        { id: MsvAvNbDomainName, value: utf16(domainName.toUpperCase()) },
        { id: MsvAvNbComputerName, value: utf16(serverName.toUpperCase()) },
        { id: MsvAvDnsDomainName, value: utf16(domainName.toLowerCase()) },
        { id: MsvAvDnsComputerName, value: utf16(serverName.toLowerCase()) },
        // With a timestamp the client must send a MIC (MS-NLMP §3.1.5.1.2).
        { id: MsvAvTimestamp, value: timestamp },
      ],
      version: SERVER_VERSION,
    });
    this.sent = { negotiate: Buffer.from(negotiateToken), challenge, serverChallenge, flags };
    return challenge;
  }

  private verify(authenticate: Buffer): NtlmLogon {
    const sent = this.sent as SentChallenge;
    if (ntlmMessageType(authenticate) !== NtLmAuthenticate) throw new NtlmAuthError("expected an NTLM AUTHENTICATE_MESSAGE");
    return verifyAuthenticate({
      negotiate: sent.negotiate,
      challenge: sent.challenge,
      serverChallenge: sent.serverChallenge,
      challengeFlags: sent.flags,
      authenticate,
      lookupUser: (name) => this.options.lookupUser(name),
      allowGuest: this.options.allowGuest,
    });
  }

  private finishRaw(token: Buffer): NtlmStepResult {
    const logon = this.verify(token);
    this.state = "done";
    return this.result(logon, Buffer.alloc(0));
  }

  private finishSpnego(token: Buffer): NtlmStepResult {
    const resp = decodeNegTokenResp(token);
    if (!resp.responseToken) throw new NtlmAuthError("NegTokenResp without the NTLM AUTHENTICATE_MESSAGE");
    const logon = this.verify(resp.responseToken);
    let mechListMIC: Buffer | undefined;
    if (!logon.guest && !logon.anonymous && (resp.mechListMIC || this.micRequired)) {
      if (!(logon.flags & NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)) {
        throw new NtlmAuthError("mechListMIC without extended session security");
      }
      if (resp.mechListMIC && !equalSecret(resp.mechListMIC, this.mechListMic(logon, "client-to-server"))) {
        throw new NtlmAuthError("mechListMIC mismatch");
      }
      mechListMIC = this.mechListMic(logon, "server-to-client");
    }
    this.state = "done";
    return this.result(logon, encodeNegTokenResp({ negState: NEG_STATE_ACCEPT_COMPLETED, ...(mechListMIC && { mechListMIC }) }));
  }

  /** The NTLM signature of the client's DER MechTypeList, first message of its direction (SeqNum 0). */
  private mechListMic(logon: NtlmLogon, direction: Direction): Buffer {
    const sealing = new Rc4(sealKey(logon.sessionKey, logon.flags, direction));
    return messageSignature(signKey(logon.sessionKey, direction), sealing, logon.flags, 0, this.mechTypesDer as Buffer);
  }

  private result(logon: NtlmLogon, reply: Buffer): NtlmStepResult {
    const { user, domain, guest, anonymous, sessionKey } = logon;
    return { done: true, reply, user, domain, guest, anonymous, sessionKey };
  }
}
