import { describe, expect, it } from "vitest";
import { XdrError, XdrReader } from "../xdr/reader.js";
import { XdrWriter } from "../xdr/writer.js";
import { decodeCall, encodeCall } from "./call.js";
import { AUTH_BADCRED, AUTH_BADVERF } from "./constants.js";
import { AUTH_NONE, AUTH_SYS } from "./types.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

// xid 0x01020304, CALL, rpcvers 2, prog 100003, vers 3, proc 1
const HEADER = "01020304 00000000 00000002 000186a3 00000003 00000001";
const VERF_NONE = "00000000 00000000";
// stamp 0x11223344, "host", uid 1000, gid 100, gids [100, 200]
const AUTH_SYS_BODY = "11223344 00000004 686f7374 000003e8 00000064 00000002 00000064 000000c8";

function authSysCred(body: string): string {
  return `00000001 ${(hex(body).length).toString(16).padStart(8, "0")} ${body}`;
}

describe("decodeCall", () => {
  it("decodes an AUTH_NONE call and leaves the reader at the arguments", () => {
    const r = new XdrReader(hex(`${HEADER} 00000000 00000000 ${VERF_NONE} cafef00d`));
    expect(decodeCall(r)).toEqual({
      kind: "call",
      xid: 0x01020304,
      prog: 100003,
      vers: 3,
      proc: 1,
      cred: { flavor: AUTH_NONE, sys: null },
    });
    expect(r.u32()).toBe(0xcafef00d);
    expect(r.remaining).toBe(0);
  });

  it("decodes an AUTH_SYS credential", () => {
    const r = new XdrReader(hex(`${HEADER} ${authSysCred(AUTH_SYS_BODY)} ${VERF_NONE}`));
    const call = decodeCall(r);
    expect(call).toEqual({
      kind: "call",
      xid: 0x01020304,
      prog: 100003,
      vers: 3,
      proc: 1,
      cred: { flavor: AUTH_SYS, sys: { stamp: 0x11223344, machineName: "host", uid: 1000, gid: 100, gids: [100, 200] } },
    });
    expect(r.remaining).toBe(0);
  });

  it("accepts an AUTH_NONE body, whose contents the spec leaves undefined", () => {
    const call = decodeCall(new XdrReader(hex(`${HEADER} 00000000 00000004 deadbeef ${VERF_NONE}`)));
    expect(call.kind).toBe("call");
  });

  it("reports rpcvers other than 2 as an RPC mismatch", () => {
    const r = new XdrReader(hex("0000002a 00000000 00000003 000186a3"));
    expect(decodeCall(r)).toEqual({ kind: "rpc-mismatch", xid: 42 });
  });

  it.each([
    ["a machine name over 255 bytes", `11223344 00000100 ${"61".repeat(256)} 00000000 00000000 00000000`],
    ["17 groups", `11223344 00000000 00000000 00000000 00000011 ${"00000001".repeat(17)}`],
    ["a body cut short", "11223344 00000004 686f7374 000003e8"],
    ["bytes after the groups", `${AUTH_SYS_BODY} 00000000`],
  ])("rejects an AUTH_SYS credential with %s as AUTH_BADCRED", (_what, body) => {
    const call = decodeCall(new XdrReader(hex(`${HEADER} ${authSysCred(body)} ${VERF_NONE}`)));
    expect(call).toEqual({ kind: "auth-error", xid: 0x01020304, authStat: AUTH_BADCRED });
  });

  it("accepts exactly 16 groups and a 255-byte machine name", () => {
    const body = `00000000 000000ff ${"61".repeat(255)}00 00000000 00000000 00000010 ${"00000007".repeat(16)}`;
    const call = decodeCall(new XdrReader(hex(`${HEADER} ${authSysCred(body)} ${VERF_NONE}`)));
    expect(call.kind === "call" && call.cred.sys?.machineName.length).toBe(255);
    expect(call.kind === "call" && call.cred.sys?.gids).toEqual(new Array(16).fill(7));
  });

  it("rejects credentials and verifiers over 400 bytes", () => {
    const bigCred = decodeCall(new XdrReader(hex(`${HEADER} 00000001 00000194`)));
    expect(bigCred).toEqual({ kind: "auth-error", xid: 0x01020304, authStat: AUTH_BADCRED });
    const bigVerf = decodeCall(new XdrReader(hex(`${HEADER} 00000000 00000000 00000000 00000194`)));
    expect(bigVerf).toEqual({ kind: "auth-error", xid: 0x01020304, authStat: AUTH_BADVERF });
  });

  it("throws XdrError for a message that is not a call", () => {
    expect(() => decodeCall(new XdrReader(hex("00000001 00000001 00000000")))).toThrow(XdrError);
    expect(() => decodeCall(new XdrReader(hex("00000001 00000007")))).toThrow(/msg_type 7/);
  });

  it("throws XdrError for a header cut short", () => {
    const full = hex(`${HEADER} ${authSysCred(AUTH_SYS_BODY)} ${VERF_NONE}`);
    for (const length of [0, 3, 8, 20, 28, 40, full.length - 1]) {
      expect(() => decodeCall(new XdrReader(full.subarray(0, length)))).toThrow(XdrError);
    }
  });
});

describe("encodeCall", () => {
  it("encodes an AUTH_NONE call", () => {
    const w = encodeCall(new XdrWriter(), { xid: 0x01020304, prog: 100003, vers: 3, proc: 1, sys: null });
    expect(w.toBuffer().toString("hex")).toBe(hex(`${HEADER} 00000000 00000000 ${VERF_NONE}`).toString("hex"));
  });

  it("encodes an AUTH_SYS call that decodes back", () => {
    const sys = { stamp: 0x11223344, machineName: "host", uid: 1000, gid: 100, gids: [100, 200] };
    const w = encodeCall(new XdrWriter(), { xid: 0x01020304, prog: 100003, vers: 3, proc: 1, sys });
    expect(w.toBuffer().toString("hex")).toBe(hex(`${HEADER} ${authSysCred(AUTH_SYS_BODY)} ${VERF_NONE}`).toString("hex"));
  });
});
