import { describe, expect, it } from "vitest";
import { XdrError, XdrReader } from "../../xdr/reader.js";
import { XdrWriter } from "../../xdr/writer.js";
import {
  decodeNfsFh3,
  decodeSattr3,
  decodeSattrGuard3,
  decodeUint64,
  encodeFattr3,
  encodePostOpAttr,
  encodePostOpFh3,
  encodeWccData,
  entry3Size,
  entryplus3Size,
  FATTR3_SIZE,
  readdirReplyOverhead,
  type Fattr3,
} from "./types.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const reader = (s: string) => new XdrReader(hex(s));
const encoded = (fill: (w: XdrWriter) => void) => {
  const w = new XdrWriter();
  fill(w);
  return w.toBuffer().toString("hex");
};

const SAMPLE: Fattr3 = {
  type: 1,
  mode: 0o644,
  nlink: 1,
  uid: 1000,
  gid: 100,
  size: 5000,
  used: 8192,
  rdev: { specdata1: 8, specdata2: 1 },
  fsid: 7,
  fileid: 0x1_0000_0002,
  atime: { seconds: 1_700_000_000, nseconds: 1 },
  mtime: { seconds: 1_700_000_001, nseconds: 2 },
  ctime: { seconds: 1_700_000_002, nseconds: 999_999_999 },
};

const SAMPLE_HEX = [
  "00000001", // type NF3REG
  "000001a4", // mode 0644
  "00000001", // nlink
  "000003e8", // uid 1000
  "00000064", // gid 100
  "0000000000001388", // size 5000
  "0000000000002000", // used 8192
  "00000008 00000001", // rdev
  "0000000000000007", // fsid
  "0000000100000002", // fileid
  "6553f100 00000001", // atime
  "6553f101 00000002", // mtime
  "6553f102 3b9ac9ff", // ctime
].join("");

describe("fattr3", () => {
  it("encodes every field in RFC 1813 §2.5 order", () => {
    const bytes = encoded((w) => encodeFattr3(w, SAMPLE));
    expect(bytes).toBe(hex(SAMPLE_HEX).toString("hex"));
    expect(bytes.length / 2).toBe(FATTR3_SIZE);
  });

  it("post_op_attr is a bool followed by the fattr3 when present", () => {
    expect(encoded((w) => encodePostOpAttr(w, null))).toBe("00000000");
    expect(encoded((w) => encodePostOpAttr(w, SAMPLE))).toBe("00000001" + hex(SAMPLE_HEX).toString("hex"));
  });
});

describe("wcc_data", () => {
  it("encodes pre_op_attr (size, mtime, ctime) then post_op_attr", () => {
    const bytes = encoded((w) =>
      encodeWccData(w, {
        before: { size: 3, mtime: { seconds: 10, nseconds: 11 }, ctime: { seconds: 12, nseconds: 13 } },
        after: null,
      }),
    );
    expect(bytes).toBe("00000001" + "0000000000000003" + "0000000a0000000b" + "0000000c0000000d" + "00000000");
  });

  it("encodes two absent halves as two FALSE words", () => {
    expect(encoded((w) => encodeWccData(w, { before: null, after: null }))).toBe("0000000000000000");
  });

  it("encodes a present after with its full fattr3", () => {
    const bytes = encoded((w) => encodeWccData(w, { before: null, after: SAMPLE }));
    expect(bytes).toBe("00000000" + "00000001" + hex(SAMPLE_HEX).toString("hex"));
  });
});

describe("post_op_fh3 and nfs_fh3", () => {
  it("pads a handle to four bytes", () => {
    expect(encoded((w) => encodePostOpFh3(w, Buffer.from([1, 2, 3, 4, 5])))).toBe("00000001" + "00000005" + "0102030405000000");
    expect(encoded((w) => encodePostOpFh3(w, null))).toBe("00000000");
  });

  it("decodes a handle of any length as a view (length policing is the adapter's)", () => {
    const r = reader("00000044" + "ab".repeat(68));
    expect(decodeNfsFh3(r).length).toBe(68);
    expect(decodeNfsFh3(reader("00000000")).length).toBe(0);
  });

  it("throws XdrError for a handle longer than the record", () => {
    expect(() => decodeNfsFh3(reader("00000010 01020304"))).toThrow(XdrError);
  });
});

describe("uint64 decoding", () => {
  it("is exact up to 2^53 - 1 and Infinity above", () => {
    expect(decodeUint64(reader("001fffff ffffffff"))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeUint64(reader("00200000 00000000"))).toBe(Infinity);
    expect(decodeUint64(reader("ffffffff ffffffff"))).toBe(Infinity);
    expect(decodeUint64(reader("00000001 00000000"))).toBe(2 ** 32);
  });
});

describe("sattr3", () => {
  it("decodes nothing set", () => {
    const s = decodeSattr3(reader("00000000 00000000 00000000 00000000 00000000 00000000"));
    expect(s).toEqual({ mode: null, uid: null, gid: null, size: null, atime: null, mtime: null });
  });

  it("decodes every set_it arm: mode, uid, gid, size, SET_TO_SERVER_TIME, SET_TO_CLIENT_TIME", () => {
    const r = reader(
      [
        "00000001 000001ed", // set_mode3 TRUE 0755
        "00000001 000003e8", // set_uid3 TRUE 1000
        "00000001 00000064", // set_gid3 TRUE 100
        "00000001 00000001 00000000", // set_size3 TRUE 2^32
        "00000001", // set_atime SET_TO_SERVER_TIME
        "00000002 00000005 00000006", // set_mtime SET_TO_CLIENT_TIME {5, 6}
      ].join(""),
    );
    expect(decodeSattr3(r)).toEqual({
      mode: 0o755,
      uid: 1000,
      gid: 100,
      size: 2 ** 32,
      atime: "server",
      mtime: { seconds: 5, nseconds: 6 },
    });
    expect(r.remaining).toBe(0);
  });

  it("rejects a set_it discriminant that is not a bool", () => {
    expect(() => decodeSattr3(reader("00000002 000001ed 00000000 00000000 00000000 00000000 00000000"))).toThrow(XdrError);
  });

  it("rejects an unknown time_how", () => {
    expect(() => decodeSattr3(reader("00000000 00000000 00000000 00000000 00000003 00000000"))).toThrow(XdrError);
  });

  it("reports a size beyond 2^53 - 1 as Infinity", () => {
    const s = decodeSattr3(reader("00000000 00000000 00000000 00000001 ffffffff ffffffff 00000000 00000000"));
    expect(s.size).toBe(Infinity);
  });

  it("throws XdrError when truncated", () => {
    expect(() => decodeSattr3(reader("00000001"))).toThrow(XdrError);
  });

  it("decodes sattrguard3", () => {
    expect(decodeSattrGuard3(reader("00000000"))).toBeNull();
    expect(decodeSattrGuard3(reader("00000001 00000007 00000008"))).toEqual({ seconds: 7, nseconds: 8 });
  });
});

describe("READDIR sizing", () => {
  function entry3(w: XdrWriter, name: string): void {
    w.bool(true);
    w.u64(42);
    w.string(name);
    w.u64(3);
  }

  it.each(["a", "abc", "abcd", "abcde", "ünïcødé", "x".repeat(255)])("entry3Size(%j) equals the encoded entry", (name) => {
    const w = new XdrWriter();
    entry3(w, name);
    expect(entry3Size(Buffer.byteLength(name))).toBe(w.length);
  });

  it("entry3Size of a 1-byte name is 28 bytes, of a 5-byte name 32", () => {
    expect(entry3Size(1)).toBe(28);
    expect(entry3Size(4)).toBe(28);
    expect(entry3Size(5)).toBe(32);
  });

  it("entryplus3Size equals the encoded entry with attributes and handle", () => {
    const handle = Buffer.alloc(27, 1);
    const w = new XdrWriter();
    entry3(w, "file.txt");
    encodePostOpAttr(w, SAMPLE);
    encodePostOpFh3(w, handle);
    expect(entryplus3Size(8, true, 27)).toBe(w.length);
    expect(entryplus3Size(8, false, null)).toBe(entry3Size(8) + 8);
  });

  it("readdirReplyOverhead covers status, dir attributes, verifier, list end and eof", () => {
    const w = new XdrWriter();
    w.u32(0);
    encodePostOpAttr(w, SAMPLE);
    w.opaqueFixed(Buffer.alloc(8));
    w.bool(false);
    w.bool(true);
    expect(readdirReplyOverhead(true)).toBe(w.length);
    expect(readdirReplyOverhead(true)).toBe(108);
  });
});
