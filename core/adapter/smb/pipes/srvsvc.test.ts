import { describe, expect, it } from "vitest";
import {
  BIND_NAK_AUTHENTICATION_TYPE_NOT_RECOGNIZED,
  BIND_NAK_REASON_NOT_SPECIFIED,
  decodeBindAck,
  decodeBindNak,
  decodeCommonHeader,
  decodeFault,
  decodeResponse,
  encodeBind,
  encodeRequest,
  NDR_SYNTAX,
  nca_s_fault_ndr,
  nca_s_fault_remote_no_memory,
  nca_s_op_rng_error,
  nca_s_proto_error,
  nca_s_unk_if,
  NULL_SYNTAX,
  PFC_DID_NOT_EXECUTE,
  PFC_FIRST_FRAG,
  PFC_LAST_FRAG,
  PTYPE_ALTER_CONTEXT,
  PTYPE_ALTER_CONTEXT_RESP,
  PTYPE_BIND_NAK,
  PTYPE_FAULT,
  REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED,
  REASON_PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED,
  RESULT_ACCEPTANCE,
  RESULT_NEGOTIATE_ACK,
  RESULT_PROVIDER_REJECTION,
  type PresentationContext,
} from "../../../protocol/dcerpc/pdu.js";
import {
  decodeNetrServerGetInfoResponse,
  decodeNetrShareEnumResponse,
  decodeNetrShareGetInfoResponse,
  encodeNetrServerGetInfoRequest,
  encodeNetrShareEnumRequest,
  encodeNetrShareGetInfoRequest,
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_LEVEL,
  ERROR_MORE_DATA,
  MAX_PREFERRED_LENGTH,
  NERR_NetNameNotFound,
  SRVSVC_SYNTAX,
} from "../../../protocol/dcerpc/srvsvc.js";
import { SMBCLIENT_BIND, SMBCLIENT_SHARE_ENUM_ALL, SMBTORTURE_BIND } from "../../../protocol/dcerpc/testdata/samba-captures.js";
import { MAX_PENDING_OUTPUT, MAX_RECV_FRAG, MAX_REQUEST_STUB, PipeError } from "./rpc-endpoint.js";
import { type PipeShare, SrvsvcPipe } from "./srvsvc.js";

const NDR64 = { uuid: "71710533-beba-4937-8319-b5dbef9ccc36", major: 1, minor: 0 };
const LSARPC = { uuid: "12345778-1234-abcd-ef00-0123456789ab", major: 0, minor: 0 };
const BTFN = (bits: number) => ({ uuid: `6cb71c2c-9812-4540-${bits.toString(16).padStart(2, "0")}00-000000000000`, major: 1, minor: 0 });

const SHARES: PipeShare[] = [
  { name: "data", type: "disk", comment: "Data share" },
  { name: "scratch", type: "disk", comment: "" },
  { name: "IPC$", type: "ipc", comment: "IPC Service" },
];

function pipe(shares: () => PipeShare[] = () => SHARES): SrvsvcPipe {
  return new SrvsvcPipe({ shares, serverName: "DITTOFS" });
}

/** Reads every waiting message whole, one PDU each. */
function drain(p: SrvsvcPipe): Buffer[] {
  const messages: Buffer[] = [];
  while (p.available > 0) {
    const { data, more } = p.read(1 << 20);
    expect(more).toBe(false);
    messages.push(data);
  }
  return messages;
}

function bound(p = pipe(), contexts?: PresentationContext[]): SrvsvcPipe {
  if (contexts) p.write(encodeBind({ callId: 1, maxXmitFrag: 4280, maxRecvFrag: 4280, assocGroupId: 0, contexts }));
  else p.write(SMBCLIENT_BIND);
  drain(p);
  return p;
}

const enumRequest = (callId: number, level = 1, preferedMaximumLength = MAX_PREFERRED_LENGTH, resumeHandle: number | null = 0) =>
  encodeRequest({
    callId,
    contextId: 0,
    opnum: 15,
    stub: encodeNetrShareEnumRequest({ serverName: "\\\\127.0.0.1", level, preferedMaximumLength, resumeHandle }),
  });

/** The stub of a reply that may span fragments. */
function replyStub(messages: Buffer[]): Buffer {
  return Buffer.concat(messages.map((m) => decodeResponse(m).stub));
}

describe("srvsvc pipe: listing shares the way smbclient -L does", () => {
  it("binds with smbclient's captured BIND and answers its captured NetrShareEnum", () => {
    const p = pipe();
    const bindReply = p.transceive(SMBCLIENT_BIND, 4280);
    expect(bindReply.more).toBe(false);
    const ack = decodeBindAck(bindReply.data);
    expect(ack).toMatchObject({ callId: 1, maxXmitFrag: 4280, maxRecvFrag: MAX_RECV_FRAG, secondaryAddress: "\\PIPE\\srvsvc" });
    expect(ack.assocGroupId).not.toBe(0);
    expect(ack.results).toEqual([{ result: RESULT_ACCEPTANCE, reason: 0, transferSyntax: NDR_SYNTAX }]);

    const reply = p.transceive(SMBCLIENT_SHARE_ENUM_ALL, 4280);
    expect(reply.more).toBe(false);
    const response = decodeResponse(reply.data);
    expect(response.header.callId).toBe(2);
    expect(response.header.pfcFlags).toBe(PFC_FIRST_FRAG | PFC_LAST_FRAG);
    expect(decodeNetrShareEnumResponse(response.stub)).toEqual({
      level: 1,
      entries: [
        { netname: "data", type: 0, remark: "Data share", flags: 0 },
        { netname: "scratch", type: 0, remark: "", flags: 0 },
        { netname: "IPC$", type: 0x80000003, remark: "IPC Service", flags: 0 },
      ],
      totalEntries: 3,
      resumeHandle: 0,
      status: 0,
    });
    expect(p.available).toBe(0);
  });

  it("answers level 0 with names only", () => {
    const p = bound();
    p.write(enumRequest(2, 0));
    const res = decodeNetrShareEnumResponse(replyStub(drain(p)));
    expect(res.entries?.map((e) => e.netname)).toEqual(["data", "scratch", "IPC$"]);
    expect(res.status).toBe(0);
  });

  it("splits a long listing into fragments the client reads in pieces, one PDU per message", () => {
    const many: PipeShare[] = Array.from({ length: 120 }, (_, i) => ({ name: `share-${i}`, type: "disk", comment: `comment ${i} `.repeat(4) }));
    const p = bound(pipe(() => many));
    const first = p.transceive(enumRequest(2), 1000);
    expect(first.more).toBe(true); // STATUS_BUFFER_OVERFLOW: the first fragment is longer than 1000 bytes
    const messages: Buffer[] = [];
    let message = first.data;
    let more = first.more;
    for (;;) {
      while (more) {
        const piece = p.read(1000);
        message = Buffer.concat([message, piece.data]);
        more = piece.more;
      }
      messages.push(message);
      if (p.available === 0) break;
      ({ data: message, more } = p.read(1000));
    }
    expect(messages.length).toBeGreaterThan(2);
    expect(messages.every((m) => m.length <= 4280 && decodeCommonHeader(m).fragLength === m.length)).toBe(true);
    expect(messages.map((m) => decodeCommonHeader(m).pfcFlags & (PFC_FIRST_FRAG | PFC_LAST_FRAG))).toEqual([
      PFC_FIRST_FRAG,
      ...Array(messages.length - 2).fill(0),
      PFC_LAST_FRAG,
    ]);
    const res = decodeNetrShareEnumResponse(replyStub(messages));
    expect(res.entries?.map((e) => e.netname)).toEqual(many.map((s) => s.name));
    expect(res.status).toBe(0);
  });

  it("asks for the shares on every call", () => {
    const shares = [...SHARES];
    const p = bound(pipe(() => shares));
    shares.push({ name: "late", type: "disk", comment: "" });
    p.write(enumRequest(2));
    expect(decodeNetrShareEnumResponse(replyStub(drain(p))).totalEntries).toBe(4);
  });

  it("honours PreferedMaximumLength with ERROR_MORE_DATA and a resume handle (MS-SRVS §3.1.4.8)", () => {
    const p = bound();
    p.write(enumRequest(2, 1, 100, 0));
    const firstPage = decodeNetrShareEnumResponse(replyStub(drain(p)));
    expect(firstPage.status).toBe(ERROR_MORE_DATA);
    expect(firstPage.entries?.map((e) => e.netname)).toEqual(["data"]);
    expect(firstPage).toMatchObject({ totalEntries: 3, resumeHandle: 1 });
    p.write(enumRequest(3, 1, MAX_PREFERRED_LENGTH, firstPage.resumeHandle));
    const rest = decodeNetrShareEnumResponse(replyStub(drain(p)));
    expect(rest).toMatchObject({ status: 0, totalEntries: 2, resumeHandle: 0 });
    expect(rest.entries?.map((e) => e.netname)).toEqual(["scratch", "IPC$"]);
  });

  it("answers other levels with a status inside the response", () => {
    const p = bound();
    for (const [level, status] of [
      [2, ERROR_ACCESS_DENIED],
      [501, ERROR_ACCESS_DENIED],
      [502, ERROR_ACCESS_DENIED],
      [7, ERROR_INVALID_LEVEL],
    ] as const) {
      p.write(enumRequest(level, level));
      expect(decodeNetrShareEnumResponse(replyStub(drain(p)))).toMatchObject({ level, entries: null, status });
    }
  });
});

describe("srvsvc pipe: NetrShareGetInfo", () => {
  const getInfo = (p: SrvsvcPipe, netName: string, level: number) => {
    p.write(encodeRequest({ callId: 5, contextId: 0, opnum: 16, stub: encodeNetrShareGetInfoRequest({ serverName: null, netName, level }) }));
    return decodeNetrShareGetInfoResponse(replyStub(drain(p)));
  };

  it("finds a share whatever the case of its name, at levels 0, 1, 501 and 1005", () => {
    const p = bound();
    expect(getInfo(p, "DATA", 1)).toEqual({ level: 1, info: { netname: "data", type: 0, remark: "Data share", flags: 0 }, status: 0 });
    expect(getInfo(p, "ipc$", 0)).toMatchObject({ level: 0, info: { netname: "IPC$" }, status: 0 });
    expect(getInfo(p, "data", 501)).toMatchObject({ level: 501, info: { netname: "data", flags: 0 }, status: 0 });
    expect(getInfo(p, "data", 1005)).toMatchObject({ level: 1005, info: { flags: 0 }, status: 0 });
  });

  it("answers an unknown share with NERR_NetNameNotFound and other levels with their status", () => {
    const p = bound();
    expect(getInfo(p, "nosuch", 1)).toEqual({ level: 1, info: null, status: NERR_NetNameNotFound });
    expect(getInfo(p, "data", 2)).toEqual({ level: 2, info: null, status: ERROR_ACCESS_DENIED });
    expect(getInfo(p, "data", 1006)).toEqual({ level: 1006, info: null, status: ERROR_INVALID_LEVEL });
    expect(getInfo(p, "data", 42)).toEqual({ level: 42, info: null, status: ERROR_INVALID_LEVEL });
  });
});

describe("srvsvc pipe: NetrServerGetInfo", () => {
  it("reports the configured server name at levels 100 and 101, and ERROR_INVALID_LEVEL above", () => {
    const p = bound();
    const serverInfo = (level: number) => {
      p.write(encodeRequest({ callId: 6, contextId: 0, opnum: 21, stub: encodeNetrServerGetInfoRequest({ serverName: "\\\\h", level }) }));
      return decodeNetrServerGetInfoResponse(replyStub(drain(p)));
    };
    expect(serverInfo(101)).toEqual({
      level: 101,
      info: { platformId: 500, name: "DITTOFS", versionMajor: 10, versionMinor: 0, type: 0x8003, comment: "DittoFS" },
      status: 0,
    });
    expect(serverInfo(100)).toMatchObject({ info: { platformId: 500, name: "DITTOFS" }, status: 0 });
    expect(serverInfo(102)).toEqual({ level: 102, info: null, status: ERROR_INVALID_LEVEL });
  });
});

describe("srvsvc pipe: presentation context negotiation", () => {
  it("accepts NDR 2.0, rejects NDR64 and other interfaces, and acks feature negotiation (MS-RPCE §3.3.1.5.3)", () => {
    const p = pipe();
    p.write(
      encodeBind({
        callId: 1,
        maxXmitFrag: 4280,
        maxRecvFrag: 4280,
        assocGroupId: 0,
        contexts: [
          { contextId: 0, abstractSyntax: SRVSVC_SYNTAX, transferSyntaxes: [NDR64] },
          { contextId: 1, abstractSyntax: SRVSVC_SYNTAX, transferSyntaxes: [NDR64, NDR_SYNTAX] },
          { contextId: 2, abstractSyntax: SRVSVC_SYNTAX, transferSyntaxes: [BTFN(0x03)] },
          { contextId: 3, abstractSyntax: LSARPC, transferSyntaxes: [NDR_SYNTAX] },
          { contextId: 4, abstractSyntax: { ...SRVSVC_SYNTAX, major: 2 }, transferSyntaxes: [NDR_SYNTAX] },
        ],
      }),
    );
    const [ack] = drain(p);
    expect(decodeBindAck(ack!).results).toEqual([
      { result: RESULT_PROVIDER_REJECTION, reason: REASON_PROPOSED_TRANSFER_SYNTAXES_NOT_SUPPORTED, transferSyntax: NULL_SYNTAX },
      { result: RESULT_ACCEPTANCE, reason: 0, transferSyntax: NDR_SYNTAX },
      { result: RESULT_NEGOTIATE_ACK, reason: 0x02, transferSyntax: NULL_SYNTAX },
      { result: RESULT_PROVIDER_REJECTION, reason: REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED, transferSyntax: NULL_SYNTAX },
      { result: RESULT_PROVIDER_REJECTION, reason: REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED, transferSyntax: NULL_SYNTAX },
    ]);
    // A call on a rejected context is refused; on the accepted one it runs.
    p.write(encodeRequest({ callId: 2, contextId: 0, opnum: 15, stub: Buffer.alloc(0) }));
    p.write(encodeRequest({ callId: 3, contextId: 1, opnum: 15, stub: encodeNetrShareEnumRequest({ serverName: null, level: 1, preferedMaximumLength: MAX_PREFERRED_LENGTH, resumeHandle: null }) }));
    const [fault, response] = drain(p);
    expect(decodeFault(fault!)).toMatchObject({ status: nca_s_unk_if, contextId: 0 });
    expect(decodeNetrShareEnumResponse(decodeResponse(response!).stub).status).toBe(0);
  });

  it("answers smbtorture's captured BIND with NDR accepted and the orphan feature acked", () => {
    const p = pipe();
    p.write(SMBTORTURE_BIND);
    const ack = decodeBindAck(drain(p)[0]!);
    expect(ack.maxXmitFrag).toBe(5840);
    expect(ack.results.map((r) => [r.result, r.reason])).toEqual([
      [RESULT_ACCEPTANCE, 0],
      [RESULT_NEGOTIATE_ACK, 0x02],
    ]);
  });

  it("adds contexts with ALTER_CONTEXT, and refuses a second BIND, an authenticated BIND and tiny fragments", () => {
    const p = bound();
    p.write(encodeBind({ ptype: PTYPE_ALTER_CONTEXT, callId: 2, maxXmitFrag: 4280, maxRecvFrag: 4280, assocGroupId: 0, contexts: [{ contextId: 5, abstractSyntax: SRVSVC_SYNTAX, transferSyntaxes: [NDR_SYNTAX] }] }));
    const alter = decodeBindAck(drain(p)[0]!);
    expect(alter).toMatchObject({ ptype: PTYPE_ALTER_CONTEXT_RESP, secondaryAddress: "", results: [{ result: RESULT_ACCEPTANCE }] });
    p.write(SMBCLIENT_BIND);
    expect(decodeBindNak(drain(p)[0]!).reason).toBe(BIND_NAK_REASON_NOT_SPECIFIED);

    const authenticated = Buffer.concat([SMBCLIENT_BIND, Buffer.alloc(8 + 16)]);
    authenticated.writeUInt16LE(authenticated.length, 8);
    authenticated.writeUInt16LE(16, 10);
    const q = pipe();
    q.write(authenticated);
    expect(decodeBindNak(drain(q)[0]!).reason).toBe(BIND_NAK_AUTHENTICATION_TYPE_NOT_RECOGNIZED);

    const tiny = pipe();
    tiny.write(encodeBind({ callId: 1, maxXmitFrag: 512, maxRecvFrag: 512, assocGroupId: 0, contexts: [{ contextId: 0, abstractSyntax: SRVSVC_SYNTAX, transferSyntaxes: [NDR_SYNTAX] }] }));
    expect(decodeCommonHeader(drain(tiny)[0]!).ptype).toBe(PTYPE_BIND_NAK);
  });
});

describe("srvsvc pipe: faults", () => {
  it("faults an unknown opnum with nca_s_op_rng_error and keeps serving", () => {
    const p = bound();
    p.write(encodeRequest({ callId: 7, contextId: 0, opnum: 99, stub: Buffer.alloc(8) }));
    const fault = decodeFault(drain(p)[0]!);
    expect(fault.status).toBe(nca_s_op_rng_error);
    expect(fault.header.callId).toBe(7);
    expect(fault.header.pfcFlags & PFC_DID_NOT_EXECUTE).toBe(PFC_DID_NOT_EXECUTE);
    p.write(enumRequest(8));
    expect(decodeNetrShareEnumResponse(replyStub(drain(p))).status).toBe(0);
  });

  it("faults a request before any BIND with nca_s_proto_error", () => {
    const p = pipe();
    p.write(SMBCLIENT_SHARE_ENUM_ALL);
    expect(decodeFault(drain(p)[0]!).status).toBe(nca_s_proto_error);
  });

  it("faults malformed stubs with nca_s_fault_ndr: truncated, bogus pointers, huge counts", () => {
    const p = bound();
    const good = encodeNetrShareEnumRequest({ serverName: "x", level: 1, preferedMaximumLength: 1, resumeHandle: 0 });
    const bogusCount = Buffer.from(good);
    bogusCount.writeUInt32LE(0x7fffffff, 4); // the server name's maximum count…
    bogusCount.writeUInt32LE(0x7fffffff, 12); // …and actual count
    const danglingPointer = Buffer.alloc(4, 0xff); // a non-null server name pointer and nothing after it
    for (const stub of [good.subarray(0, good.length - 3), bogusCount, danglingPointer]) {
      p.write(encodeRequest({ callId: 9, contextId: 0, opnum: 15, stub }));
      expect(decodeFault(drain(p)[0]!).status).toBe(nca_s_fault_ndr);
    }
  });
});

describe("srvsvc pipe: fragmented requests and partial writes", () => {
  const stub = encodeNetrShareEnumRequest({ serverName: "\\\\127.0.0.1", level: 1, preferedMaximumLength: MAX_PREFERRED_LENGTH, resumeHandle: 0 });
  const fragment = (callId: number, part: Buffer, flags: number) =>
    encodeRequest({ callId, contextId: 0, opnum: 15, stub: part, pfcFlags: flags, allocHint: stub.length });

  it("reassembles a request sent in three fragments", () => {
    const p = bound();
    p.write(fragment(4, stub.subarray(0, 8), PFC_FIRST_FRAG));
    p.write(fragment(4, stub.subarray(8, 20), 0));
    expect(p.available).toBe(0);
    p.write(fragment(4, stub.subarray(20), PFC_LAST_FRAG));
    const res = decodeNetrShareEnumResponse(replyStub(drain(p)));
    expect(res.entries).toHaveLength(3);
  });

  it("faults a middle fragment of an unknown call, then serves the next call", () => {
    const p = bound();
    p.write(fragment(4, stub.subarray(0, 8), PFC_FIRST_FRAG));
    p.write(fragment(5, stub.subarray(8), PFC_LAST_FRAG));
    expect(decodeFault(drain(p)[0]!).status).toBe(nca_s_proto_error);
    p.write(enumRequest(6));
    expect(decodeNetrShareEnumResponse(replyStub(drain(p))).status).toBe(0);
  });

  it("stops reassembling past MAX_REQUEST_STUB with one fault and drops the rest of that call", () => {
    const p = bound();
    const chunk = Buffer.alloc(4000);
    p.write(fragment(4, chunk, PFC_FIRST_FRAG));
    for (let sent = chunk.length; sent <= MAX_REQUEST_STUB + chunk.length; sent += chunk.length) p.write(fragment(4, chunk, 0));
    p.write(fragment(4, chunk, PFC_LAST_FRAG));
    const replies = drain(p);
    expect(replies).toHaveLength(1);
    expect(decodeFault(replies[0]!).status).toBe(nca_s_fault_remote_no_memory);
    p.write(enumRequest(5));
    expect(decodeNetrShareEnumResponse(replyStub(drain(p))).status).toBe(0);
  });

  it("takes a BIND one byte at a time and several PDUs in one write", () => {
    const p = pipe();
    for (let i = 0; i < SMBCLIENT_BIND.length - 1; i++) p.write(SMBCLIENT_BIND.subarray(i, i + 1));
    expect(p.available).toBe(0);
    p.write(SMBCLIENT_BIND.subarray(SMBCLIENT_BIND.length - 1));
    expect(drain(p)).toHaveLength(1);
    p.write(Buffer.concat([enumRequest(2), enumRequest(3), enumRequest(4).subarray(0, 10)]));
    expect(drain(p).map((m) => decodeCommonHeader(m).callId)).toEqual([2, 3]);
    p.write(enumRequest(4).subarray(10));
    expect(drain(p).map((m) => decodeCommonHeader(m).callId)).toEqual([4]);
  });

  it("does not keep a reference to the caller's buffer", () => {
    const p = bound();
    const bytes = Buffer.from(enumRequest(2));
    p.write(bytes.subarray(0, 30));
    bytes.fill(0xee, 0, 30);
    p.write(bytes.subarray(30));
    expect(decodeCommonHeader(drain(p)[0]!).callId).toBe(2);
  });
});

describe("srvsvc pipe: garbage and back-pressure", () => {
  it.each([
    ["big-endian data representation", (() => { const b = Buffer.from(SMBCLIENT_BIND); b[4] = 0; return b; })(), /little-endian/],
    ["a DCE/RPC version 4 header", (() => { const b = Buffer.from(SMBCLIENT_BIND); b[0] = 4; return b; })(), /version 4/],
    ["a frag_length above our limit", (() => { const b = Buffer.from(SMBCLIENT_BIND); b.writeUInt16LE(0xffff, 8); return b; })(), /exceeds our limit/],
    ["a frag_length shorter than the header", (() => { const b = Buffer.from(SMBCLIENT_BIND); b.writeUInt16LE(3, 8); return b; })(), /shorter than the header/],
    ["a server-side PDU type", (() => { const b = Buffer.from(SMBCLIENT_BIND); b[2] = PTYPE_FAULT; return b; })(), /unexpected DCE\/RPC PDU type 3/],
    ["SMB bytes", Buffer.from("fe534d4240000100000000000000000000000000000000000000000000000000", "hex"), /version 254/],
  ])("refuses %s with a PipeError and stays broken", (_name, bytes, message) => {
    const p = pipe();
    let error: unknown;
    try {
      p.write(bytes);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PipeError);
    expect((error as PipeError).reason).toBe("malformed");
    expect((error as PipeError).message).toMatch(message);
    expect(() => p.write(SMBCLIENT_BIND)).toThrow(PipeError);
    expect(p.available).toBe(0);
  });

  it("refuses a transceive while replies wait (STATUS_PIPE_BUSY), consuming nothing", () => {
    const p = bound();
    p.write(enumRequest(2));
    const waiting = p.available;
    expect(() => p.transceive(enumRequest(3), 4280)).toThrow(expect.objectContaining({ reason: "busy" }));
    expect(p.available).toBe(waiting);
    expect(decodeCommonHeader(drain(p)[0]!).callId).toBe(2);
    expect(decodeCommonHeader(p.transceive(enumRequest(3), 4280).data).callId).toBe(3);
  });

  it("bounds the replies a client does not read", () => {
    const p = bound();
    let error: unknown;
    for (let call = 2; call < 100_000 && !error; call++) {
      try {
        p.write(enumRequest(call));
      } catch (err) {
        error = err;
      }
    }
    expect(error).toBeInstanceOf(PipeError);
    expect((error as PipeError).reason).toBe("overflow");
    expect(p.available).toBeLessThan(MAX_PENDING_OUTPUT + 4280);
  });

  it("returns nothing to read on an idle pipe", () => {
    expect(pipe().read(4280)).toEqual({ data: Buffer.alloc(0), more: false });
  });
});
