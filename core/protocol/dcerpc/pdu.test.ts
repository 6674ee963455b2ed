import { describe, expect, it } from "vitest";
import {
  DcerpcError,
  decodeBind,
  decodeBindAck,
  decodeBindNak,
  decodeCommonHeader,
  decodeFault,
  decodeRequest,
  decodeResponse,
  encodeBind,
  encodeBindAck,
  encodeBindNak,
  encodeFault,
  encodeRequest,
  encodeResponseFragments,
  NDR_SYNTAX,
  nca_s_op_rng_error,
  peekFragLength,
  PFC_DID_NOT_EXECUTE,
  PFC_FIRST_FRAG,
  PFC_LAST_FRAG,
  PTYPE_BIND,
  PTYPE_BIND_ACK,
  PTYPE_REQUEST,
  RESULT_ACCEPTANCE,
  uuidFromBytes,
  uuidToBytes,
} from "./pdu.js";
import { SRVSVC_SYNTAX } from "./srvsvc.js";
import { SAMBA_BIND_ACK, SMBCLIENT_BIND, SMBCLIENT_SHARE_ENUM_ALL, SMBTORTURE_BIND } from "./testdata/samba-captures.js";

/** A copy of `pdu` cut to `length` bytes whose frag_length says so, to reach the body checks. */
function cut(pdu: Buffer, length: number): Buffer {
  const short = Buffer.from(pdu.subarray(0, length));
  short.writeUInt16LE(length, 8);
  return short;
}

describe("DCE/RPC PDUs from real peers", () => {
  it("decodes smbclient's BIND of srvsvc", () => {
    const bind = decodeBind(SMBCLIENT_BIND);
    expect(bind.header).toEqual({ ptype: PTYPE_BIND, pfcFlags: PFC_FIRST_FRAG | PFC_LAST_FRAG, fragLength: 72, authLength: 0, callId: 1 });
    expect(bind).toMatchObject({ maxXmitFrag: 4280, maxRecvFrag: 4280, assocGroupId: 0 });
    expect(bind.contexts).toEqual([{ contextId: 0, abstractSyntax: SRVSVC_SYNTAX, transferSyntaxes: [NDR_SYNTAX] }]);
  });

  it("decodes smbtorture's BIND with a bind time feature negotiation context (MS-RPCE §3.3.1.5.3)", () => {
    const bind = decodeBind(SMBTORTURE_BIND);
    expect(bind.contexts.map((c) => c.transferSyntaxes)).toEqual([
      [NDR_SYNTAX],
      [{ uuid: "6cb71c2c-9812-4540-0300-000000000000", major: 1, minor: 0 }],
    ]);
  });

  it("decodes smbd's BIND_ACK and encodes it back byte for byte", () => {
    const ack = decodeBindAck(SAMBA_BIND_ACK);
    expect(ack).toEqual({
      ptype: PTYPE_BIND_ACK,
      callId: 1,
      maxXmitFrag: 4280,
      maxRecvFrag: 4280,
      assocGroupId: 0x4a85,
      secondaryAddress: "\\pipe\\srvsvc",
      results: [{ result: RESULT_ACCEPTANCE, reason: 0, transferSyntax: NDR_SYNTAX }],
    });
    expect(encodeBindAck(ack).equals(SAMBA_BIND_ACK)).toBe(true);
  });

  it("decodes smbclient's NetrShareEnum REQUEST and encodes it back byte for byte", () => {
    const req = decodeRequest(SMBCLIENT_SHARE_ENUM_ALL);
    expect(req).toMatchObject({ allocHint: 68, contextId: 0, opnum: 15, object: null });
    expect(req.header.callId).toBe(2);
    expect(req.stub.length).toBe(68);
    expect(encodeRequest({ callId: 2, contextId: 0, opnum: 15, stub: req.stub }).equals(SMBCLIENT_SHARE_ENUM_ALL)).toBe(true);
  });
});

describe("DCE/RPC PDU encoding", () => {
  it("round-trips a BIND with several contexts and transfer syntaxes", () => {
    const contexts = [
      { contextId: 0, abstractSyntax: SRVSVC_SYNTAX, transferSyntaxes: [NDR_SYNTAX, { uuid: "71710533-beba-4937-8319-b5dbef9ccc36", major: 1, minor: 0 }] },
      { contextId: 7, abstractSyntax: { uuid: "12345778-1234-abcd-ef00-0123456789ab", major: 0, minor: 0 }, transferSyntaxes: [NDR_SYNTAX] },
    ];
    const bind = decodeBind(encodeBind({ callId: 9, maxXmitFrag: 5840, maxRecvFrag: 4280, assocGroupId: 0x1234, contexts }));
    expect(bind).toMatchObject({ maxXmitFrag: 5840, maxRecvFrag: 4280, assocGroupId: 0x1234, contexts });
    expect(bind.header.callId).toBe(9);
  });

  it("cuts a response stub into fragments of whole 8-byte units, as smbd does at 4280 bytes", () => {
    const stub = Buffer.alloc(10_000);
    for (let i = 0; i < stub.length; i++) stub[i] = i % 251;
    const fragments = encodeResponseFragments(5, 3, stub, 4280);
    // smbd sent 4280-byte fragments carrying 4256 stub bytes each for a longer listing.
    expect(fragments.map((f) => f.length)).toEqual([4280, 4280, 24 + 10_000 - 2 * 4256]);
    const decoded = fragments.map(decodeResponse);
    expect(decoded.map((d) => d.header.pfcFlags)).toEqual([PFC_FIRST_FRAG, 0, PFC_LAST_FRAG]);
    expect(decoded.map((d) => d.allocHint)).toEqual([10_000, 10_000 - 4256, 10_000 - 2 * 4256]);
    expect(decoded.every((d) => d.contextId === 3 && d.header.callId === 5)).toBe(true);
    expect(Buffer.concat(decoded.map((d) => d.stub)).equals(stub)).toBe(true);
    // A fragment size that is not 24 plus a multiple of 8 still cuts the stub on 8-byte boundaries.
    const odd = encodeResponseFragments(5, 3, stub, 1437).map(decodeResponse);
    expect(odd.slice(0, -1).every((d) => d.stub.length === 1408)).toBe(true);
    expect(Buffer.concat(odd.map((d) => d.stub)).equals(stub)).toBe(true);
  });

  it("sends an empty stub as one fragment and refuses a fragment size with no room for stub", () => {
    const [only, ...rest] = encodeResponseFragments(1, 0, Buffer.alloc(0), 4280);
    expect(rest).toEqual([]);
    expect(decodeResponse(only!).header.pfcFlags).toBe(PFC_FIRST_FRAG | PFC_LAST_FRAG);
    expect(() => encodeResponseFragments(1, 0, Buffer.alloc(8), 24)).toThrow(RangeError);
  });

  it("encodes a FAULT (C706 §12.6.4.7) that says the call did not run", () => {
    const pdu = encodeFault(4, 1, nca_s_op_rng_error);
    expect(pdu.length).toBe(32);
    const fault = decodeFault(pdu);
    expect(fault).toMatchObject({ contextId: 1, status: 0x1c010002 });
    expect(fault.header.pfcFlags).toBe(PFC_FIRST_FRAG | PFC_LAST_FRAG | PFC_DID_NOT_EXECUTE);
  });

  it("encodes a BIND_NAK offering version 5.0", () => {
    const pdu = encodeBindNak(3, 8);
    expect(decodeBindNak(pdu)).toEqual({ callId: 3, reason: 8 });
    expect(pdu.subarray(18, 21).toString("hex")).toBe("010500");
  });

  it("writes UUIDs with their first three fields little-endian", () => {
    expect(uuidToBytes(SRVSVC_SYNTAX.uuid).toString("hex")).toBe("c84f324b7016d30112785a47bf6ee188");
    expect(uuidFromBytes(SMBCLIENT_BIND, 32)).toBe(SRVSVC_SYNTAX.uuid);
  });
});

describe("DCE/RPC PDUs on hostile input", () => {
  it("refuses big-endian data representation with a clear error", () => {
    const pdu = Buffer.from(SMBCLIENT_BIND);
    pdu[4] = 0x00;
    expect(() => decodeBind(pdu)).toThrow(/only little-endian is accepted/);
  });

  it("refuses other versions, short frag_lengths and frag_lengths that do not match", () => {
    const v4 = Buffer.from(SMBCLIENT_BIND);
    v4[0] = 4;
    expect(() => decodeCommonHeader(v4)).toThrow(/version 4\.0/);
    expect(() => decodeCommonHeader(cut(SMBCLIENT_BIND, 16).fill(0, 8, 10))).toThrow(/shorter than the header/);
    expect(() => decodeCommonHeader(SMBCLIENT_BIND.subarray(0, 40))).toThrow(/does not match/);
    expect(peekFragLength(SMBCLIENT_BIND.subarray(0, 15))).toBeNull();
    expect(peekFragLength(SMBCLIENT_BIND.subarray(0, 16))).toBe(72);
  });

  it("refuses an auth_length that does not fit in the PDU", () => {
    const pdu = Buffer.from(SMBCLIENT_SHARE_ENUM_ALL);
    pdu.writeUInt16LE(0xfff0, 10);
    expect(() => decodeRequest(pdu)).toThrow(/auth_length/);
  });

  it("refuses auth padding that reaches back into the header", () => {
    const pdu = Buffer.alloc(24 + 8 + 8);
    encodeRequest({ callId: 1, contextId: 0, opnum: 15, stub: Buffer.alloc(16) }).copy(pdu);
    pdu.writeUInt16LE(40, 8);
    pdu.writeUInt16LE(8, 10); // 8 bytes of credentials after an 8-byte sec_trailer at 24
    pdu[24 + 2] = 200; // auth_pad_length
    expect(() => decodeRequest(pdu)).toThrow(DcerpcError);
  });

  it("answers every truncation of real PDUs with DcerpcError or a shorter valid decode, nothing else", () => {
    const cases: Array<[Buffer, (b: Buffer) => unknown]> = [
      [SMBCLIENT_BIND, decodeBind],
      [SMBTORTURE_BIND, decodeBind],
      [SAMBA_BIND_ACK, decodeBindAck],
      [SMBCLIENT_SHARE_ENUM_ALL, decodeRequest],
    ];
    for (const [pdu, decode] of cases) {
      for (let length = 0; length < pdu.length; length++) {
        const short = length >= 16 ? cut(pdu, length) : pdu.subarray(0, length);
        try {
          decode(short);
        } catch (err) {
          expect(err).toBeInstanceOf(DcerpcError);
        }
      }
    }
    expect(() => decodeBind(cut(SMBCLIENT_BIND, 60))).toThrow(/truncated DCE\/RPC bind/);
  });

  it("refuses a presentation context with no transfer syntax and a PDU of the wrong type", () => {
    const pdu = Buffer.from(SMBCLIENT_BIND);
    pdu[28 + 2] = 0;
    expect(() => decodeBind(pdu)).toThrow(/no transfer syntax/);
    expect(() => decodeBind(SMBCLIENT_SHARE_ENUM_ALL)).toThrow(/not a bind/);
    expect(decodeCommonHeader(SMBCLIENT_SHARE_ENUM_ALL).ptype).toBe(PTYPE_REQUEST);
  });
});
