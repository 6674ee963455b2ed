/**
 * The tray menu as a pure function of the state: a plain template shaped like Electron's
 * MenuItemConstructorOptions, with an `action` value where Electron takes a click function, so
 * main binds the actions and tests compare templates.
 */
import { clip, count, humanSize, seconds } from "./format.js";
import type { ServerStatus, ShareState, TrayState } from "./state.js";

/** What a menu item asks main to do. */
export type TrayAction =
  | { kind: "mount-bucket" }
  | { kind: "mount"; share: string }
  | { kind: "unmount"; share: string }
  | { kind: "open-drive"; share: string }
  | { kind: "copy-mount-command"; share: string }
  | { kind: "show-share-settings"; share: string }
  | { kind: "open-settings" }
  | { kind: "set-launch-at-login"; enabled: boolean }
  | { kind: "quit" };

export interface TrayMenuItem {
  type: "normal" | "separator" | "submenu" | "checkbox";
  label?: string;
  enabled?: boolean;
  checked?: boolean;
  submenu?: TrayMenuItem[];
  action?: TrayAction;
}

/** What each desktop calls its file manager. */
function fileManagerName(platform: NodeJS.Platform): string {
  if (platform === "darwin") return "Finder";
  if (platform === "win32") return "Explorer";
  return "Files";
}

export function buildTrayMenu(state: TrayState, platform: NodeJS.Platform): TrayMenuItem[] {
  const running = state.server.state === "running";
  const shares = state.shares.map((share) => shareMenu(share, running, platform));
  return [
    ...statusLines(state),
    separator(),
    { type: "normal", label: "Mount bucket as drive…", enabled: running, action: { kind: "mount-bucket" } },
    separator(),
    ...(shares.length > 0 ? shares : [info("No drives yet")]),
    separator(),
    { type: "normal", label: "Settings…", enabled: true, action: { kind: "open-settings" } },
    {
      type: "checkbox",
      label: "Launch at login",
      enabled: true,
      checked: state.launchAtLogin,
      action: { kind: "set-launch-at-login", enabled: !state.launchAtLogin },
    },
    separator(),
    { type: "normal", label: "Quit DittoFS", enabled: true, action: { kind: "quit" } },
  ];
}

/** The disabled lines at the top: how the server is, and what the drives are doing. */
function statusLines(state: TrayState): TrayMenuItem[] {
  const { server, shares } = state;
  if (server.state !== "running") return serverLines(server).map(info);
  const mounted = shares.filter((share) => share.mounted).length;
  const parts = ["Running", mounted === 0 ? "no drives mounted" : `${count(mounted, "drive")} mounted`];
  const pendingFiles = sum(shares.map((share) => share.pendingFiles));
  if (pendingFiles > 0) {
    const pendingBytes = sum(shares.map((share) => share.pendingBytes));
    parts.push(`${count(pendingFiles, "file")} uploading (${humanSize(pendingBytes)})`);
  }
  const lines = [parts.join(" · ")];
  const stalled = sum(shares.map((share) => share.stalled?.files ?? 0));
  if (stalled > 0) lines.push(`Uploads stopped: ${count(stalled, "file")} waiting`);
  return lines.map(info);
}

function serverLines(server: Exclude<ServerStatus, { state: "running" }>): string[] {
  switch (server.state) {
    case "starting":
      return ["Starting…"];
    case "restarting":
      return [
        `Restarting after a crash · attempt ${server.attempt} in ${seconds(server.retryInMs)}`,
        clip(server.error),
      ];
    case "stopped":
      return server.error === null ? ["Stopped"] : ["Stopped", clip(server.error)];
  }
}

function shareMenu(share: ShareState, running: boolean, platform: NodeJS.Platform): TrayMenuItem {
  const { name } = share;
  const details: string[] = [
    share.mounted && share.mountPoint !== null ? `Mounted at ${share.mountPoint}` : "Not mounted",
  ];
  if (share.pendingFiles > 0) {
    details.push(`${count(share.pendingFiles, "file")} uploading (${humanSize(share.pendingBytes)})`);
  }
  if (share.stalled !== null) {
    details.push(`Uploads stopped (${count(share.stalled.files, "file")}): ${clip(share.stalled.reason)}`);
  } else if (share.lastError !== null) {
    details.push(`Last error: ${clip(share.lastError)}`);
  }
  const mountToggle: TrayMenuItem = share.mounted
    ? { type: "normal", label: "Unmount", enabled: true, action: { kind: "unmount", share: name } }
    : { type: "normal", label: "Mount", enabled: running, action: { kind: "mount", share: name } };
  return {
    type: "submenu",
    label: `${name} (${share.protocol.toUpperCase()})${shareBadge(share)}`,
    submenu: [
      ...details.map(info),
      separator(),
      mountToggle,
      {
        type: "normal",
        label: `Open in ${fileManagerName(platform)}`,
        enabled: share.mounted,
        action: { kind: "open-drive", share: name },
      },
      { type: "normal", label: "Copy mount command", enabled: true, action: { kind: "copy-mount-command", share: name } },
      { type: "normal", label: "Show in settings", enabled: true, action: { kind: "show-share-settings", share: name } },
    ],
  };
}

/** The one thing about a share worth seeing without opening its submenu. */
function shareBadge(share: ShareState): string {
  if (share.stalled !== null) return " · uploads stopped";
  if (share.pendingFiles > 0) return " · uploading";
  return share.mounted ? " · mounted" : "";
}

function separator(): TrayMenuItem {
  return { type: "separator" };
}

function info(label: string): TrayMenuItem {
  return { type: "normal", label, enabled: false };
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
