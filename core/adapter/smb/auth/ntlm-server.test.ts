import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hmacMd5, messageSignature, ntHash, ntowfV2, ntProofStr, sealKey, sessionBaseKey, signKey } from "../../../protocol/smb2/ntlm/crypto.js";
import {
  AUTHENTICATE_MIC_OFFSET,
  MsvAvFlags,
  MsvAvNbComputerName,
  MsvAvTimestamp,
  decodeChallenge,
  encodeAuthenticate,
  encodeNegotiate,
  encodeNtlmV2ClientChallenge,
  findAvPair,
  type AvPair,
} from "../../../protocol/smb2/ntlm/messages.js";
import { Rc4, rc4k } from "../../../protocol/smb2/ntlm/rc4.js";
import {
  NEG_STATE_ACCEPT_COMPLETED,
  NEG_STATE_ACCEPT_INCOMPLETE,
  OID_NTLMSSP,
  decodeNegTokenInit,
  decodeNegTokenResp,
  encodeMechTypeList,
  encodeNegTokenInit,
  encodeNegTokenResp,
} from "../../../protocol/smb2/ntlm/spnego.js";
import { SPEC_AUTHENTICATE } from "../../../testing/ntlm-vectors.js";
import { NtlmAuthError, NtlmExchange, negotiateResponseToken, type NtlmServerOptions } from "./ntlm-server.js";

const USERS = new Map([["alice", { name: "alice", ntHash: ntHash("s3cret wörd") }], ["user", { name: "User", ntHash: ntHash("Password") }]]);
const options = (overrides: Partial<NtlmServerOptions> = {}): NtlmServerOptions => ({
  lookupUser: (name) => USERS.get(name.toLowerCase()),
  allowGuest: false,
  serverName: "DittoFS",
  domainName: "WORKGROUP",
  ...overrides,
});

/** What smbclient and Windows ask for: UNICODE, REQUEST_TARGET, SIGN, SEAL, NTLM, ALWAYS_SIGN, ESS, VERSION, 128, KEY_EXCH, 56. */
const CLIENT_FLAGS = 0xe2088235 | 0x4;
const C2S = "client-to-server";
const S2C = "server-to-client";

interface ClientOptions {
  user: string;
  password: string;
  /** The domain the client puts in the message, and the one it hashes (they may differ). */
  domain?: string;
  hashDomain?: string;
  mechTypes?: string[];
  sendMechListMic?: boolean;
}

/**
 * A client written from MS-NLMP §3.1.5 and RFC 4178 for these tests only: NEGOTIATE, then an
 * NTLMv2 AUTHENTICATE with KEY_EXCH, a MIC and a mechListMIC. Its primitives are the ones the
 * MS-NLMP §4.2.4 vectors pin down (crypto.test.ts).
 */
class TestClient {
  readonly negotiate = encodeNegotiate({ flags: CLIENT_FLAGS, domain: "", workstation: "" });
  readonly exportedSessionKey = randomBytes(16);
  readonly mechTypes: string[];
  flags = 0;

  constructor(private readonly o: ClientOptions) {
    this.mechTypes = o.mechTypes ?? [OID_NTLMSSP];
  }

  initToken(): Buffer {
    return encodeNegTokenInit({ mechTypes: this.mechTypes, ...(this.mechTypes[0] === OID_NTLMSSP && { mechToken: this.negotiate }) });
  }

  authenticate(challengeBytes: Buffer): Buffer {
    const challenge = decodeChallenge(challengeBytes);
    this.flags = (challenge.flags & CLIENT_FLAGS) >>> 0;
    const timestamp = findAvPair(challenge.targetInfo, MsvAvTimestamp) as Buffer;
    const avPairs: AvPair[] = [...challenge.targetInfo, { id: MsvAvFlags, value: Buffer.from([2, 0, 0, 0]) }];
    const temp = encodeNtlmV2ClientChallenge({ timestamp: timestamp.readBigUInt64LE(0), challengeFromClient: randomBytes(8), avPairs });
    const key = ntowfV2(ntHash(this.o.password), this.o.user, this.o.hashDomain ?? this.o.domain ?? "");
    const proof = ntProofStr(key, challenge.serverChallenge, temp);
    const message = encodeAuthenticate({
      flags: this.flags,
      lmChallengeResponse: Buffer.alloc(24),
      ntChallengeResponse: Buffer.concat([proof, temp]),
      domain: this.o.domain ?? "",
      user: this.o.user,
      workstation: "CLIENT",
      encryptedRandomSessionKey: rc4k(sessionBaseKey(key, proof), this.exportedSessionKey),
      version: { major: 10, minor: 0, build: 19041, revision: 15 },
      mic: Buffer.alloc(16),
    });
    hmacMd5(this.exportedSessionKey, this.negotiate, challengeBytes, message).copy(message, AUTHENTICATE_MIC_OFFSET);
    return message;
  }

  mechListMic(direction: typeof C2S | typeof S2C): Buffer {
    const sealing = new Rc4(sealKey(this.exportedSessionKey, this.flags, direction));
    return messageSignature(signKey(this.exportedSessionKey, direction), sealing, this.flags, 0, encodeMechTypeList(this.mechTypes));
  }

  finalToken(challengeBytes: Buffer): Buffer {
    const responseToken = this.authenticate(challengeBytes);
    return encodeNegTokenResp({ responseToken, ...(this.o.sendMechListMic !== false && { mechListMIC: this.mechListMic(C2S) }) });
  }
}

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NtlmAuthError);
    return (err as NtlmAuthError).reason;
  }
  throw new Error("expected an NtlmAuthError");
}

/** Runs NEGOTIATE and CHALLENGE through SPNEGO; returns the server, the client and the CHALLENGE. */
function startSpnego(client: TestClient, serverOptions = options()) {
  const server = new NtlmExchange(serverOptions);
  const first = server.step(client.initToken());
  expect(first.done).toBe(false);
  const resp = decodeNegTokenResp(first.reply);
  expect(resp).toMatchObject({ negState: NEG_STATE_ACCEPT_INCOMPLETE, supportedMech: OID_NTLMSSP });
  return { server, challenge: resp.responseToken as Buffer };
}

describe("NtlmExchange over SPNEGO", () => {
  it("offers NTLMSSP in the NEGOTIATE response and answers an empty first buffer with it", () => {
    expect(decodeNegTokenInit(negotiateResponseToken()).mechTypes).toEqual([OID_NTLMSSP]);
    const step = new NtlmExchange(options()).step(Buffer.alloc(0));
    expect(step).toEqual({ done: false, reply: negotiateResponseToken() });
  });

  it("authenticates a client with KEY_EXCH, MIC and mechListMIC, and signs its own mechListMIC", () => {
    const client = new TestClient({ user: "ALICE", password: "s3cret wörd", domain: "WORKGROUP" });
    const { server, challenge } = startSpnego(client);
    const sent = decodeChallenge(challenge);
    expect(sent.targetName).toBe("DITTOFS");
    expect(findAvPair(sent.targetInfo, MsvAvNbComputerName)?.toString("utf16le")).toBe("DITTOFS");
    expect(findAvPair(sent.targetInfo, MsvAvTimestamp)).toBeDefined();
    const done = server.step(client.finalToken(challenge));
    expect(done).toMatchObject({ done: true, user: "ALICE", domain: "WORKGROUP", guest: false, anonymous: false });
    if (!done.done) throw new Error("not done");
    expect(done.sessionKey).toEqual(client.exportedSessionKey);
    const final = decodeNegTokenResp(done.reply);
    expect(final.negState).toBe(NEG_STATE_ACCEPT_COMPLETED);
    expect(final.mechListMIC).toEqual(client.mechListMic(S2C));
    expect(reason(() => server.step(done.reply))).toMatch(/already over/);
  });

  it("uses the server's clock and random source for the timestamp and challenge", () => {
    const client = new TestClient({ user: "alice", password: "s3cret wörd" });
    const { challenge } = startSpnego(client, options({ now: () => 42n, random: (n) => Buffer.alloc(n, 7) }));
    const sent = decodeChallenge(challenge);
    expect(sent.serverChallenge).toEqual(Buffer.alloc(8, 7));
    expect(findAvPair(sent.targetInfo, MsvAvTimestamp)?.readBigUInt64LE(0)).toBe(42n);
  });

  it("accepts any domain for a local user, hashed as sent or empty", () => {
    for (const [domain, hashDomain] of [["ELSEWHERE", "ELSEWHERE"], ["Workgroup", "WORKGROUP"], ["WORKGROUP", ""]] as const) {
      const client = new TestClient({ user: "alice", password: "s3cret wörd", domain, hashDomain });
      const { server, challenge } = startSpnego(client);
      expect(server.step(client.finalToken(challenge))).toMatchObject({ done: true, user: "alice", domain });
    }
  });

  it("refuses a wrong password and is over afterwards", () => {
    const client = new TestClient({ user: "alice", password: "guess" });
    const { server, challenge } = startSpnego(client);
    expect(reason(() => server.step(client.finalToken(challenge)))).toBe('wrong password for "alice"');
    expect(reason(() => server.step(client.finalToken(challenge)))).toMatch(/already over/);
  });

  it("refuses a tampered MIC and a tampered mechListMIC", () => {
    const client = new TestClient({ user: "alice", password: "s3cret wörd" });
    const { server, challenge } = startSpnego(client);
    const auth = client.authenticate(challenge);
    auth[AUTHENTICATE_MIC_OFFSET] = (auth[AUTHENTICATE_MIC_OFFSET] as number) ^ 0x80;
    expect(reason(() => server.step(encodeNegTokenResp({ responseToken: auth, mechListMIC: client.mechListMic(C2S) })))).toBe(
      "MIC mismatch",
    );

    const again = startSpnego(client);
    const badMic = client.mechListMic(C2S);
    badMic[6] = (badMic[6] as number) ^ 1;
    const token = encodeNegTokenResp({ responseToken: client.authenticate(again.challenge), mechListMIC: badMic });
    expect(reason(() => again.server.step(token))).toBe("mechListMIC mismatch");
  });

  it("selects NTLMSSP when the client prefers Kerberos, then sends a mechListMIC unasked", () => {
    const client = new TestClient({ user: "alice", password: "s3cret wörd", mechTypes: ["1.2.840.48018.1.2.2", OID_NTLMSSP], sendMechListMic: false });
    const server = new NtlmExchange(options());
    const first = decodeNegTokenResp(server.step(client.initToken()).reply);
    expect(first).toEqual({ negState: NEG_STATE_ACCEPT_INCOMPLETE, supportedMech: OID_NTLMSSP });
    const second = server.step(encodeNegTokenResp({ responseToken: client.negotiate }));
    const challenge = decodeNegTokenResp(second.reply).responseToken as Buffer;
    const done = server.step(client.finalToken(challenge));
    expect(decodeNegTokenResp(done.reply).mechListMIC).toEqual(client.mechListMic(S2C));
  });

  it("refuses a client that does not offer NTLMSSP", () => {
    const token = encodeNegTokenInit({ mechTypes: ["1.2.840.113554.1.2.2"], mechToken: Buffer.from("krb") });
    expect(reason(() => new NtlmExchange(options()).step(token))).toMatch(/no NTLMSSP/);
  });

  it("lets an unknown user in as a keyless guest only when guests are allowed, without a mechListMIC", () => {
    const client = new TestClient({ user: "mallory", password: "x" });
    const denied = startSpnego(client);
    expect(reason(() => denied.server.step(client.finalToken(denied.challenge)))).toBe('unknown user "mallory"');
    const allowed = startSpnego(client, options({ allowGuest: true }));
    const done = allowed.server.step(client.finalToken(allowed.challenge));
    expect(done).toMatchObject({ done: true, guest: true, user: "mallory", sessionKey: Buffer.alloc(16) });
    expect(decodeNegTokenResp(done.reply)).toEqual({ negState: NEG_STATE_ACCEPT_COMPLETED });
  });
});

describe("NtlmExchange over raw NTLMSSP", () => {
  it("verifies MS-NLMP §4.2.4.3's AUTHENTICATE against the same server challenge", () => {
    const server = new NtlmExchange(options({ random: () => Buffer.from("0123456789abcdef", "hex") }));
    const negotiate = encodeNegotiate({ flags: 0xe2888235, domain: "", workstation: "" });
    const challenge = server.step(negotiate);
    expect(challenge.done).toBe(false);
    expect(decodeChallenge(challenge.reply).flags >>> 0 & 0x40000000).toBe(0x40000000);
    const done = server.step(SPEC_AUTHENTICATE);
    expect(done).toMatchObject({ done: true, user: "User", domain: "Domain", reply: Buffer.alloc(0) });
    if (done.done) expect(done.sessionKey).toEqual(Buffer.alloc(16, 0x55));
  });

  it("runs the test client without SPNEGO", () => {
    const client = new TestClient({ user: "alice", password: "s3cret wörd" });
    const server = new NtlmExchange(options());
    const challenge = server.step(client.negotiate).reply;
    const done = server.step(client.authenticate(challenge));
    if (!done.done) throw new Error("not done");
    expect(done.sessionKey).toEqual(client.exportedSessionKey);
  });

  it("refuses an AUTHENTICATE first, and garbage", () => {
    expect(reason(() => new NtlmExchange(options()).step(SPEC_AUTHENTICATE))).toMatch(/expected an NTLM NEGOTIATE/);
    expect(reason(() => new NtlmExchange(options()).step(Buffer.from("hello")))).toMatch(/neither SPNEGO nor NTLMSSP/);
  });
});

describe("NtlmExchange on hostile input", () => {
  it("throws only NtlmAuthError for truncated or corrupted AUTHENTICATE tokens", () => {
    const client = new TestClient({ user: "alice", password: "s3cret wörd" });
    const { challenge } = startSpnego(client);
    const valid = client.finalToken(challenge);
    let accepted = 0;
    for (let round = 0; round < 1500; round++) {
      const { server } = startSpnego(client);
      let token: Buffer;
      if (round % 3 === 0) {
        token = valid.subarray(0, Math.floor(Math.random() * valid.length));
      } else {
        token = Buffer.from(valid);
        for (let flips = 1 + (round % 4); flips > 0; flips--) {
          const at = Math.floor(Math.random() * token.length);
          token[at] = (token[at] as number) ^ (1 << Math.floor(Math.random() * 8));
        }
      }
      try {
        server.step(token);
        accepted++;
      } catch (err) {
        expect(err).toBeInstanceOf(NtlmAuthError);
      }
    }
    // The server challenge differs per exchange, so the replayed token never authenticates.
    expect(accepted).toBe(0);
  });

  it("throws only NtlmAuthError for corrupted first tokens", () => {
    const init = new TestClient({ user: "alice", password: "x" }).initToken();
    for (let round = 0; round < 1500; round++) {
      const token = round % 2 ? init.subarray(0, Math.floor(Math.random() * init.length)) : Buffer.from(init);
      if (round % 2 === 0) token[Math.floor(Math.random() * token.length)] = randomBytes(1)[0] as number;
      try {
        new NtlmExchange(options()).step(token);
      } catch (err) {
        expect(err).toBeInstanceOf(NtlmAuthError);
      }
    }
  });
});
