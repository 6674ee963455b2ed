import { describe, expect, it } from "vitest";
import { XdrError, XdrReader } from "../xdr/reader.js";
import { XdrWriter } from "../xdr/writer.js";
import { AUTH_ERROR, AUTH_TOOWEAK, GARBAGE_ARGS, PROG_MISMATCH, RPC_MISMATCH } from "./constants.js";
import {
  decodeReply,
  encodeAuthError,
  encodeGarbageArgs,
  encodeProcUnavail,
  encodeProgMismatch,
  encodeProgUnavail,
  encodeRpcMismatch,
  encodeSuccessHeader,
  encodeSystemErr,
} from "./reply.js";

const hex = (s: string): string => s.replace(/\s+/g, "");
const bytes = (w: XdrWriter): string => w.toBuffer().toString("hex");

// xid 7, REPLY, MSG_ACCEPTED, verifier AUTH_NONE with an empty body
const ACCEPTED = "00000007 00000001 00000000 00000000 00000000";

describe("reply encoders", () => {
  it.each([
    ["SUCCESS", encodeSuccessHeader, `${ACCEPTED} 00000000`],
    ["PROG_UNAVAIL", encodeProgUnavail, `${ACCEPTED} 00000001`],
    ["PROC_UNAVAIL", encodeProcUnavail, `${ACCEPTED} 00000003`],
    ["GARBAGE_ARGS", encodeGarbageArgs, `${ACCEPTED} 00000004`],
    ["SYSTEM_ERR", encodeSystemErr, `${ACCEPTED} 00000005`],
  ])("encodes %s", (_name, encode, expected) => {
    expect(bytes(encode(new XdrWriter(), 7))).toBe(hex(expected));
  });

  it("encodes PROG_MISMATCH with the supported range", () => {
    expect(bytes(encodeProgMismatch(new XdrWriter(), 7, 1, 3))).toBe(hex(`${ACCEPTED} 00000002 00000001 00000003`));
  });

  it("encodes RPC_MISMATCH as denied, versions 2..2", () => {
    expect(bytes(encodeRpcMismatch(new XdrWriter(), 7))).toBe(hex("00000007 00000001 00000001 00000000 00000002 00000002"));
  });

  it("encodes AUTH_ERROR with its auth_stat", () => {
    expect(bytes(encodeAuthError(new XdrWriter(), 7, AUTH_TOOWEAK))).toBe(hex("00000007 00000001 00000001 00000001 00000005"));
  });

  it("leaves results to follow the SUCCESS header", () => {
    const w = encodeSuccessHeader(new XdrWriter(), 0xffffffff).u32(9);
    expect(bytes(w)).toBe(hex("ffffffff 00000001 00000000 00000000 00000000 00000000 00000009"));
  });
});

describe("decodeReply", () => {
  const decode = (w: XdrWriter) => decodeReply(new XdrReader(w.toBuffer()));

  it("decodes accepted replies and points the reader at the results", () => {
    const r = new XdrReader(encodeSuccessHeader(new XdrWriter(), 7).u32(9).toBuffer());
    expect(decodeReply(r)).toEqual({ xid: 7, status: "accepted", acceptStat: 0, mismatch: null });
    expect(r.u32()).toBe(9);
    expect(decode(encodeGarbageArgs(new XdrWriter(), 7))).toMatchObject({ acceptStat: GARBAGE_ARGS });
    expect(decode(encodeProgMismatch(new XdrWriter(), 7, 2, 4))).toEqual({
      xid: 7,
      status: "accepted",
      acceptStat: PROG_MISMATCH,
      mismatch: { low: 2, high: 4 },
    });
  });

  it("decodes denied replies", () => {
    expect(decode(encodeRpcMismatch(new XdrWriter(), 7))).toEqual({
      xid: 7,
      status: "denied",
      rejectStat: RPC_MISMATCH,
      mismatch: { low: 2, high: 2 },
      authStat: null,
    });
    expect(decode(encodeAuthError(new XdrWriter(), 7, AUTH_TOOWEAK))).toEqual({
      xid: 7,
      status: "denied",
      rejectStat: AUTH_ERROR,
      mismatch: null,
      authStat: AUTH_TOOWEAK,
    });
  });

  it("throws XdrError for a call or a bad reply_stat", () => {
    expect(() => decodeReply(new XdrReader(Buffer.from(hex("00000007 00000000"), "hex")))).toThrow(XdrError);
    expect(() => decodeReply(new XdrReader(Buffer.from(hex("00000007 00000001 00000002"), "hex")))).toThrow(XdrError);
  });
});
