import { describe, expect, it } from "vitest";
import type { ShareStatus } from "../../core/index.js";
import type { AppShare } from "../settings/app-settings.js";
import type { TrayAction, TrayMenuItem } from "../tray/menu.js";
import type { TrayNotification } from "../tray/notifications.js";
import { TrayGlue, toMenuTemplate, trayStateOf, type AppFacts } from "./tray-glue.js";

const appShare = (name: string, protocol: AppShare["protocol"] = "both"): AppShare =>
  ({ name, kind: "memory", protocol, cacheBytes: 1 << 30, autoMount: true, litter: [] }) as AppShare;

function remoteStatus(name: string, pendingFiles: number, stalled: { files: number; reason: string } | null = null): ShareStatus {
  return {
    name,
    readOnly: false,
    metadataStore: "m",
    contentStore: "c",
    contentKind: "s3",
    space: null,
    remote: {
      remote: "s3://photos/",
      pendingFiles,
      pendingBytes: pendingFiles * 1_000_000,
      uploads: [],
      cacheBytes: 0,
      cacheLimit: 1,
      throttled: false,
      full: null,
      stalled,
      lastError: { message: "connect ECONNREFUSED", at: "2026-01-01T00:00:00Z" },
    },
  };
}

const facts = (changes: Partial<AppFacts> = {}): AppFacts => ({
  host: { kind: "running", nfsPort: 12049, smbPort: null },
  shares: [appShare("My Photos"), appShare("docs", "nfs")],
  statuses: new Map(),
  drives: new Map(),
  launchAtLogin: true,
  ...changes,
});

describe("trayStateOf", () => {
  it("joins each app share with its status (by export path) and its drive", () => {
    const state = trayStateOf(
      facts({
        statuses: new Map([["/my-photos", remoteStatus("/my-photos", 2)]]),
        drives: new Map([["My Photos", { mounted: true, mountPoint: "/Users/me/DittoFS/my-photos", wantMounted: true }]]),
      }),
      "darwin",
    );
    expect(state).toEqual({
      server: { state: "running" },
      launchAtLogin: true,
      shares: [
        {
          name: "My Photos",
          protocol: "nfs",
          mounted: true,
          mountPoint: "/Users/me/DittoFS/my-photos",
          wantMounted: true,
          pendingFiles: 2,
          pendingBytes: 2_000_000,
          stalled: null,
          lastError: "connect ECONNREFUSED",
        },
        { name: "docs", protocol: "nfs", mounted: false, mountPoint: null, wantMounted: false, pendingFiles: 0, pendingBytes: 0, stalled: null, lastError: null },
      ],
    });
    expect(trayStateOf(facts(), "linux").shares[0]?.protocol).toBe("smb");
  });

  it("tells the supervisor's states as the tray's", () => {
    const server = (host: AppFacts["host"]) => trayStateOf(facts({ host }), "linux").server;
    expect(server({ kind: "starting" })).toEqual({ state: "starting" });
    expect(server({ kind: "restarting", attempt: 2, retryInMs: 2000, error: "exit code 1" })).toEqual({
      state: "restarting",
      attempt: 2,
      retryInMs: 2000,
      error: "exit code 1",
    });
    expect(server({ kind: "stopped", error: "gave up" })).toEqual({ state: "stopped", error: "gave up" });
  });
});

describe("TrayGlue", () => {
  function view() {
    const menus: TrayMenuItem[][] = [];
    const tips: string[] = [];
    const notes: TrayNotification[] = [];
    return { menus, tips, notes, view: { setMenu: (m: TrayMenuItem[]) => menus.push(m), setToolTip: (t: string) => tips.push(t), notify: (n: TrayNotification) => notes.push(n) } };
  }

  it("rebuilds the menu on every change and notifies a stall and a crash once", () => {
    const v = view();
    const glue = new TrayGlue(v.view, "linux", facts());
    glue.update({});
    expect(v.menus[0]?.[0]?.label).toBe("Running · no drives mounted");
    expect(v.tips).toEqual(["DittoFS · Running · no drives mounted"]);
    const stalled = new Map([["/my-photos", remoteStatus("/my-photos", 4, { files: 4, reason: "AccessDenied" })]]);
    glue.update({ statuses: stalled });
    glue.update({ statuses: stalled });
    expect(v.notes.map((n) => n.id)).toEqual(["upload-stopped:My Photos"]);
    glue.update({ host: { kind: "restarting", attempt: 1, retryInMs: 1000, error: "exit code 1" } });
    glue.update({ host: { kind: "restarting", attempt: 2, retryInMs: 2000, error: "exit code 1" } });
    expect(v.notes.map((n) => n.id)).toEqual(["upload-stopped:My Photos", "server"]);
    expect(v.menus).toHaveLength(5);
    expect(v.menus[4]?.[0]?.label).toBe("Restarting after a crash · attempt 2 in 2 s");
    expect(glue.state().shares[0]?.pendingFiles).toBe(4);
  });

  it("notifies a drive that went away while wanted", () => {
    const v = view();
    const glue = new TrayGlue(v.view, "darwin", facts());
    glue.update({ drives: new Map([["docs", { mounted: true, mountPoint: "/d", wantMounted: true }]]) });
    glue.update({ drives: new Map([["docs", { mounted: false, mountPoint: null, wantMounted: true }]]) });
    expect(v.notes).toEqual([{ id: "mount-dropped:docs", title: "docs was disconnected", body: "The drive (/d) is no longer mounted." }]);
  });
});

describe("toMenuTemplate", () => {
  it("binds each item's action to a click, in submenus too, and drops the action values", () => {
    const ran: TrayAction[] = [];
    const template = toMenuTemplate(
      [
        { type: "normal", label: "Status", enabled: false },
        { type: "submenu", label: "docs", submenu: [{ type: "normal", label: "Mount", enabled: true, action: { kind: "mount", share: "docs" } }] },
        { type: "normal", label: "Quit", enabled: true, action: { kind: "quit" } },
      ],
      (action) => ran.push(action),
    );
    expect(template[0]).toEqual({ type: "normal", label: "Status", enabled: false });
    expect("action" in template[2]!).toBe(false);
    template[1]?.submenu?.[0]?.click?.();
    template[2]?.click?.();
    expect(ran).toEqual([{ kind: "mount", share: "docs" }, { kind: "quit" }]);
  });
});
