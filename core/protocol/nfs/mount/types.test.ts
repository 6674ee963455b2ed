import { describe, expect, it } from "vitest";
import { XdrReader } from "../../xdr/reader.js";
import { XdrWriter } from "../../xdr/writer.js";
import { decodeDirpath, encodeExports, encodeMountList, encodeMountres3Error, encodeMountres3Ok } from "./types.js";

const encoded = (fill: (w: XdrWriter) => void) => {
  const w = new XdrWriter();
  fill(w);
  return w.toBuffer().toString("hex");
};

describe("mountres3", () => {
  it("encodes MNT3_OK, the fhandle3 and the auth flavors", () => {
    const bytes = encoded((w) => encodeMountres3Ok(w, Buffer.from([0xaa, 0xbb, 0xcc]), [1, 0]));
    expect(bytes).toBe("00000000" + "00000003" + "aabbcc00" + "00000002" + "00000001" + "00000000");
  });

  it("encodes only the status for an error", () => {
    expect(encoded((w) => encodeMountres3Error(w, 13))).toBe("0000000d");
  });
});

describe("mountlist and exports", () => {
  it("encodes an empty mountlist as a single FALSE", () => {
    expect(encoded((w) => encodeMountList(w, []))).toBe("00000000");
  });

  it("encodes mount entries as a linked list of (hostname, directory)", () => {
    const bytes = encoded((w) => encodeMountList(w, [{ hostname: "h", directory: "/e" }]));
    expect(bytes).toBe("00000001" + "00000001" + "68000000" + "00000002" + "2f650000" + "00000000");
  });

  it("encodes exports with their group lists", () => {
    const bytes = encoded((w) =>
      encodeExports(w, [
        { directory: "/a", groups: [] },
        { directory: "/b", groups: ["g1"] },
      ]),
    );
    expect(bytes).toBe(
      ["00000001", "00000002 2f610000", "00000000", "00000001", "00000002 2f620000", "00000001", "00000002 67310000", "00000000", "00000000"]
        .join("")
        .replace(/\s+/g, ""),
    );
  });
});

describe("dirpath", () => {
  it("decodes the raw bytes, whatever their length", () => {
    const w = new XdrWriter();
    w.string("/export/" + "x".repeat(2000));
    expect(decodeDirpath(new XdrReader(w.toBuffer())).length).toBe(2008);
  });
});
