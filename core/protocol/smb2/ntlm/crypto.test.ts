import { describe, expect, it } from "vitest";
import { messageSignature, ntHash, ntowfV2, ntProofStr, sealKey, sessionBaseKey, signKey, upcaseUnicode } from "./crypto.js";
import { Rc4, rc4k } from "./rc4.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

// MS-NLMP §4.2.1 Common Values.
const SERVER_CHALLENGE = hex("01 23 45 67 89 ab cd ef");
const RANDOM_SESSION_KEY = Buffer.alloc(16, 0x55);
// MS-NLMP §4.2.4.1.3: temp, from the §4.2.4.3 AUTHENTICATE_MESSAGE (timestamp 0, client challenge aa..aa,
// AV pairs MsvAvNbDomainName "Domain", MsvAvNbComputerName "Server", MsvAvEOL, then four zero bytes).
const TEMP = hex(`01 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 aa aa aa aa aa aa aa aa 00 00 00 00
  02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00 01 00 0c 00 53 00 65 00 72 00 76 00 65 00 72 00
  00 00 00 00 00 00 00 00`);
// MS-NLMP §4.2.4: the AUTHENTICATE flags (KEY_EXCH, 128, 56, ESS, SIGN, SEAL...).
const FLAGS = 0xe2888235;

describe("NTLMv2 computations (MS-NLMP §4.2.4)", () => {
  it("NTOWFv1: MD4 of the UTF-16LE password (§4.2.2.1.2)", () => {
    expect(ntHash("Password").toString("hex")).toBe("a4f49c406510bdcab6824ee7c30fd852");
  });

  it("NTOWFv2 (§4.2.4.1.1)", () => {
    expect(ntowfV2(ntHash("Password"), "User", "Domain").toString("hex")).toBe("0c868a403bfd7a93a3001ef22ef02e3f");
  });

  it("NTProofStr (§4.2.4.2.2) and SessionBaseKey (§4.2.4.1.2)", () => {
    const key = ntowfV2(ntHash("Password"), "User", "Domain");
    const proof = ntProofStr(key, SERVER_CHALLENGE, TEMP);
    expect(proof.toString("hex")).toBe("68cd0ab851e51c96aabc927bebef6a1c");
    expect(sessionBaseKey(key, proof).toString("hex")).toBe("8de40ccadbc14a82f15cb0ad0de95ca3");
  });

  it("EncryptedRandomSessionKey = RC4K(KeyExchangeKey, RandomSessionKey) (§4.2.4.2.3)", () => {
    const keyExchangeKey = hex("8de40ccadbc14a82f15cb0ad0de95ca3");
    expect(rc4k(keyExchangeKey, RANDOM_SESSION_KEY).toString("hex")).toBe("c5dad2544fc9799094ce1ce90bc9d03e");
  });

  it("client-to-server SIGNKEY and SEALKEY (§4.2.4.4)", () => {
    expect(signKey(RANDOM_SESSION_KEY, "client-to-server").toString("hex")).toBe("4788dc861b4782f35d43fd98fe1a2d39");
    expect(sealKey(RANDOM_SESSION_KEY, FLAGS, "client-to-server").toString("hex")).toBe("59f600973cc4960a25480a7c196e4c58");
  });

  it("signs like the GSS_WrapEx example, the sealing handle running on from the sealed text (§4.2.4.4)", () => {
    const plaintext = Buffer.from("Plaintext", "utf16le");
    const sealing = new Rc4(sealKey(RANDOM_SESSION_KEY, FLAGS, "client-to-server"));
    expect(sealing.apply(plaintext).toString("hex")).toBe("54e50165bf1936dc996020c1811b0f06fb5f");
    const signature = messageSignature(signKey(RANDOM_SESSION_KEY, "client-to-server"), sealing, FLAGS, 0, plaintext);
    expect(signature.toString("hex")).toBe("010000007fb38ec5c55d497600000000");
  });

  it("cuts the sealing key to 56 or 40 bits without NEGOTIATE_128 (§3.4.5.3)", () => {
    const k128 = sealKey(RANDOM_SESSION_KEY, FLAGS, "server-to-client");
    const k56 = sealKey(RANDOM_SESSION_KEY, FLAGS & ~0x20000000, "server-to-client");
    const k40 = sealKey(RANDOM_SESSION_KEY, FLAGS & ~0x20000000 & ~0x80000000, "server-to-client");
    expect(new Set([k128, k56, k40].map((k) => k.toString("hex"))).size).toBe(3);
    // Only the first 7 bytes count with 56 bits.
    const other = Buffer.concat([RANDOM_SESSION_KEY.subarray(0, 7), Buffer.alloc(9)]);
    expect(sealKey(other, FLAGS & ~0x20000000, "server-to-client")).toEqual(k56);
  });

  it("uppercases the user name code unit by code unit, never the domain", () => {
    const hash = ntHash("Password");
    expect(ntowfV2(hash, "user", "Domain")).toEqual(ntowfV2(hash, "USER", "Domain"));
    expect(ntowfV2(hash, "jürgen", "Domain")).toEqual(ntowfV2(hash, "JÜRGEN", "Domain"));
    expect(ntowfV2(hash, "User", "domain")).not.toEqual(ntowfV2(hash, "User", "Domain"));
    expect(upcaseUnicode("straße")).toBe("STRAßE");
  });
});
