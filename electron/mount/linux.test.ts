import { describe, expect, it } from "vitest";
import { gioSmbUrl, gvfsFuseDir, gvfsMountPoint, isGvfsFuseMounted, linuxMountCommand, linuxUnmountCommand, parseProcMounts } from "./linux.js";

/**
 * /proc/mounts of an Ubuntu desktop session: gvfs' FUSE bridge under /run/user/1000 (the line as
 * this machine's gvfsd-fuse wrote it, with the desktop's uid), a kernel SMB mount, and a USB disk
 * whose label has a space (written as \040).
 */
const PROC_MOUNTS = `sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
/dev/nvme0n1p2 / ext4 rw,relatime,errors=remount-ro 0 0
tmpfs /run/user/1000 tmpfs rw,nosuid,nodev,relatime,size=1628388k,nr_inodes=407097,mode=700,uid=1000,gid=1000 0 0
gvfsd-fuse /run/user/1000/gvfs fuse.gvfsd-fuse rw,nosuid,nodev,relatime,user_id=1000,group_id=1000 0 0
//nas/media /mnt/media cifs rw,relatime,vers=3.1.1,cache=strict,username=alice,uid=1000,noforceuid,gid=1000,addr=192.168.1.20 0 0
/dev/sdb1 /media/alice/My\\040Passport vfat rw,nosuid,nodev,relatime,uid=1000,gid=1000,fmask=0022,dmask=0022 0 0
`;

describe("Linux gio mount", () => {
  it("mounts smb://127.0.0.1:PORT/share/ and answers user, domain and password on stdin", () => {
    const command = linuxMountCommand({ port: 10445, share: "export" }, { user: "bob", password: "pass phrase" });
    expect(command).toEqual({ command: "gio", args: ["mount", "smb://127.0.0.1:10445/export/"], stdin: "bob\nWORKGROUP\npass phrase\n" });
    expect(command.args.join(" ")).not.toContain("pass phrase");
    expect(linuxMountCommand({ port: 445, share: "photos" }, { user: "bob", domain: "HOME", password: "x" }).stdin).toBe("bob\nHOME\nx\n");
  });

  it("unmounts with gio mount -u", () => {
    expect(linuxUnmountCommand({ port: 10445, share: "export" })).toEqual({ command: "gio", args: ["mount", "-u", "smb://127.0.0.1:10445/export/"] });
  });

  it("refuses input that would change the URL or answer another prompt", () => {
    const login = { user: "bob", password: "x" };
    expect(() => gioSmbUrl({ port: 10445, share: "export/../other" })).toThrow(/cannot mount share/);
    expect(() => gioSmbUrl({ port: 10445, share: "x@evil.example" })).toThrow(/cannot mount share/);
    expect(() => gioSmbUrl({ port: 99999, share: "export" })).toThrow(/invalid SMB port 99999/);
    expect(() => linuxMountCommand({ port: 10445, share: "export" }, { ...login, user: "bob\nWORKGROUP" })).toThrow(/invalid user name/);
    expect(() => linuxMountCommand({ port: 10445, share: "export" }, { ...login, domain: "A\nB" })).toThrow(/invalid domain/);
    expect(() => linuxMountCommand({ port: 10445, share: "export" }, { ...login, password: "one\ntwo" })).toThrow(/invalid password/);
  });

  it("names gvfs' folder for the share the way gvfsd-fuse does", () => {
    expect(gvfsFuseDir("/run/user/1000")).toBe("/run/user/1000/gvfs");
    expect(gvfsMountPoint("/run/user/1000", { port: 10445, share: "export" })).toBe("/run/user/1000/gvfs/smb-share:port=10445,server=127.0.0.1,share=export");
    expect(() => gvfsMountPoint("run/user", { port: 10445, share: "export" })).toThrow(/invalid mount folder/);
  });

  it("parses /proc/mounts, octal escapes included", () => {
    const entries = parseProcMounts(PROC_MOUNTS);
    expect(entries).toHaveLength(7);
    expect(entries[4]).toEqual({
      device: "gvfsd-fuse",
      mountPoint: "/run/user/1000/gvfs",
      fsType: "fuse.gvfsd-fuse",
      options: ["rw", "nosuid", "nodev", "relatime", "user_id=1000", "group_id=1000"],
    });
    expect(entries[6]!.mountPoint).toBe("/media/alice/My Passport");
    expect(parseProcMounts("/dev/sda1 /mnt/a\\134b\\011c ext4 rw 0 0\n")[0]!.mountPoint).toBe("/mnt/a\\b\tc");
  });

  it("sees gvfs' FUSE bridge only where it is mounted", () => {
    expect(isGvfsFuseMounted(PROC_MOUNTS, "/run/user/1000/gvfs")).toBe(true);
    expect(isGvfsFuseMounted(PROC_MOUNTS, "/run/user/1001/gvfs")).toBe(false);
    expect(isGvfsFuseMounted(PROC_MOUNTS, "/run/user/1000")).toBe(false); // the tmpfs, not the bridge
    expect(isGvfsFuseMounted(PROC_MOUNTS.replace("gvfsd-fuse /run", "gvfsd-fuse /tmp"), "/run/user/1000/gvfs")).toBe(false);
  });
});
