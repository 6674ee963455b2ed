import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  AUTHENTICATE_MIC_OFFSET,
  MsvAvFlags,
  MsvAvNbComputerName,
  MsvAvNbDomainName,
  MsvAvTimestamp,
  NtlmMessageError,
  decodeAuthenticate,
  decodeAvPairs,
  decodeChallenge,
  decodeNegotiate,
  decodeNtlmV2ClientChallenge,
  encodeAuthenticate,
  encodeAvPairs,
  encodeChallenge,
  encodeNegotiate,
  encodeNtlmV2ClientChallenge,
  findAvPair,
  ntlmMessageType,
} from "./messages.js";
import { CHROMIUM_AUTHENTICATE_WITH_MIC, CHROMIUM_NEGOTIATE, SPEC_AUTHENTICATE, SPEC_CHALLENGE, hex } from "../../../testing/ntlm-vectors.js";

const utf16 = (s: string): Buffer => Buffer.from(s, "utf16le");

/** Runs `decode` and accepts a value or NtlmMessageError, nothing else. */
function decodesOrRefuses(decode: () => unknown): void {
  try {
    decode();
  } catch (err) {
    expect(err).toBeInstanceOf(NtlmMessageError);
  }
}

describe("CHALLENGE_MESSAGE", () => {
  it("decodes MS-NLMP §4.2.4.3's example and re-encodes it byte for byte", () => {
    const message = decodeChallenge(SPEC_CHALLENGE);
    expect(message.flags >>> 0).toBe(0xe28a8233);
    expect(message.serverChallenge.toString("hex")).toBe("0123456789abcdef");
    expect(message.targetName).toBe("Server");
    expect(message.targetInfo).toEqual([
      { id: MsvAvNbDomainName, value: utf16("Domain") },
      { id: MsvAvNbComputerName, value: utf16("Server") },
    ]);
    expect(message.version).toEqual({ major: 6, minor: 0, build: 6000, revision: 15 });
    expect(encodeChallenge(message)).toEqual(SPEC_CHALLENGE);
  });
});

describe("AUTHENTICATE_MESSAGE", () => {
  it("decodes MS-NLMP §4.2.4.3's example and re-encodes it byte for byte", () => {
    const message = decodeAuthenticate(SPEC_AUTHENTICATE);
    expect(message.flags >>> 0).toBe(0xe2888235);
    expect([message.domain, message.user, message.workstation]).toEqual(["Domain", "User", "COMPUTER"]);
    expect(message.lmChallengeResponse.toString("hex")).toBe("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa");
    expect(message.ntChallengeResponse.subarray(0, 16).toString("hex")).toBe("68cd0ab851e51c96aabc927bebef6a1c");
    expect(message.encryptedRandomSessionKey.toString("hex")).toBe("c5dad2544fc9799094ce1ce90bc9d03e");
    expect(message.version).toEqual({ major: 5, minor: 1, build: 2600, revision: 15 });
    expect(message.mic).toBeUndefined();
    expect(encodeAuthenticate(message)).toEqual(SPEC_AUTHENTICATE);
  });

  it("finds the MIC when the payload starts after it (Chromium's vector)", () => {
    const message = decodeAuthenticate(CHROMIUM_AUTHENTICATE_WITH_MIC);
    expect(message.mic?.toString("hex")).toBe("f7361633f0ad9bdf4a7c421bc6b824a3");
    expect(message.user).toBe("User");
    const blob = decodeNtlmV2ClientChallenge(message.ntChallengeResponse.subarray(16));
    expect(blob.timestamp).toBe(131400439870000000n);
    expect(findAvPair(blob.avPairs, MsvAvFlags)?.readUInt32LE(0)).toBe(2);
  });

  it("reads the NTLMv2 client challenge of §4.2.4 and writes it back as temp", () => {
    const nt = decodeAuthenticate(SPEC_AUTHENTICATE).ntChallengeResponse;
    const blob = decodeNtlmV2ClientChallenge(nt.subarray(16));
    expect(blob.timestamp).toBe(0n);
    expect(blob.challengeFromClient.toString("hex")).toBe("aaaaaaaaaaaaaaaa");
    expect(blob.avPairs.map((p) => p.id)).toEqual([MsvAvNbDomainName, MsvAvNbComputerName]);
    expect(encodeNtlmV2ClientChallenge(blob)).toEqual(nt.subarray(16));
  });

  it("refuses a field that points into the header or past the message", () => {
    const intoHeader = Buffer.from(SPEC_AUTHENTICATE);
    intoHeader.writeUInt32LE(8, 40); // UserNameFields.BufferOffset into the signature
    expect(() => decodeAuthenticate(intoHeader)).toThrow(NtlmMessageError);
    const pastEnd = Buffer.from(SPEC_AUTHENTICATE);
    pastEnd.writeUInt16LE(0xffff, 20); // NtChallengeResponseFields.Len
    expect(() => decodeAuthenticate(pastEnd)).toThrow(/outside/);
    const hugeOffset = Buffer.from(SPEC_AUTHENTICATE);
    hugeOffset.writeUInt32LE(0xfffffff0, 24);
    expect(() => decodeAuthenticate(hugeOffset)).toThrow(NtlmMessageError);
  });

  it("refuses an odd-length UTF-16 name, a wrong signature and a wrong type", () => {
    const odd = Buffer.from(SPEC_AUTHENTICATE);
    odd.writeUInt16LE(7, 36);
    expect(() => decodeAuthenticate(odd)).toThrow(/odd length/);
    const signature = Buffer.from(SPEC_AUTHENTICATE);
    signature[0] = 0x4f;
    expect(() => decodeAuthenticate(signature)).toThrow(/not an NTLMSSP/);
    expect(() => decodeAuthenticate(SPEC_CHALLENGE)).toThrow(/type 2/);
    expect(ntlmMessageType(SPEC_CHALLENGE)).toBe(2);
    expect(ntlmMessageType(Buffer.from("hello world!"))).toBeUndefined();
  });

  it("refuses every truncation of the example", () => {
    for (let n = 0; n < SPEC_AUTHENTICATE.length; n++) {
      expect(() => decodeAuthenticate(SPEC_AUTHENTICATE.subarray(0, n))).toThrow(NtlmMessageError);
    }
  });

  it("throws nothing but NtlmMessageError on random corruption", () => {
    for (let round = 0; round < 2000; round++) {
      const bytes = Buffer.from(round % 2 ? SPEC_AUTHENTICATE : CHROMIUM_AUTHENTICATE_WITH_MIC);
      for (let flips = 1 + (round % 4); flips > 0; flips--) {
        bytes[Math.floor(Math.random() * Math.min(bytes.length, 96))] = randomBytes(1)[0] as number;
      }
      decodesOrRefuses(() => {
        const message = decodeAuthenticate(bytes);
        if (message.ntChallengeResponse.length > 16) decodeNtlmV2ClientChallenge(message.ntChallengeResponse.subarray(16));
      });
      decodesOrRefuses(() => decodeChallenge(bytes));
      decodesOrRefuses(() => decodeNegotiate(bytes));
    }
  });
});

describe("NEGOTIATE_MESSAGE", () => {
  it("decodes Chromium's 32-byte NEGOTIATE (no names, no version)", () => {
    const message = decodeNegotiate(CHROMIUM_NEGOTIATE);
    expect(message).toEqual({ flags: 0x00088207, domain: "", workstation: "" });
    expect(encodeNegotiate(message)).toEqual(CHROMIUM_NEGOTIATE);
  });

  it("decodes the 16-byte form of old clients and round-trips names and VERSION", () => {
    expect(decodeNegotiate(CHROMIUM_NEGOTIATE.subarray(0, 16)).flags).toBe(0x00088207);
    const message = {
      flags: 0x02003000 | 0x1,
      domain: "WORKGROUP",
      workstation: "PC",
      version: { major: 10, minor: 0, build: 19041, revision: 15 },
    };
    expect(decodeNegotiate(encodeNegotiate(message))).toEqual(message);
  });
});

describe("AV_PAIR list", () => {
  it("round-trips and requires MsvAvEOL", () => {
    const pairs = [
      { id: MsvAvNbComputerName, value: utf16("HOST") },
      { id: MsvAvTimestamp, value: hex("0011223344556677") },
    ];
    const bytes = encodeAvPairs(pairs);
    expect(decodeAvPairs(bytes)).toEqual(pairs);
    expect(() => decodeAvPairs(bytes.subarray(0, bytes.length - 4))).toThrow(/no MsvAvEOL/);
  });

  it("refuses a pair longer than its list", () => {
    expect(() => decodeAvPairs(hex("01 00 ff 00 41 00 00 00 00 00"))).toThrow(/runs past/);
  });

  it("refuses a truncated or version-less NTLMv2 client challenge", () => {
    const nt = decodeAuthenticate(SPEC_AUTHENTICATE).ntChallengeResponse.subarray(16);
    expect(() => decodeNtlmV2ClientChallenge(nt.subarray(0, 20))).toThrow(/truncated/);
    const wrongVersion = Buffer.from(nt);
    wrongVersion[0] = 2;
    expect(() => decodeNtlmV2ClientChallenge(wrongVersion)).toThrow(/version/);
  });

  it("keeps the MIC where a MIC-bearing message puts it", () => {
    const message = { ...decodeAuthenticate(SPEC_AUTHENTICATE), mic: Buffer.alloc(16, 0xee) };
    const bytes = encodeAuthenticate(message);
    expect(bytes.subarray(AUTHENTICATE_MIC_OFFSET, AUTHENTICATE_MIC_OFFSET + 16)).toEqual(Buffer.alloc(16, 0xee));
    expect(decodeAuthenticate(bytes).mic).toEqual(Buffer.alloc(16, 0xee));
  });
});
