import { describe, expect, it } from "vitest";
import {
  SMB2_FLAGS_SIGNED,
  SMB2_SIGNING_AES_CMAC,
  SMB2_SIGNING_AES_GMAC,
  SMB2_SIGNING_HMAC_SHA256,
  type Smb2SigningAlgorithm,
} from "./constants.js";
import { SmbCryptoError } from "./errors.js";
import { computeSignature, signMessage, verifySignature } from "./signing.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

// Microsoft Open Specifications blog, "SMB 3.1.1 Encryption in Windows 10" (2015-09-09): the final
// SESSION_SETUP response (SessionId 0x100000000025, flags SIGNED | SERVER_TO_REDIR), signed by
// Windows with the session's SigningKey under AES-128-CMAC; signature 6B85A451…E6B8.
const SIGNING_KEY = hex("8765949DFEAEE105CE9118B45BE988F0");
const SIGNED_RESPONSE = hex(`FE534D4240000100000000000100800009000000000000000200000000000000FFFE000000000000
  25000000001000006B85A4519A0F3EEA35BA946DD3AFE6B80900000048001D00A11B3019A0030A01
  00A3120410010000003932A87523AB660100000000`);
const SIGNATURE = SIGNED_RESPONSE.subarray(48, 64);

/** The same message as a client's SMB2 CANCEL request: command 0x000C, flags SIGNED only. */
function asCancelRequest(message: Buffer): Buffer {
  const copy = Buffer.from(message);
  copy.writeUInt16LE(0x000c, 12);
  copy.writeUInt32LE(SMB2_FLAGS_SIGNED, 16);
  return copy;
}

const withZeroSignature = (message: Buffer): Buffer => {
  const copy = Buffer.from(message);
  copy.fill(0, 48, 64);
  return copy;
};

const ALGORITHMS: Smb2SigningAlgorithm[] = [SMB2_SIGNING_HMAC_SHA256, SMB2_SIGNING_AES_CMAC, SMB2_SIGNING_AES_GMAC];

describe("SMB2 message signing", () => {
  it("verifies the AES-CMAC signature Windows put on Microsoft's published message", () => {
    expect(computeSignature(SMB2_SIGNING_AES_CMAC, SIGNING_KEY, SIGNED_RESPONSE)).toEqual(SIGNATURE);
    expect(verifySignature(SMB2_SIGNING_AES_CMAC, SIGNING_KEY, SIGNED_RESPONSE)).toBe(true);
  });

  it("signs that message as Windows did", () => {
    const message = withZeroSignature(SIGNED_RESPONSE);
    signMessage(SMB2_SIGNING_AES_CMAC, SIGNING_KEY, message);
    expect(message).toEqual(SIGNED_RESPONSE);
  });

  // No published vectors for these two. Independent computation over the same message with
  // Python 3 hmac/hashlib (HMAC-SHA256, first 16 bytes) and pyca/cryptography 48.0.0 AESGCM
  // (empty plaintext, the message with a zeroed signature as AAD, nonce MessageId ‖ u32 LE flags).
  it("computes HMAC-SHA256 (first 16 bytes) as an independent implementation does", () => {
    expect(computeSignature(SMB2_SIGNING_HMAC_SHA256, SIGNING_KEY, SIGNED_RESPONSE)).toEqual(
      hex("6A88DEEE0368BE83EEB593B2A68345E6"),
    );
  });

  it("computes AES-GMAC with the server bit in the nonce for a response", () => {
    expect(computeSignature(SMB2_SIGNING_AES_GMAC, SIGNING_KEY, SIGNED_RESPONSE)).toEqual(
      hex("42FE89B1890DE0AADF2117AC042B355B"),
    );
  });

  it("computes AES-GMAC with the cancel bit in the nonce for a CANCEL request", () => {
    expect(computeSignature(SMB2_SIGNING_AES_GMAC, SIGNING_KEY, asCancelRequest(SIGNED_RESPONSE))).toEqual(
      hex("96343851607BE718CF8355923E998536"),
    );
  });

  it.each(ALGORITHMS)("round-trips sign → verify and sets SMB2_FLAGS_SIGNED (algorithm %i)", (algorithm) => {
    const message = withZeroSignature(SIGNED_RESPONSE);
    message.writeUInt32LE(0x00000001, 16); // SERVER_TO_REDIR, not yet SIGNED
    signMessage(algorithm, SIGNING_KEY, message);
    expect(message.readUInt32LE(16)).toBe(0x00000009);
    expect(verifySignature(algorithm, SIGNING_KEY, message)).toBe(true);
  });

  it.each(ALGORITHMS)("fails verification when any byte changes (algorithm %i)", (algorithm) => {
    const message = withZeroSignature(SIGNED_RESPONSE);
    signMessage(algorithm, SIGNING_KEY, message);
    for (let i = 0; i < message.length; i++) {
      const tampered = Buffer.from(message);
      tampered[i]! ^= 0x01;
      expect(verifySignature(algorithm, SIGNING_KEY, tampered), `byte ${i}`).toBe(false);
    }
    expect(verifySignature(algorithm, Buffer.alloc(16, 0x55), message)).toBe(false);
  });

  it.each(ALGORITHMS)("does not modify the message it verifies (algorithm %i)", (algorithm) => {
    const message = withZeroSignature(SIGNED_RESPONSE);
    signMessage(algorithm, SIGNING_KEY, message);
    const before = Buffer.from(message);
    verifySignature(algorithm, SIGNING_KEY, message);
    computeSignature(algorithm, SIGNING_KEY, message);
    expect(message).toEqual(before);
  });

  it("signs one message of a compound chain over its own byte range only", () => {
    const first = withZeroSignature(SIGNED_RESPONSE);
    const padded = Buffer.concat([first, Buffer.alloc(3)]); // padding up to an 8-byte NextCommand
    const chain = Buffer.concat([padded, withZeroSignature(SIGNED_RESPONSE)]);
    const view = chain.subarray(0, padded.length);
    signMessage(SMB2_SIGNING_AES_CMAC, SIGNING_KEY, view);
    expect(verifySignature(SMB2_SIGNING_AES_CMAC, SIGNING_KEY, chain.subarray(0, padded.length))).toBe(true);
    expect(chain.subarray(padded.length)).toEqual(withZeroSignature(SIGNED_RESPONSE));
    expect(computeSignature(SMB2_SIGNING_AES_CMAC, SIGNING_KEY, padded)).toEqual(chain.subarray(48, 64));
  });

  it("gives false for a buffer too short to be a message, and refuses to sign one", () => {
    for (const algorithm of ALGORITHMS) {
      expect(verifySignature(algorithm, SIGNING_KEY, SIGNED_RESPONSE.subarray(0, 63))).toBe(false);
      expect(verifySignature(algorithm, SIGNING_KEY, Buffer.alloc(0))).toBe(false);
      expect(() => signMessage(algorithm, SIGNING_KEY, Buffer.alloc(63))).toThrow(SmbCryptoError);
    }
  });

  it("refuses keys the algorithm cannot use and unknown algorithms", () => {
    expect(() => computeSignature(SMB2_SIGNING_AES_CMAC, Buffer.alloc(32), SIGNED_RESPONSE)).toThrow(SmbCryptoError);
    expect(() => computeSignature(SMB2_SIGNING_AES_GMAC, Buffer.alloc(8), SIGNED_RESPONSE)).toThrow(SmbCryptoError);
    expect(() => computeSignature(SMB2_SIGNING_HMAC_SHA256, Buffer.alloc(0), SIGNED_RESPONSE)).toThrow(SmbCryptoError);
    expect(() => computeSignature(7 as Smb2SigningAlgorithm, SIGNING_KEY, SIGNED_RESPONSE)).toThrow(SmbCryptoError);
  });
});
