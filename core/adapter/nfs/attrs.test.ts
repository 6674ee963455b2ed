import { describe, expect, it } from "vitest";
import { isFsError } from "../../errors.js";
import type { FileAttr, FileType } from "../../metadata/types.js";
import { toFattr3, toSetAttrRequest, toWccData3 } from "./attrs.js";

function attr(type: FileType, size: number): FileAttr {
  return {
    id: "f1",
    ino: 77,
    type,
    mode: 0o104755,
    nlink: 2,
    uid: 1000,
    gid: 1000,
    size,
    atime: { sec: 1, nsec: 2 },
    mtime: { sec: 3, nsec: 4 },
    ctime: { sec: 5, nsec: 6 },
    birthtime: { sec: 1, nsec: 0 },
    dosAttributes: 0,
    contentId: null,
    rdev: { major: 8, minor: 3 },
    shareRoot: "r1",
  };
}

describe("toFattr3", () => {
  it.each([
    ["file", 1],
    ["dir", 2],
    ["block", 3],
    ["char", 4],
    ["symlink", 5],
    ["socket", 6],
    ["fifo", 7],
  ] as const)("maps %s to ftype3 %i", (type, ftype) => {
    expect(toFattr3(attr(type, 0), 9).type).toBe(ftype);
  });

  it("keeps permission bits only, reports used in 4 KiB blocks, fsid = share id, fileid = ino", () => {
    const f = toFattr3(attr("block", 4097), 42);
    expect(f.mode).toBe(0o4755);
    expect(f.used).toBe(8192);
    expect(f.fsid).toBe(42);
    expect(f.fileid).toBe(77);
    expect(f.rdev).toEqual({ specdata1: 8, specdata2: 3 });
    expect(f.mtime).toEqual({ seconds: 3, nseconds: 4 });
    expect(toFattr3(attr("file", 0), 1).used).toBe(0);
    expect(toFattr3(attr("file", 4096), 1).used).toBe(4096);
  });

  it("converts wcc data, keeping absent halves absent", () => {
    const wcc = toWccData3({ before: { size: 1, mtime: { sec: 2, nsec: 3 }, ctime: { sec: 4, nsec: 5 } }, after: null }, 1);
    expect(wcc).toEqual({ before: { size: 1, mtime: { seconds: 2, nseconds: 3 }, ctime: { seconds: 4, nseconds: 5 } }, after: null });
  });
});

describe("toSetAttrRequest", () => {
  const none = { mode: null, uid: null, gid: null, size: null, atime: null, mtime: null } as const;

  it("leaves out everything not set", () => {
    expect(toSetAttrRequest(none)).toEqual({});
  });

  it("passes set fields, server time as 'now' and client time as a timespec", () => {
    expect(
      toSetAttrRequest({ mode: 0o170644, uid: 1, gid: 2, size: 10, atime: "server", mtime: { seconds: 7, nseconds: 8 } }),
    ).toEqual({ mode: 0o644, uid: 1, gid: 2, size: 10, atime: "now", mtime: { sec: 7, nsec: 8 } });
  });

  it("refuses sizes past 2^53 - 1 with FileTooBig and nanoseconds past a second with Invalid", () => {
    expect(() => toSetAttrRequest({ ...none, size: Infinity })).toThrow(expect.objectContaining({ code: "FileTooBig" }));
    try {
      toSetAttrRequest({ ...none, mtime: { seconds: 1, nseconds: 1_000_000_000 } });
      expect.unreachable();
    } catch (err) {
      expect(isFsError(err, "Invalid")).toBe(true);
    }
  });
});
