import { describe, expect, it } from "vitest";
import type { AppPreferences } from "../core/control/contract.js";
import { preferenceChanges, preferencesForm, restartsServer } from "./preferences.js";

const SAVED: AppPreferences = { launchAtLogin: false, mountFolder: "/Volumes/x", nfsPort: 12049, smbPort: 12445, logLevel: "info" };

describe("the preferences form", () => {
  it("sends only what changed; an emptied mount folder means the default", () => {
    const form = { ...preferencesForm(SAVED), launchAtLogin: true, mountFolder: "  ", smbPort: "13445" };
    expect(preferenceChanges(form, SAVED)).toEqual({ changes: { launchAtLogin: true, mountFolder: null, smbPort: 13445 } });
    expect(preferenceChanges(preferencesForm(SAVED), SAVED)).toEqual({ changes: {} });
  });

  it("refuses ports that are not numbers from 1024 to 65535, or the same for both", () => {
    for (const nfsPort of ["", "80", "70000", "12e3", "abc"]) expect(preferenceChanges({ ...preferencesForm(SAVED), nfsPort }, SAVED)).toEqual({ error: expect.stringContaining("NFS port") });
    expect(preferenceChanges({ ...preferencesForm(SAVED), nfsPort: "12445" }, SAVED)).toEqual({ error: "NFS and SMB need ports of their own." });
  });

  it("says a change of port or log level restarts the server, launch at login does not", () => {
    expect([{ nfsPort: 1 }, { smbPort: 1 }, { logLevel: "debug" as const }, { launchAtLogin: true }, { mountFolder: null }].map(restartsServer)).toEqual([true, true, true, false, false]);
  });
});
