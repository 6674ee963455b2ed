import { describe, expect, it } from "vitest";
import { NdrError, NdrWriter } from "./ndr.js";
import { decodeRequest, decodeResponse } from "./pdu.js";
import {
  decodeNetrServerGetInfoRequest,
  decodeNetrServerGetInfoResponse,
  decodeNetrShareEnumRequest,
  decodeNetrShareEnumResponse,
  decodeNetrShareGetInfoRequest,
  decodeNetrShareGetInfoResponse,
  encodeNetrServerGetInfoRequest,
  encodeNetrServerGetInfoResponse,
  encodeNetrShareEnumRequest,
  encodeNetrShareEnumResponse,
  encodeNetrShareGetInfoRequest,
  encodeNetrShareGetInfoResponse,
  ERROR_INVALID_LEVEL,
  MAX_PREFERRED_LENGTH,
  NERR_NetNameNotFound,
  type ShareInfo,
} from "./srvsvc.js";
import {
  RPCCLIENT_SHARE_ENUM_STICKY_0,
  RPCCLIENT_SHARE_GET_INFO,
  SAMBA_SHARE_ENUM_ALL_REPLY,
  SAMBA_SHARE_GET_INFO_1_REPLY,
  SAMBA_SHARE_GET_INFO_1005_REPLY,
  SAMBA_SHARE_GET_INFO_501_REPLY,
  SAMBA_SHARE_GET_INFO_NOT_FOUND_REPLY,
  SMBCLIENT_SHARE_ENUM_ALL,
} from "./testdata/samba-captures.js";

const requestStub = (pdu: Buffer) => decodeRequest(pdu).stub;
const responseStub = (pdu: Buffer) => decodeResponse(pdu).stub;
/** WERR_INVALID_NAME, what smbd answers for an unknown share (MS-SRVS says NERR_NetNameNotFound). */
const WERR_INVALID_NAME = 123;

const SHARE: ShareInfo = { netname: "share", type: 0, remark: "A test share", flags: 0 };
const IPC: ShareInfo = { netname: "IPC$", type: 0x80000003, remark: "IPC Service (Capture Server)", flags: 0 };

describe("srvsvc requests from real clients", () => {
  it("decodes smbclient -L's NetrShareEnum and encodes the same bytes (MS-SRVS §3.1.4.8)", () => {
    const stub = requestStub(SMBCLIENT_SHARE_ENUM_ALL);
    const req = decodeNetrShareEnumRequest(stub);
    expect(req).toEqual({ serverName: "127.0.0.1", level: 1, preferedMaximumLength: MAX_PREFERRED_LENGTH, resumeHandle: 0 });
    expect(encodeNetrShareEnumRequest(req).equals(stub)).toBe(true);
  });

  it("decodes rpcclient's NetrShareEnumSticky at level 0 without a resume handle", () => {
    const stub = requestStub(RPCCLIENT_SHARE_ENUM_STICKY_0);
    const req = decodeNetrShareEnumRequest(stub);
    expect(req).toEqual({ serverName: "127.0.0.1", level: 0, preferedMaximumLength: MAX_PREFERRED_LENGTH, resumeHandle: null });
    expect(encodeNetrShareEnumRequest(req).equals(stub)).toBe(true);
  });

  it("decodes rpcclient's NetrShareGetInfo and encodes the same bytes (MS-SRVS §3.1.4.10)", () => {
    const stub = requestStub(RPCCLIENT_SHARE_GET_INFO);
    const req = decodeNetrShareGetInfoRequest(stub);
    expect(req).toEqual({ serverName: "127.0.0.1", netName: "share", level: 1 });
    expect(encodeNetrShareGetInfoRequest(req).equals(stub)).toBe(true);
  });
});

describe("srvsvc responses", () => {
  it("reads smbd's NetrShareEnum reply with our decoder", () => {
    expect(decodeNetrShareEnumResponse(responseStub(SAMBA_SHARE_ENUM_ALL_REPLY))).toEqual({
      level: 1,
      entries: [SHARE, { netname: "hidden$", type: 0, remark: "hidden one", flags: 0 }, IPC],
      totalEntries: 3,
      resumeHandle: 0,
      status: 0,
    });
  });

  it("reads smbd's NetrShareGetInfo replies at levels 1, 501 and 1005, and its not-found reply", () => {
    const decode = (pdu: Buffer) => decodeNetrShareGetInfoResponse(responseStub(pdu));
    expect(decode(SAMBA_SHARE_GET_INFO_1_REPLY)).toEqual({ level: 1, info: SHARE, status: 0 });
    expect(decode(SAMBA_SHARE_GET_INFO_501_REPLY)).toEqual({ level: 501, info: SHARE, status: 0 });
    expect(decode(SAMBA_SHARE_GET_INFO_1005_REPLY)).toEqual({ level: 1005, info: { ...SHARE, netname: "", remark: "" }, status: 0 });
    expect(decode(SAMBA_SHARE_GET_INFO_NOT_FOUND_REPLY)).toEqual({ level: 1, info: null, status: WERR_INVALID_NAME });
  });

  it("encodes what smbd encodes for the same shares, up to referent ids", () => {
    const ours = encodeNetrShareGetInfoResponse({ level: 1, info: SHARE, status: 0 });
    const samba = responseStub(SAMBA_SHARE_GET_INFO_1_REPLY);
    // smbd numbers its referents from 0x00020004, we from 0x00020000: compare with ids masked.
    const mask = (b: Buffer, at: number[]) => {
      const c = Buffer.from(b);
      for (const o of at) c.writeUInt32LE(0, o);
      return c.toString("hex");
    };
    expect(mask(ours, [4, 8, 16])).toBe(mask(samba, [4, 8, 16]));
  });

  it.each([0, 1, 501])("round-trips a NetrShareEnum reply at level %i", (level) => {
    const entries: ShareInfo[] = [
      { netname: "data", type: 0, remark: "Data share", flags: level === 501 ? 0x30 : 0 },
      { netname: "Ünïcode 📁", type: 0, remark: "", flags: 0 },
      IPC,
    ].map((e) => (level === 0 ? { ...e, type: 0, remark: "", flags: 0 } : level === 1 ? { ...e, flags: 0 } : e));
    const res = { level, entries, totalEntries: 5, resumeHandle: 3, status: 234 };
    expect(decodeNetrShareEnumResponse(encodeNetrShareEnumResponse(res))).toEqual(res);
  });

  it("round-trips error replies: a null container, no resume handle, and a level without a union arm", () => {
    const nullContainer = { level: 2, entries: null, totalEntries: 0, resumeHandle: null, status: 5 };
    expect(decodeNetrShareEnumResponse(encodeNetrShareEnumResponse(nullContainer))).toEqual(nullContainer);
    const noArm = { level: 7, entries: null, totalEntries: 0, resumeHandle: 0, status: ERROR_INVALID_LEVEL };
    const stub = encodeNetrShareEnumResponse(noArm);
    expect(stub.length).toBe(4 * 6); // level, discriminant, total, resume pointer + value, status
    expect(decodeNetrShareEnumResponse(stub)).toEqual(noArm);
    const empty = { level: 1, entries: [], totalEntries: 0, resumeHandle: 0, status: 0 };
    expect(decodeNetrShareEnumResponse(encodeNetrShareEnumResponse(empty))).toEqual(empty);
  });

  it.each([
    { level: 0, info: { netname: "data", type: 0, remark: "", flags: 0 }, status: 0 },
    { level: 501, info: { netname: "data", type: 0, remark: "r", flags: 0x800 }, status: 0 },
    { level: 1005, info: { netname: "", type: 0, remark: "", flags: 0x800 }, status: 0 },
    { level: 1, info: null, status: NERR_NetNameNotFound },
    { level: 9, info: null, status: ERROR_INVALID_LEVEL },
  ])("round-trips a NetrShareGetInfo reply at level $level", (res) => {
    expect(decodeNetrShareGetInfoResponse(encodeNetrShareGetInfoResponse(res))).toEqual(res);
  });

  it.each([
    { level: 101, info: { platformId: 500, name: "DITTOFS", versionMajor: 10, versionMinor: 0, type: 0x8003, comment: "c" }, status: 0 },
    { level: 100, info: { platformId: 500, name: "DITTOFS", versionMajor: 0, versionMinor: 0, type: 0, comment: "" }, status: 0 },
    { level: 102, info: null, status: ERROR_INVALID_LEVEL },
  ])("round-trips a NetrServerGetInfo request and reply at level $level (MS-SRVS §3.1.4.17)", (res) => {
    const req = { serverName: "\\\\host", level: res.level };
    expect(decodeNetrServerGetInfoRequest(encodeNetrServerGetInfoRequest(req))).toEqual(req);
    expect(decodeNetrServerGetInfoResponse(encodeNetrServerGetInfoResponse(res))).toEqual(res);
  });

  it("refuses to encode entries of a level it has no layout for", () => {
    expect(() =>
      encodeNetrShareEnumResponse({ level: 2, entries: [SHARE], totalEntries: 1, resumeHandle: null, status: 0 }),
    ).toThrow(RangeError);
  });
});

describe("srvsvc requests on hostile input", () => {
  it("answers every truncation of real request stubs with NdrError", () => {
    for (const pdu of [SMBCLIENT_SHARE_ENUM_ALL, RPCCLIENT_SHARE_ENUM_STICKY_0, RPCCLIENT_SHARE_GET_INFO]) {
      const stub = requestStub(pdu);
      const decode = pdu === RPCCLIENT_SHARE_GET_INFO ? decodeNetrShareGetInfoRequest : decodeNetrShareEnumRequest;
      for (let length = 0; length < stub.length; length++) {
        expect(() => decode(stub.subarray(0, length))).toThrow(NdrError);
      }
    }
  });

  it("refuses a union discriminant that differs from Level", () => {
    const stub = Buffer.from(requestStub(SMBCLIENT_SHARE_ENUM_ALL));
    stub.writeUInt32LE(0, 40); // the discriminant after Level 1
    expect(() => decodeNetrShareEnumRequest(stub)).toThrow(/discriminant 0 differs from Level 1/);
  });

  it("reads an input container that holds entries, and refuses one whose count disagrees", () => {
    const w = new NdrWriter();
    w.pointer(false).u32(1).u32(1).pointer(true); // no server name; level 1; container
    w.u32(1).pointer(true).u32(1); // EntriesRead 1, Buffer, max count 1
    w.pointer(true).u32(0).pointer(true).wstring("in").wstring("put"); // one SHARE_INFO_1
    w.u32(100).pointer(true).u32(4);
    expect(decodeNetrShareEnumRequest(w.toBuffer())).toEqual({ serverName: null, level: 1, preferedMaximumLength: 100, resumeHandle: 4 });
    const lying = Buffer.from(w.toBuffer());
    lying.writeUInt32LE(2, 16); // EntriesRead 2 against an array of 1
    expect(() => decodeNetrShareEnumRequest(lying)).toThrow(NdrError);
  });

  it("refuses an array count that the stub cannot hold, and a non-empty container of level 2", () => {
    const huge = new NdrWriter();
    huge.pointer(false).u32(1).u32(1).pointer(true).u32(0xffffffff).pointer(true).u32(0xffffffff);
    expect(() => decodeNetrShareEnumRequest(huge.toBuffer())).toThrow(/exceeds limit/);
    const level2 = new NdrWriter();
    level2.pointer(false).u32(2).u32(2).pointer(true).u32(1).pointer(true).u32(1);
    expect(() => decodeNetrShareEnumRequest(level2.toBuffer())).toThrow(/level 2 must be empty/);
  });
});
