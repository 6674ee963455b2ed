import { describe, expect, it } from "vitest";
import { isMacNfsMounted, macMountCommand, macSpotlightOffCommand, macUnmountCommand, parseMacMounts } from "./macos.js";

/** `mount` on macOS 14 with two DittoFS shares mounted (one in a folder with spaces) and an SMB share. */
const MOUNT_OUTPUT = `/dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)
devfs on /dev (devfs, local, nobrowse)
/dev/disk3s6 on /System/Volumes/VM (apfs, local, noexec, journaled, noatime, nobrowse)
/dev/disk3s2 on /System/Volumes/Preboot (apfs, local, journaled, nobrowse)
/dev/disk3s4 on /System/Volumes/Update (apfs, local, journaled, nobrowse)
/dev/disk1s2 on /System/Volumes/xarts (apfs, local, noexec, journaled, noatime, nobrowse)
/dev/disk3s5 on /System/Volumes/Data (apfs, local, journaled, nobrowse, protect)
map auto_home on /System/Volumes/Data/home (autofs, automounted, nobrowse)
127.0.0.1:/export on /Users/alice/DittoFS/export (nfs, nodev, nosuid, mounted by alice)
127.0.0.1:/photos on /Users/alice/My Drives on Mac/photos (nfs, asynchronous, nodev, nosuid, mounted by alice)
//alice@nas.local/Media on /Volumes/Media (smbfs, nodev, nosuid, mounted by alice)
`;

describe("macOS mount_nfs", () => {
  it("mounts NFSv3 over TCP on the server's ports, locks local, soft with retries", () => {
    expect(macMountCommand({ exportPath: "/export", port: 12049, mountPort: 12050, dir: "/Users/alice/DittoFS/export" })).toEqual({
      command: "/sbin/mount_nfs",
      args: ["-o", "vers=3,tcp,port=12049,mountport=12050,locallocks,soft,retrans=5,timeo=10", "127.0.0.1:/export", "/Users/alice/DittoFS/export"],
    });
    expect(macMountCommand({ exportPath: "/data/photos", port: 2049, mountPort: 2050, dir: "/Users/a/My Drive", retrans: 2, timeo: 30 }).args).toEqual([
      "-o",
      "vers=3,tcp,port=2049,mountport=2050,locallocks,soft,retrans=2,timeo=30",
      "127.0.0.1:/data/photos",
      "/Users/a/My Drive",
    ]);
  });

  it("refuses hostile or broken input", () => {
    const ok = { exportPath: "/export", port: 12049, mountPort: 12050, dir: "/Users/alice/DittoFS/export" };
    expect(() => macMountCommand({ ...ok, exportPath: "/export,nosuid" })).toThrow(/cannot mount export/);
    expect(() => macMountCommand({ ...ok, port: 70000 })).toThrow(/invalid NFS port 70000/);
    expect(() => macMountCommand({ ...ok, mountPort: 0 })).toThrow(/invalid MOUNT port 0/);
    expect(() => macMountCommand({ ...ok, dir: "-oexec" })).toThrow(/invalid mount folder/);
    expect(() => macMountCommand({ ...ok, retrans: 0 })).toThrow(/invalid retrans 0/);
    expect(() => macMountCommand({ ...ok, timeo: 1.5 })).toThrow(/invalid timeo 1.5/);
  });

  it("unmounts with diskutil and turns Spotlight off with mdutil", () => {
    expect(macUnmountCommand("/Users/alice/DittoFS/export")).toEqual({ command: "/usr/sbin/diskutil", args: ["unmount", "/Users/alice/DittoFS/export"] });
    expect(macSpotlightOffCommand("/Users/alice/DittoFS/export")).toEqual({ command: "/usr/bin/mdutil", args: ["-i", "off", "/Users/alice/DittoFS/export"] });
    expect(() => macUnmountCommand("../x")).toThrow(/invalid mount folder/);
  });

  it("parses mount's output, paths with spaces and \" on \" included", () => {
    const entries = parseMacMounts(MOUNT_OUTPUT);
    expect(entries).toHaveLength(11);
    expect(entries[0]).toEqual({ device: "/dev/disk3s1s1", mountPoint: "/", fsType: "apfs", options: ["sealed", "local", "read-only", "journaled"] });
    expect(entries[7]).toEqual({ device: "map auto_home", mountPoint: "/System/Volumes/Data/home", fsType: "autofs", options: ["automounted", "nobrowse"] });
    expect(entries[9]).toEqual({
      device: "127.0.0.1:/photos",
      mountPoint: "/Users/alice/My Drives on Mac/photos",
      fsType: "nfs",
      options: ["asynchronous", "nodev", "nosuid", "mounted by alice"],
    });
  });

  it("tells a live DittoFS mount from another export, folder or file system", () => {
    expect(isMacNfsMounted(MOUNT_OUTPUT, "/export", "/Users/alice/DittoFS/export")).toBe(true);
    expect(isMacNfsMounted(MOUNT_OUTPUT, "/photos", "/Users/alice/My Drives on Mac/photos")).toBe(true);
    expect(isMacNfsMounted(MOUNT_OUTPUT, "/photos", "/Users/alice/DittoFS/export")).toBe(false);
    expect(isMacNfsMounted(MOUNT_OUTPUT, "/export", "/Users/alice/DittoFS/other")).toBe(false);
    expect(isMacNfsMounted(MOUNT_OUTPUT, "/Media", "/Volumes/Media")).toBe(false);
    expect(isMacNfsMounted("", "/export", "/Users/alice/DittoFS/export")).toBe(false);
  });
});
