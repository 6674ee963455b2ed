import { describe, expect, it } from "vitest";
import { validateConfig } from "../../core/index.js";
import { AppSettings, DEFAULT_LITTER } from "../settings/app-settings.js";
import { coreConfigFor, servedShares, SMB_USER } from "./core-config.js";

function settingsWith(...shares: Parameters<AppSettings["saveShare"]>[0][]): AppSettings {
  const settings = new AppSettings(":memory:");
  for (const share of shares) settings.saveShare(share);
  return settings;
}

describe("the core's config for the app's shares", () => {
  it("names exports so every OS's mount command takes them, unique", () => {
    const settings = settingsWith(
      { name: "My Photos", kind: "memory" },
      { name: "my.photos", kind: "memory" },
      { name: "My_Photos", kind: "memory" },
      { name: "my photos", kind: "memory" },
      { name: "Ünïcode Straße", kind: "memory" },
    );
    expect(servedShares(settings.shares()).map((served) => served.exportPath)).toEqual([
      "/my-photos",
      "/my.photos",
      "/my_photos",
      "/my-photos-2",
      "/unicode-stra-e",
    ]);
  });

  it("is a valid config with one store pair per share, keychain references for secrets and SMB only when asked", () => {
    const settings = settingsWith(
      {
        name: "Photos",
        kind: "s3",
        protocol: "both",
        cacheBytes: 2 * 1024 ** 3,
        s3: { endpoint: "http://127.0.0.1:9000", region: "us-east-1", bucket: "photos", accessKeyId: "AKID", secretKey: "keychain:dittofs/s3-photos" },
      },
      { name: "Docs", kind: "folder", folder: { path: "/home/me/Documents" } },
      { name: "Scratch", kind: "memory" },
    );
    const raw = coreConfigFor(settings.shares(), settings.preferences(), "/data", 1000, 1000);
    const config = validateConfig(raw, "app settings");
    expect(config.shares.map((share) => [share.name, share.metadataStore, share.contentStore, share.smb.name, share.rootSquash])).toEqual([
      ["/photos", "photos", "photos", "photos", false],
      ["/docs", "docs", "docs", "docs", false],
      ["/scratch", "scratch", "scratch", "scratch", false],
    ]);
    expect(config.content.stores.photos).toMatchObject({
      type: "s3",
      s3: { bucket: "photos", endpoint: "http://127.0.0.1:9000", accessKeyId: "AKID", secretAccessKey: { from: "secret", name: "dittofs/s3-photos" } },
      cache: { path: "/data/shares/photos/cache", maxSize: 2 * 1024 ** 3 },
    });
    expect(config.content.stores.docs).toMatchObject({ type: "fs", fs: { layout: "folder", path: "/home/me/Documents" } });
    expect(config.metadata.stores.docs).toEqual({ type: "sqlite", sqlite: { path: "/data/shares/docs/metadata.db" } });
    // Scratch RAM: its tree lives in memory with its contents, so that no name outlives its bytes.
    expect([config.metadata.stores.scratch?.type, config.content.stores.scratch?.type]).toEqual(["memory", "memory"]);
    expect(config.adapters.nfs).toMatchObject({ enabled: true, bind: "127.0.0.1", port: 12049 });
    expect(config.adapters.smb).toMatchObject({ enabled: true, port: 12445, users: [{ name: SMB_USER, password: { from: "secret", name: "dittofs/smb-password" }, uid: 1000 }] });

    expect(config.shares.map((share) => share.litter)).toEqual([[".DS_Store", "._*", "Thumbs.db", "desktop.ini"], [".DS_Store", "._*", "Thumbs.db", "desktop.ini"], [".DS_Store", "._*", "Thumbs.db", "desktop.ini"]]);

    const nfsOnly = validateConfig(coreConfigFor([settings.share("Scratch")!], settings.preferences(), "/data", 1000, 1000), "app settings");
    expect(nfsOnly.adapters.smb).toMatchObject({ enabled: false, users: [] });
    // Only the kernel's NFS client (a reserved port) may use a share over NFS.
    expect(config.shares.every((share) => share.requirePrivilegedPort)).toBe(true);
    const smbOnly = validateConfig(coreConfigFor([{ ...settings.share("Scratch")!, protocol: "smb" }], settings.preferences(), "/data", 1000, 1000), "app settings");
    expect([smbOnly.adapters.nfs.enabled, smbOnly.adapters.smb.enabled]).toEqual([false, true]);
    expect(smbOnly.shares[0]!.protocols).toEqual(["smb"]);
    expect(config.shares.map((share) => share.protocols)).toEqual([["nfs", "smb"], ["nfs"], ["nfs"]]);
  });

  it("has the core's litter defaults (the app keeps its own copy: its main process does not load the core)", () => {
    const core = validateConfig({ shares: [{ name: "/x", metadata_store: "m", content_store: "c" }], metadata: { stores: { m: { type: "memory" } } }, content: { stores: { c: { type: "memory" } } } }, "defaults");
    expect(DEFAULT_LITTER).toEqual(core.shares[0]!.litter);
  });

  it("passes each share's litter on, also an empty list (nothing kept out of the bucket)", () => {
    const settings = settingsWith(
      { name: "Mine", kind: "memory", litter: ["*.tmp", "~$*"] },
      { name: "None", kind: "memory", litter: [] },
    );
    const config = validateConfig(coreConfigFor(settings.shares(), settings.preferences(), "/data", 1000, 1000), "app settings");
    expect(config.shares.map((share) => [share.name, share.litter])).toEqual([
      ["/mine", ["*.tmp", "~$*"]],
      ["/none", []],
    ]);
  });
});
