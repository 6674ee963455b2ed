import { describe, expect, it } from "vitest";
import { ntHash } from "../../../protocol/smb2/ntlm/crypto.js";
import {
  CHROMIUM_AUTHENTICATE_WITH_MIC,
  CHROMIUM_NEGOTIATE,
  CHROMIUM_SESSION_BASE_KEY,
  SPEC_AUTHENTICATE,
  SPEC_CHALLENGE,
} from "../../../testing/ntlm-vectors.js";
import { NtlmAuthError } from "./errors.js";
import { verifyAuthenticate, type AuthenticateInput } from "./ntlm-verify.js";

// MS-NLMP §4.2.1 Common Values: user "User", password "Password", server challenge 0123456789abcdef.
const USER = { name: "User", ntHash: ntHash("Password") };
const lookupUser = (name: string) => (name.toLowerCase() === "user" ? USER : undefined);

/** The §4.2.4 example as the server saw it. */
function specInput(overrides: Partial<AuthenticateInput> = {}): AuthenticateInput {
  return {
    negotiate: CHROMIUM_NEGOTIATE,
    challenge: SPEC_CHALLENGE,
    serverChallenge: Buffer.from("0123456789abcdef", "hex"),
    challengeFlags: 0xe28a8233,
    authenticate: SPEC_AUTHENTICATE,
    lookupUser,
    allowGuest: false,
    ...overrides,
  };
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

describe("verifyAuthenticate", () => {
  it("accepts MS-NLMP §4.2.4.3's AUTHENTICATE and unwraps the exchanged session key 55..55", () => {
    const logon = verifyAuthenticate(specInput());
    expect(logon).toMatchObject({ user: "User", domain: "Domain", workstation: "COMPUTER", guest: false, anonymous: false });
    expect(logon.sessionKey).toEqual(Buffer.alloc(16, 0x55));
  });

  it("verifies the MIC of Chromium's AUTHENTICATE (no KEY_EXCH: the key is the SessionBaseKey)", () => {
    const logon = verifyAuthenticate(specInput({ authenticate: CHROMIUM_AUTHENTICATE_WITH_MIC }));
    expect(logon.sessionKey).toEqual(CHROMIUM_SESSION_BASE_KEY);
  });

  it("refuses a tampered MIC, and a MIC over different NEGOTIATE or CHALLENGE bytes", () => {
    const tampered = Buffer.from(CHROMIUM_AUTHENTICATE_WITH_MIC);
    tampered[80] = (tampered[80] as number) ^ 1;
    expect(reason(() => verifyAuthenticate(specInput({ authenticate: tampered })))).toBe("MIC mismatch");
    const negotiate = Buffer.from(CHROMIUM_NEGOTIATE);
    negotiate[12] = (negotiate[12] as number) ^ 0x10; // a stripped SIGN flag, say
    expect(reason(() => verifyAuthenticate(specInput({ authenticate: CHROMIUM_AUTHENTICATE_WITH_MIC, negotiate })))).toBe(
      "MIC mismatch",
    );
  });

  it("refuses a MIC-bearing response whose MIC field was cut away", () => {
    // Move the payload down over the MIC: the blob still says MsvAvFlags = MIC present.
    const auth = Buffer.from(CHROMIUM_AUTHENTICATE_WITH_MIC);
    const noMic = Buffer.concat([auth.subarray(0, 72), auth.subarray(88)]);
    for (let field = 12; field <= 52; field += 8) {
      const offset = noMic.readUInt32LE(field + 4);
      if (noMic.readUInt16LE(field) > 0) noMic.writeUInt32LE(offset - 16, field + 4);
    }
    expect(reason(() => verifyAuthenticate(specInput({ authenticate: noMic })))).toMatch(/no room/);
  });

  it("refuses a wrong password, a wrong server challenge and an unknown user", () => {
    const wrong = { name: "User", ntHash: ntHash("password") };
    expect(reason(() => verifyAuthenticate(specInput({ lookupUser: () => wrong })))).toBe('wrong password for "User"');
    const otherChallenge = Buffer.from("0123456789abcdee", "hex");
    expect(reason(() => verifyAuthenticate(specInput({ serverChallenge: otherChallenge })))).toMatch(/wrong password/);
    expect(reason(() => verifyAuthenticate(specInput({ lookupUser: () => undefined })))).toBe('unknown user "User"');
  });

  it("maps an unknown user to a keyless guest only when guests are allowed; a wrong password never", () => {
    const logon = verifyAuthenticate(specInput({ lookupUser: () => undefined, allowGuest: true }));
    expect(logon).toMatchObject({ user: "User", guest: true, anonymous: false, sessionKey: Buffer.alloc(16) });
    const wrong = { name: "User", ntHash: ntHash("nope") };
    expect(reason(() => verifyAuthenticate(specInput({ lookupUser: () => wrong, allowGuest: true })))).toMatch(/wrong password/);
  });

  it("refuses NTLMv1, LM-only and timestamp-less NTLMv2 responses", () => {
    const v1 = Buffer.from(SPEC_AUTHENTICATE);
    v1.writeUInt16LE(24, 20);
    expect(reason(() => verifyAuthenticate(specInput({ authenticate: v1 })))).toMatch(/NTLMv1/);
    const lmOnly = Buffer.from(SPEC_AUTHENTICATE);
    lmOnly.writeUInt16LE(0, 20);
    expect(reason(() => verifyAuthenticate(specInput({ authenticate: lmOnly })))).toMatch(/NTLMv1/);
    const short = Buffer.from(SPEC_AUTHENTICATE);
    short.writeUInt16LE(16 + 16, 20); // NTProofStr and half a client challenge: no timestamp
    expect(reason(() => verifyAuthenticate(specInput({ authenticate: short })))).toMatch(/NTLMv2 response of 32 bytes/);
    const badBlob = Buffer.from(SPEC_AUTHENTICATE);
    badBlob[0x84 + 16] = 2; // RespType
    expect(reason(() => verifyAuthenticate(specInput({ authenticate: badBlob })))).toMatch(/malformed NTLMv2 response/);
  });

  it("refuses anonymous unless guests are allowed", () => {
    const anonymous = Buffer.from(SPEC_AUTHENTICATE);
    for (const field of [12, 20, 36]) anonymous.writeUInt16LE(0, field); // no LM, no NT, no user
    expect(reason(() => verifyAuthenticate(specInput({ authenticate: anonymous })))).toMatch(/anonymous/);
    const logon = verifyAuthenticate(specInput({ authenticate: anonymous, allowGuest: true }));
    expect(logon).toMatchObject({ user: "", anonymous: true, guest: false, sessionKey: Buffer.alloc(16) });
  });

  it("refuses a user name of absurd length before looking it up", () => {
    const long = "u".repeat(300);
    const auth = Buffer.concat([SPEC_AUTHENTICATE, Buffer.from(long, "utf16le")]);
    auth.writeUInt16LE(600, 36);
    auth.writeUInt32LE(SPEC_AUTHENTICATE.length, 40);
    let looked = false;
    const lookup = () => ((looked = true), USER);
    expect(reason(() => verifyAuthenticate(specInput({ authenticate: auth, lookupUser: lookup })))).toBe("user name of 300 characters");
    expect(looked).toBe(false);
  });

  it("wraps a malformed message in NtlmAuthError", () => {
    expect(reason(() => verifyAuthenticate(specInput({ authenticate: SPEC_AUTHENTICATE.subarray(0, 100) })))).toMatch(/malformed/);
  });
});
