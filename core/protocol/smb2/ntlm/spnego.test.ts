import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  NEG_STATE_ACCEPT_COMPLETED,
  NEG_STATE_ACCEPT_INCOMPLETE,
  OID_NTLMSSP,
  SpnegoError,
  decodeNegTokenInit,
  decodeNegTokenResp,
  encodeMechTypeList,
  encodeNegTokenInit,
  encodeNegTokenInit2,
  encodeNegTokenResp,
  isSpnegoToken,
} from "./spnego.js";
import { hex } from "../../../testing/ntlm-vectors.js";

/** The NegTokenInit2 Samba puts in its SMB2 NEGOTIATE response when it offers NTLMSSP only (captured on the wire). */
const SAMBA_NEG_TOKEN_INIT2 = hex(
  "604806062b0601050502a03e303ca00e300c060a2b06010401823702020aa32a3028a0261b246e6f745f646566696e65645f696e5f" +
    "5246433431373840706c656173655f69676e6f7265",
);
/** A client's first SESSION_SETUP token: NegTokenInit with mechTypes [NTLMSSP] and a 40-byte NTLM NEGOTIATE. */
const CLIENT_NEG_TOKEN_INIT = hex(
  "604806062b0601050502a03e303ca00e300c060a2b06010401823702020aa22a04284e544c4d5353500001000000158208" +
    "6200000000280000000000000028000000060100000000000f",
);
const MS_KRB5 = "1.2.840.48018.1.2.2";
const KRB5 = "1.2.840.113554.1.2.2";
const NEGOEX = "1.3.6.1.4.1.311.2.2.30";

describe("SPNEGO", () => {
  it("encodes NegTokenInit2 exactly as Samba sends it", () => {
    expect(encodeNegTokenInit2([OID_NTLMSSP])).toEqual(SAMBA_NEG_TOKEN_INIT2);
  });

  it("reads back Samba's NegTokenInit2 (negHints skipped)", () => {
    const init = decodeNegTokenInit(SAMBA_NEG_TOKEN_INIT2);
    expect(init.mechTypes).toEqual([OID_NTLMSSP]);
    expect(init.mechToken).toBeUndefined();
    expect(init.mechListMIC).toBeUndefined();
  });

  it("decodes a client's NegTokenInit and keeps the DER MechTypeList it will be signed over", () => {
    const init = decodeNegTokenInit(CLIENT_NEG_TOKEN_INIT);
    expect(init.mechTypes).toEqual([OID_NTLMSSP]);
    expect(init.mechTypesDer.toString("hex")).toBe("300c060a2b06010401823702020a");
    expect(init.mechToken?.subarray(0, 8).toString("latin1")).toBe("NTLMSSP\0");
    expect(init.mechToken?.length).toBe(40);
    expect(init.mechListMIC).toBeUndefined();
  });

  it("round-trips a Windows-like mech list and a bare negTokenInit", () => {
    const mechTypes = [MS_KRB5, KRB5, NEGOEX, OID_NTLMSSP];
    const token = encodeNegTokenInit({ mechTypes, mechToken: randomBytes(300) });
    const init = decodeNegTokenInit(token);
    expect(init.mechTypes).toEqual(mechTypes);
    expect(init.mechTypesDer).toEqual(encodeMechTypeList(mechTypes));
    expect(init.mechToken?.length).toBe(300);
    // Without the [APPLICATION 0] wrapper: skip tag, length and the SPNEGO OID.
    const bare = token.subarray(token.indexOf(0xa0, 4));
    expect(decodeNegTokenInit(bare).mechTypes).toEqual(mechTypes);
    expect(isSpnegoToken(bare) && isSpnegoToken(token)).toBe(true);
  });

  it("encodes NegTokenResp with long-form lengths like Samba's challenge reply", () => {
    const resp = encodeNegTokenResp({
      negState: NEG_STATE_ACCEPT_INCOMPLETE,
      supportedMech: OID_NTLMSSP,
      responseToken: Buffer.alloc(138, 0x4e),
    });
    // Samba's reply to a NegTokenInit, up to its 138-byte NTLM CHALLENGE (captured on the wire).
    expect(resp.subarray(0, 31).toString("hex")).toBe("a181a63081a3a0030a0101a10c060a2b06010401823702020aa2818d04818a");
    expect(decodeNegTokenResp(resp)).toEqual({
      negState: NEG_STATE_ACCEPT_INCOMPLETE,
      supportedMech: OID_NTLMSSP,
      responseToken: Buffer.alloc(138, 0x4e),
    });
  });

  it("round-trips a final NegTokenResp with a mechListMIC and a 70 KB token (3-byte length)", () => {
    const resp = { negState: NEG_STATE_ACCEPT_COMPLETED, responseToken: randomBytes(70_000), mechListMIC: randomBytes(16) };
    const decoded = decodeNegTokenResp(encodeNegTokenResp(resp));
    expect(decoded.negState).toBe(NEG_STATE_ACCEPT_COMPLETED);
    expect(decoded.responseToken?.equals(resp.responseToken)).toBe(true);
    expect(decoded.mechListMIC?.equals(resp.mechListMIC)).toBe(true);
  });

  it("refuses indefinite lengths, 5-byte lengths, high tags and lengths past the buffer", () => {
    expect(() => decodeNegTokenResp(hex("a180300000"))).toThrow(/indefinite/);
    expect(() => decodeNegTokenResp(hex("a1850000000002300000"))).toThrow(/length of 5 bytes/);
    expect(() => decodeNegTokenResp(hex("bf0100"))).toThrow(/high tag/);
    expect(() => decodeNegTokenResp(hex("a184ffffffff30"))).toThrow(/runs past/);
    expect(() => decodeNegTokenResp(hex("a10430023000"))).toThrow(SpnegoError);
    expect(() => decodeNegTokenResp(Buffer.alloc(0))).toThrow(/truncated/);
  });

  it("refuses a token for another mechanism, a NegTokenInit without mechTypes and non-OIDs in the list", () => {
    const krb = Buffer.from(CLIENT_NEG_TOKEN_INIT);
    krb[9] = 0x03; // thisMech 1.3.6.1.5.5.3
    expect(() => decodeNegTokenInit(krb)).toThrow(/not SPNEGO/);
    expect(() => decodeNegTokenInit(hex("a0083006a2040402aabb"))).toThrow(/without mechTypes/);
    expect(() => decodeNegTokenInit(hex("a0083006a0043002" + "0400"))).toThrow(/non-OID/);
  });

  it("throws nothing but SpnegoError on every truncation and random corruption", () => {
    const samples = [CLIENT_NEG_TOKEN_INIT, encodeNegTokenResp({ negState: 1, responseToken: randomBytes(200), mechListMIC: randomBytes(16) })];
    for (const sample of samples) {
      for (let n = 0; n < sample.length; n++) {
        expect(() => (sample === CLIENT_NEG_TOKEN_INIT ? decodeNegTokenInit : decodeNegTokenResp)(sample.subarray(0, n))).toThrow(SpnegoError);
      }
    }
    for (let round = 0; round < 3000; round++) {
      const bytes = Buffer.from(samples[round % 2] as Buffer);
      for (let flips = 1 + (round % 3); flips > 0; flips--) bytes[Math.floor(Math.random() * 40)] = randomBytes(1)[0] as number;
      for (const decode of [decodeNegTokenInit, decodeNegTokenResp]) {
        try {
          decode(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(SpnegoError);
        }
      }
    }
  });
});
