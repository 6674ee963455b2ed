import { describe, expect, it } from "vitest";
import { XdrError, XdrReader } from "../xdr/reader.js";
import { XdrWriter } from "../xdr/writer.js";
import { decodeMapping, decodeMappingList, encodeMappingList } from "./mapping.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("portmap mapping codec", () => {
  it("decodes a mapping", () => {
    expect(decodeMapping(new XdrReader(hex("000186a3 00000003 00000006 00000801")))).toEqual({
      prog: 100003,
      vers: 3,
      prot: 6,
      port: 2049,
    });
    expect(() => decodeMapping(new XdrReader(hex("000186a3 00000003 00000006")))).toThrow(XdrError);
  });

  it("encodes a pmaplist as a TRUE-prefixed list ended by FALSE", () => {
    const list = [
      { prog: 100003, vers: 3, prot: 6, port: 2049 },
      { prog: 100005, vers: 3, prot: 6, port: 20048 },
    ];
    const bytes = encodeMappingList(new XdrWriter(), list).toBuffer();
    expect(bytes.toString("hex")).toBe(
      hex("00000001 000186a3 00000003 00000006 00000801 00000001 000186a5 00000003 00000006 00004e50 00000000").toString("hex"),
    );
    expect(decodeMappingList(new XdrReader(bytes))).toEqual(list);
    expect(encodeMappingList(new XdrWriter(), []).toBuffer().toString("hex")).toBe("00000000");
  });
});
