import { describe, expect, it } from "vitest";
import { buildTrayMenu, type TrayMenuItem } from "./menu.js";
import type { ShareState, TrayState } from "./state.js";

function share(name: string, changes: Partial<ShareState> = {}): ShareState {
  return {
    name,
    protocol: "nfs",
    mounted: false,
    mountPoint: null,
    wantMounted: false,
    pendingFiles: 0,
    pendingBytes: 0,
    stalled: null,
    lastError: null,
    ...changes,
  };
}

function state(changes: Partial<TrayState> = {}): TrayState {
  return { server: { state: "running" }, shares: [], launchAtLogin: false, ...changes };
}

const labels = (items: TrayMenuItem[]) => items.map((item) => (item.type === "separator" ? "---" : item.label));
const item = (items: TrayMenuItem[], label: string) => {
  const found = items.find((entry) => entry.label === label);
  if (found === undefined) throw new Error(`no item "${label}" in ${JSON.stringify(labels(items))}`);
  return found;
};
const submenuOf = (items: TrayMenuItem[], label: string) => item(items, label).submenu ?? [];

describe("buildTrayMenu", () => {
  it("lays out the status, the mount entry, one submenu per share, settings, login and quit", () => {
    const menu = buildTrayMenu(
      state({
        shares: [
          share("photos", { mounted: true, mountPoint: "/Volumes/photos", wantMounted: true }),
          share("scratch", { protocol: "smb" }),
        ],
      }),
      "darwin",
    );
    expect(labels(menu)).toEqual([
      "Running · 1 drive mounted",
      "---",
      "Mount bucket as drive…",
      "---",
      "photos (NFS) · mounted",
      "scratch (SMB)",
      "---",
      "Settings…",
      "Launch at login",
      "---",
      "Quit DittoFS",
    ]);
    expect(menu[0]).toEqual({ type: "normal", label: "Running · 1 drive mounted", enabled: false });
    expect(item(menu, "Mount bucket as drive…")).toMatchObject({ enabled: true, action: { kind: "mount-bucket" } });
    expect(item(menu, "Settings…").action).toEqual({ kind: "open-settings" });
    expect(item(menu, "Quit DittoFS").action).toEqual({ kind: "quit" });
  });

  it("counts mounted drives and pending uploads across shares, with human sizes", () => {
    const menu = buildTrayMenu(
      state({
        shares: [
          share("a", { mounted: true, mountPoint: "/a", pendingFiles: 1, pendingBytes: 4_000_000 }),
          share("b", { mounted: true, mountPoint: "/b", pendingFiles: 2, pendingBytes: 8_000_000 }),
          share("c"),
        ],
      }),
      "linux",
    );
    expect(menu[0]?.label).toBe("Running · 2 drives mounted · 3 files uploading (12 MB)");
    expect(buildTrayMenu(state({ shares: [share("c")] }), "linux")[0]?.label).toBe("Running · no drives mounted");
  });

  it("gives a mounted share Unmount and Open, and the actions name the share", () => {
    const photos = share("photos", { mounted: true, mountPoint: "/Volumes/photos", wantMounted: true });
    const submenu = submenuOf(buildTrayMenu(state({ shares: [photos] }), "darwin"), "photos (NFS) · mounted");
    expect(submenu).toEqual([
      { type: "normal", label: "Mounted at /Volumes/photos", enabled: false },
      { type: "separator" },
      { type: "normal", label: "Unmount", enabled: true, action: { kind: "unmount", share: "photos" } },
      { type: "normal", label: "Open in Finder", enabled: true, action: { kind: "open-drive", share: "photos" } },
      { type: "normal", label: "Copy mount command", enabled: true, action: { kind: "copy-mount-command", share: "photos" } },
      { type: "normal", label: "Show in settings", enabled: true, action: { kind: "show-share-settings", share: "photos" } },
    ]);
  });

  it("disables Open for a drive that is not mounted and offers Mount", () => {
    const submenu = submenuOf(buildTrayMenu(state({ shares: [share("docs")] }), "win32"), "docs (NFS)");
    expect(item(submenu, "Not mounted").enabled).toBe(false);
    expect(item(submenu, "Mount")).toMatchObject({ enabled: true, action: { kind: "mount", share: "docs" } });
    expect(item(submenu, "Open in Explorer").enabled).toBe(false);
    expect(submenu.some((entry) => entry.label === "Unmount")).toBe(false);
  });

  it("names the file manager of each platform", () => {
    const shares = [share("d", { mounted: true, mountPoint: "/d" })];
    const openLabel = (platform: NodeJS.Platform) =>
      submenuOf(buildTrayMenu(state({ shares }), platform), "d (NFS) · mounted")[3]?.label;
    expect(openLabel("darwin")).toBe("Open in Finder");
    expect(openLabel("win32")).toBe("Open in Explorer");
    expect(openLabel("linux")).toBe("Open in Files");
  });

  it("shows a share's uploads, stopped uploads and last error", () => {
    const busy = share("media", { pendingFiles: 1, pendingBytes: 1500, lastError: "connect ECONNREFUSED 127.0.0.1:9000" });
    const stuck = share("backup", { pendingFiles: 4, pendingBytes: 2_500_000, stalled: { files: 4, reason: "AccessDenied" } });
    const menu = buildTrayMenu(state({ shares: [busy, stuck] }), "linux");
    expect(labels(submenuOf(menu, "media (NFS) · uploading")).slice(0, 3)).toEqual([
      "Not mounted",
      "1 file uploading (1.5 KB)",
      "Last error: connect ECONNREFUSED 127.0.0.1:9000",
    ]);
    expect(labels(submenuOf(menu, "backup (NFS) · uploads stopped")).slice(0, 3)).toEqual([
      "Not mounted",
      "4 files uploading (2.5 MB)",
      "Uploads stopped (4 files): AccessDenied",
    ]);
    expect(labels(menu).slice(0, 2)).toEqual([
      "Running · no drives mounted · 5 files uploading (2.5 MB)",
      "Uploads stopped: 4 files waiting",
    ]);
  });

  it("while the server is not running, says why and allows no mounting", () => {
    const shares = [share("docs")];
    const restarting = buildTrayMenu(
      state({ server: { state: "restarting", attempt: 2, retryInMs: 7_200, error: "exited with code 1" }, shares }),
      "darwin",
    );
    expect(labels(restarting).slice(0, 2)).toEqual(["Restarting after a crash · attempt 2 in 8 s", "exited with code 1"]);
    expect(restarting.slice(0, 2).every((entry) => entry.enabled === false)).toBe(true);
    expect(item(restarting, "Mount bucket as drive…").enabled).toBe(false);
    expect(item(submenuOf(restarting, "docs (NFS)"), "Mount").enabled).toBe(false);

    const starting = buildTrayMenu(state({ server: { state: "starting" }, shares }), "darwin");
    expect(starting[0]).toEqual({ type: "normal", label: "Starting…", enabled: false });

    const failed = buildTrayMenu(state({ server: { state: "stopped", error: "listen EADDRINUSE 127.0.0.1:2049" } }), "linux");
    expect(labels(failed).slice(0, 2)).toEqual(["Stopped", "listen EADDRINUSE 127.0.0.1:2049"]);
    expect(labels(buildTrayMenu(state({ server: { state: "stopped", error: null } }), "linux")).slice(0, 2)).toEqual([
      "Stopped",
      "---",
    ]);
  });

  it("keeps Unmount possible while the server is down, so a drive can be let go", () => {
    const shares = [share("docs", { mounted: true, mountPoint: "/docs", wantMounted: true })];
    const menu = buildTrayMenu(state({ server: { state: "stopped", error: "gave up" }, shares }), "linux");
    expect(item(submenuOf(menu, "docs (NFS) · mounted"), "Unmount").enabled).toBe(true);
  });

  it("clips long errors to one short line", () => {
    const error = `first line\n${"x".repeat(200)}`;
    const menu = buildTrayMenu(state({ server: { state: "stopped", error } }), "linux");
    const line = menu[1]?.label ?? "";
    expect(line.length).toBe(80);
    expect(line.startsWith("first line xxx")).toBe(true);
    expect(line.endsWith("…")).toBe(true);
  });

  it("says so when there are no shares", () => {
    const menu = buildTrayMenu(state(), "darwin");
    expect(item(menu, "No drives yet").enabled).toBe(false);
  });

  it("checks Launch at login from the state and its action asks for the opposite", () => {
    expect(item(buildTrayMenu(state({ launchAtLogin: true }), "darwin"), "Launch at login")).toEqual({
      type: "checkbox",
      label: "Launch at login",
      enabled: true,
      checked: true,
      action: { kind: "set-launch-at-login", enabled: false },
    });
    expect(item(buildTrayMenu(state({ launchAtLogin: false }), "darwin"), "Launch at login")).toMatchObject({
      checked: false,
      action: { kind: "set-launch-at-login", enabled: true },
    });
  });
});
