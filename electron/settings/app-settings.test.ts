import Database from "better-sqlite3";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppSettings, DEFAULT_LITTER, SCHEMA_VERSION, SettingsError, type AppShareInput } from "./app-settings.js";

let dir: string;
let file: string;
let settings: AppSettings;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "dittofs-settings-"));
  file = join(dir, "settings.db");
  settings = new AppSettings(file);
});

afterEach(() => {
  settings.close();
  rmSync(dir, { recursive: true, force: true });
});

const photos: AppShareInput = {
  name: "Photos",
  kind: "s3",
  s3: {
    endpoint: "https://s3.eu-central-1.amazonaws.com",
    region: "eu-central-1",
    bucket: "my-photos",
    accessKeyId: "AKIAEXAMPLE",
    secretKey: "keychain:dittofs/s3-photos",
  },
};

function refusal(action: () => unknown): { field: string | null; message: string } {
  try {
    action();
  } catch (err) {
    if (err instanceof SettingsError) return { field: err.field, message: err.message };
    throw err;
  }
  throw new Error("expected a SettingsError");
}

describe("AppSettings", () => {
  it("starts empty at the current schema with default preferences", () => {
    expect(new Database(file, { readonly: true }).pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(settings.shares()).toEqual([]);
    expect(settings.preferences()).toEqual({ launchAtLogin: false, mountFolder: null, nfsPort: 12049, smbPort: 12445, logLevel: "info" });
  });

  it("keeps shares with their defaults, in the order they were added, across a reopen", () => {
    settings.saveShare(photos);
    settings.saveShare({ name: "Scratch", kind: "memory", protocol: "smb", autoMount: false });
    settings.saveShare({ name: "Docs", kind: "folder", folder: { path: "/home/me/Documents" } });
    settings.close();
    settings = new AppSettings(file);
    expect(settings.shares().map((share) => share.name)).toEqual(["Photos", "Scratch", "Docs"]);
    expect(settings.share("Photos")).toEqual({
      ...photos,
      s3: { ...photos.s3, prefix: "", layout: "bucket" },
      cacheBytes: 10 * 1024 ** 3,
      protocol: "nfs",
      autoMount: true,
      litter: DEFAULT_LITTER,
    });
    expect(settings.share("Scratch")).toMatchObject({ protocol: "smb", autoMount: false });
  });

  it("renames a share in place, and refuses a name another share has", () => {
    settings.saveShare(photos);
    settings.saveShare({ name: "Docs", kind: "memory" });
    settings.saveShare({ ...photos, name: "Pictures" }, "Photos");
    expect(settings.shares().map((share) => share.name)).toEqual(["Pictures", "Docs"]);
    expect(refusal(() => settings.saveShare({ ...photos, name: "Docs" }, "Pictures"))).toMatchObject({ field: "name" });
    expect(refusal(() => settings.saveShare(photos, "Missing")).message).toBe('no share named "Missing"');
    expect(settings.removeShare("Docs")).toBe(true);
    expect(settings.removeShare("Docs")).toBe(false);
    expect(settings.shares().map((share) => share.name)).toEqual(["Pictures"]);
  });

  it("refuses bad definitions, naming the field, and has no place for a secret", () => {
    expect(refusal(() => settings.saveShare({ ...photos, s3: { ...photos.s3!, bucket: "No_Such" } })).field).toBe("s3.bucket");
    expect(refusal(() => settings.saveShare({ ...photos, s3: { ...photos.s3!, endpoint: "ftp://x" } })).field).toBe("s3.endpoint");
    expect(refusal(() => settings.saveShare({ name: "X", kind: "s3" })).field).toBe("s3");
    expect(refusal(() => settings.saveShare({ name: "X", kind: "memory", folder: { path: "/tmp" } })).field).toBe("folder");
    expect(refusal(() => settings.saveShare({ name: "../etc", kind: "memory" })).field).toBe("name");
    // The secret key itself, in place of its keychain reference or beside it, is refused.
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    expect(refusal(() => settings.saveShare({ ...photos, s3: { ...photos.s3!, secretKey: secret } })).field).toBe("s3.secretKey");
    expect(refusal(() => settings.saveShare({ ...photos, s3: { ...photos.s3!, secretAccessKey: secret } } as AppShareInput)).field).toBe("s3");
    settings.close();
    expect(readFileSync(file).includes(secret)).toBe(false);
    settings = new AppSettings(file);
    expect(settings.shares()).toEqual([]);
  });

  it("changes some preferences and keeps the others; a bad value names its field", () => {
    settings.setPreferences({ launchAtLogin: true, nfsPort: 22049 });
    settings.setPreferences({ logLevel: "debug" });
    expect(settings.preferences()).toMatchObject({ launchAtLogin: true, nfsPort: 22049, logLevel: "debug", smbPort: 12445 });
    expect(refusal(() => settings.setPreferences({ smbPort: 80 })).field).toBe("smbPort");
    expect(settings.preferences().smbPort).toBe(12445);
  });

  it("refuses settings written by a newer app, and leaves them as they are", () => {
    settings.saveShare(photos);
    settings.close();
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => (settings = new AppSettings(file))).toThrow(/written by a newer DittoFS .*update the app/);
    const after = new Database(file, { readonly: true });
    expect(after.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION + 1);
    expect(after.prepare("SELECT name FROM shares").pluck().all()).toEqual(["Photos"]);
    after.close();
    settings = new AppSettings(":memory:");
  });
});
