import { expect, test } from "vitest";
import { hostPort, listeningLines } from "./output.js";

test("one share on loopback: the documented commands", () => {
  expect(
    listeningLines({
      nfs: { bind: "127.0.0.1", port: 12049, mountPort: 12049 },
      separateMountPort: null,
      portmap: null,
      shares: ["/export"],
    }),
  ).toEqual([
    "NFS listening on 127.0.0.1:12049",
    "Mount on macOS:",
    "  mount_nfs -o vers=3,tcp,port=12049,mountport=12049 localhost:/export ~/mnt",
    "Mount on Linux:",
    "  sudo mount -t nfs -o vers=3,tcp,port=12049,mountport=12049,nolock 127.0.0.1:/export /mnt/dittofs",
  ]);
});

test("a MOUNT port, the portmapper and several shares", () => {
  expect(
    listeningLines({
      nfs: { bind: "0.0.0.0", port: 20049, mountPort: 20048 },
      separateMountPort: 20048,
      portmap: { bind: "0.0.0.0", port: 10111 },
      shares: ["/export", "/photos/2024"],
    }),
  ).toEqual([
    "NFS listening on 0.0.0.0:20049",
    "MOUNT listening on 0.0.0.0:20048",
    "Portmap listening on 0.0.0.0:10111",
    "Mount on macOS:",
    "  mount_nfs -o vers=3,tcp,port=20049,mountport=20048 localhost:/export ~/mnt/export",
    "  mount_nfs -o vers=3,tcp,port=20049,mountport=20048 localhost:/photos/2024 ~/mnt/photos-2024",
    "Mount on Linux:",
    "  sudo mount -t nfs -o vers=3,tcp,port=20049,mountport=20048,nolock 127.0.0.1:/export /mnt/dittofs/export",
    "  sudo mount -t nfs -o vers=3,tcp,port=20049,mountport=20048,nolock 127.0.0.1:/photos/2024 /mnt/dittofs/photos-2024",
  ]);
});

test("IPv6 and specific addresses are written as clients must write them", () => {
  const lines = listeningLines({ nfs: { bind: "::1", port: 2049, mountPort: 2049 }, separateMountPort: null, portmap: null, shares: ["/e"] });
  expect(lines[0]).toBe("NFS listening on [::1]:2049");
  expect(lines[2]).toBe("  mount_nfs -o vers=3,tcp,port=2049,mountport=2049 [::1]:/e ~/mnt");
  expect(lines[4]).toBe("  sudo mount -t nfs -o vers=3,tcp,port=2049,mountport=2049,nolock [::1]:/e /mnt/dittofs");
  const lan = listeningLines({ nfs: { bind: "192.168.1.5", port: 2049, mountPort: 2049 }, separateMountPort: null, portmap: null, shares: ["/e"] });
  expect(lan[2]).toBe("  mount_nfs -o vers=3,tcp,port=2049,mountport=2049 192.168.1.5:/e ~/mnt");
  expect(hostPort("fd00::1", 1)).toBe("[fd00::1]:1");
});
