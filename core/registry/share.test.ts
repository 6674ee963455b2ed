import { describe, expect, test } from "vitest";
import type { ShareConfig } from "../config/types.js";
import type { AuthSysCredential } from "../protocol/rpc/types.js";
import { ConfiguredShare } from "./share.js";
import { shareConfig } from "../testing/share-config.js";

function share(changes: Partial<ShareConfig> = {}): ConfiguredShare {
  return new ConfiguredShare(1, shareConfig("/export", { contentStore: "data", rootSquash: true, anonymousGid: 65533, ...changes }));
}

function cred(uid: number, gid: number, gids: number[] = []): AuthSysCredential {
  return { stamp: 1, machineName: "client", uid, gid, gids };
}

describe("allowsClient", () => {
  test.each([
    ["127.0.0.1", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["::FFFF:127.0.0.1", true],
    ["127.0.0.2", false],
    ["10.0.0.1", false],
    ["::ffff:10.0.0.1", false],
    ["::2", false],
    ["localhost", false],
    ["", false],
    ["not an address", false],
  ])("loopback-only default: %j → %s", (address, allowed) => {
    expect(share().allowsClient(address)).toBe(allowed);
  });

  test.each([
    ["192.168.5.5", true],
    ["::ffff:192.168.5.5", true],
    ["192.169.0.1", false],
    ["fd12:3456::1", true],
    ["fe80::1%eth0", true],
    ["fe80::1", true],
    ["2001:db8::1", false],
    ["10.0.0.1", true],
    ["10.0.0.2", false],
  ])("CIDR and mapped rules: %j → %s", (address, allowed) => {
    const s = share({ allowedClients: ["192.168.0.0/16", "fd00::/8", "fe80::/10", "::ffff:10.0.0.1"] });
    expect(s.allowsClient(address)).toBe(allowed);
  });

  test("0.0.0.0/0 and ::/0 allow everyone", () => {
    const s = share({ allowedClients: ["0.0.0.0/0", "::/0"] });
    expect(["8.8.8.8", "::ffff:8.8.8.8", "2001:db8::1"].every((a) => s.allowsClient(a))).toBe(true);
  });
});

describe("authContext", () => {
  test("AUTH_NONE acts as the anonymous ids", () => {
    expect(share().authContext(null)).toEqual({ uid: 65534, gid: 65533, gids: [] });
    expect(share({ rootSquash: false }).authContext(null)).toEqual({ uid: 65534, gid: 65533, gids: [] });
  });

  test("root_squash maps uid 0 and gid 0 (primary and supplementary) to the anonymous ids", () => {
    expect(share().authContext(cred(0, 0, [0, 5]))).toEqual({ uid: 65534, gid: 65533, gids: [65533, 5] });
    expect(share().authContext(cred(1000, 0, [20]))).toEqual({ uid: 1000, gid: 65533, gids: [20] });
    expect(share().authContext(cred(0, 100, []))).toEqual({ uid: 65534, gid: 100, gids: [] });
  });

  test("other users keep their identity under root_squash", () => {
    expect(share().authContext(cred(1000, 1000, [27, 100]))).toEqual({ uid: 1000, gid: 1000, gids: [27, 100] });
  });

  test("without root_squash root stays root", () => {
    expect(share({ rootSquash: false }).authContext(cred(0, 0, [0]))).toEqual({ uid: 0, gid: 0, gids: [0] });
  });

  test("all_squash maps everyone to the anonymous ids", () => {
    const s = share({ allSquash: true, rootSquash: false });
    expect(s.authContext(cred(1000, 1000, [27]))).toEqual({ uid: 65534, gid: 65533, gids: [] });
    expect(s.authContext(cred(0, 0))).toEqual({ uid: 65534, gid: 65533, gids: [] });
  });

  test("the context does not share the credential's gids array", () => {
    const c = cred(1000, 1000, [1, 2]);
    const ctx = share({ rootSquash: false }).authContext(c);
    ctx.gids.push(3);
    expect(c.gids).toEqual([1, 2]);
  });
});

describe("allowsSourcePort", () => {
  test("with require_privileged_port only ports below 1024 are admitted", () => {
    const s = share({ requirePrivilegedPort: true });
    expect([1, 700, 1023].map((p) => s.allowsSourcePort(p))).toEqual([true, true, true]);
    expect([1024, 40000, 65535].map((p) => s.allowsSourcePort(p))).toEqual([false, false, false]);
  });

  test("without it every port is admitted", () => {
    expect([700, 1024, 65535].every((p) => share().allowsSourcePort(p))).toBe(true);
  });
});
