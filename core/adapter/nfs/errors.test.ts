import { describe, expect, it } from "vitest";
import { fsError, type FsErrorCode } from "../../errors.js";
import { MNT3ERR_ACCES, MNT3ERR_NOENT, MNT3ERR_SERVERFAULT } from "../../protocol/nfs/mount/constants.js";
import { NFS3ERR_TOOSMALL } from "../../protocol/nfs/v3/constants.js";
import { mountStatusOf, nfsStatusOf, NfsStatusError } from "./errors.js";

/** RFC 1813 §2.6 nfsstat3 numbers, written out independently of the constants module. */
const EXPECTED: Record<FsErrorCode, number> = {
  NotFound: 2,
  Exists: 17,
  NotEmpty: 66,
  NotDir: 20,
  IsDir: 21,
  Stale: 70,
  BadHandle: 10001,
  NoSpace: 28,
  ReadOnly: 30,
  Access: 13,
  Perm: 1,
  NameTooLong: 63,
  Invalid: 22,
  FileTooBig: 27,
  NotSupported: 10004,
  NotSync: 10002,
  XDev: 18,
  MLink: 31,
  Io: 5,
  TryLater: 10008,
};

describe("nfsStatusOf", () => {
  it.each(Object.entries(EXPECTED))("maps FsError %s to nfsstat3 %i", (code, status) => {
    expect(nfsStatusOf(fsError(code as FsErrorCode, "x"))).toBe(status);
  });

  it("answers anything that is not an FsError with NFS3ERR_SERVERFAULT", () => {
    expect(nfsStatusOf(new TypeError("bug"))).toBe(10006);
    expect(nfsStatusOf("thrown string")).toBe(10006);
    expect(nfsStatusOf(undefined)).toBe(10006);
  });

  it("passes an NfsStatusError's status through", () => {
    expect(nfsStatusOf(new NfsStatusError(NFS3ERR_TOOSMALL, "tiny"))).toBe(10005);
  });
});

describe("mountStatusOf", () => {
  it("maps the errors MNT can meet to mountstat3", () => {
    expect(mountStatusOf(fsError("NotFound", "x"))).toBe(MNT3ERR_NOENT);
    expect(mountStatusOf(fsError("Access", "x"))).toBe(MNT3ERR_ACCES);
    expect(mountStatusOf(fsError("NotDir", "x"))).toBe(20);
    expect(mountStatusOf(fsError("Io", "x"))).toBe(5);
  });

  it("answers codes mountstat3 lacks, and bugs, with MNT3ERR_SERVERFAULT", () => {
    expect(mountStatusOf(fsError("NoSpace", "x"))).toBe(MNT3ERR_SERVERFAULT);
    expect(mountStatusOf(new Error("bug"))).toBe(MNT3ERR_SERVERFAULT);
  });
});
