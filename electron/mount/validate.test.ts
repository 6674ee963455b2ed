import { describe, expect, it } from "vitest";
import {
  MountInputError,
  checkDriveLetter,
  checkExportPath,
  checkMountDir,
  checkPassword,
  checkPort,
  checkShareName,
  checkUserName,
} from "./validate.js";

describe("mount input checks", () => {
  it("takes plain share names and refuses ones a tool could misread", () => {
    for (const name of ["export", "Photos_2024", "a.b-c", "x".repeat(80)]) expect(checkShareName(name)).toBe(name);
    for (const name of ["", "-o", ".hidden", "..", "a/b", "a\\b", "a b", "a\nb", "IPC$", "ipc$", "x".repeat(81), "a,share=b", "a%2f"]) {
      expect(() => checkShareName(name)).toThrow(MountInputError);
    }
    expect(() => checkShareName("../etc")).toThrow(/cannot mount share "..\/etc": a share name here is 1 to 80 letters/);
  });

  it("takes export paths made of share names", () => {
    expect(checkExportPath("/export")).toBe("/export");
    expect(checkExportPath("/data/photos")).toBe("/data/photos");
    for (const path of ["", "/", "export", "/export/", "//export", "/a/../b", "/a/./b", "/-o", "/a b"]) {
      expect(() => checkExportPath(path)).toThrow(/cannot mount export/);
    }
  });

  it("takes ports 1 to 65535", () => {
    expect(checkPort(1)).toBe(1);
    expect(checkPort(65535)).toBe(65535);
    for (const port of [0, -1, 65536, 1.5, Number.NaN]) expect(() => checkPort(port, "SMB port")).toThrow(/invalid SMB port .*1 to 65535/);
  });

  it("takes drive letters D: to Z: and writes them upper-case with a colon", () => {
    expect(checkDriveLetter("z")).toBe("Z:");
    expect(checkDriveLetter("D:")).toBe("D:");
    for (const drive of ["C:", "a", "b:", "ZZ:", "Z:\\", "1:", "", "Z: /DELETE"]) expect(() => checkDriveLetter(drive)).toThrow(/invalid drive letter .*D: to Z:/);
  });

  it("takes absolute, normalized folders", () => {
    expect(checkMountDir("/Users/alice/DittoFS/My Drive")).toBe("/Users/alice/DittoFS/My Drive");
    for (const dir of ["relative/dir", "-o", "/", "/a/../etc", "/a//b", "/a/", "/a\nb", "/a\0b"]) expect(() => checkMountDir(dir)).toThrow(/invalid mount folder/);
  });

  it("refuses user names that would be a second answer or an option", () => {
    expect(checkUserName("bob")).toBe("bob");
    for (const name of ["", "bob\npassword", "-U", "/USER:x", "a\\b", "a@b", "x".repeat(105)]) expect(() => checkUserName(name)).toThrow(/invalid user name/);
  });

  it("refuses a password with a line break, without showing it", () => {
    expect(checkPassword("pass phrase with spaces, ünïcode")).toBe("pass phrase with spaces, ünïcode");
    expect(() => checkPassword("secret1\nsecret2")).toThrow(/^invalid password: it may not contain line breaks/);
    try {
      checkPassword("secret1\rsecret2");
    } catch (err) {
      expect(String(err)).not.toContain("secret");
    }
    expect.assertions(3);
  });
});
