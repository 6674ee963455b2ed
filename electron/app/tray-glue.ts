/**
 * State → tray: what main knows (the supervisor's state, the shares and their last status, the
 * drives it mounted, the login setting) becomes the tray's TrayState; every change rebuilds the
 * menu and shows the notifications the change deserves.
 */
import type { ShareStatus } from "../../core/control/contract.js";
import { servedShares } from "../host/core-config.js";
import type { HostState } from "../host/supervisor.js";
import type { AppShare } from "../settings/app-settings.js";
import { buildTrayMenu, type TrayAction, type TrayMenuItem } from "../tray/menu.js";
import { notificationsFor, type TrayNotification } from "../tray/notifications.js";
import type { ServerStatus, ShareProtocol, TrayState } from "../tray/state.js";

/** A drive as main mounted it. */
export interface DriveState {
  mounted: boolean;
  mountPoint: string | null;
  /** Mounted on the user's request and not unmounted since: losing it is a drop. */
  wantMounted: boolean;
}

export interface AppFacts {
  host: HostState;
  shares: readonly AppShare[];
  /** The last status of each share, by its export path ("/photos"). */
  statuses: ReadonlyMap<string, ShareStatus>;
  /** By the app share's name. */
  drives: ReadonlyMap<string, DriveState>;
  launchAtLogin: boolean;
}

/** The protocol a share is mounted with here: macOS mounts NFS, Linux and Windows SMB. */
export function mountProtocol(share: AppShare, platform: NodeJS.Platform): ShareProtocol {
  if (share.protocol !== "both") return share.protocol;
  return platform === "darwin" ? "nfs" : "smb";
}

function serverStatusOf(host: HostState): ServerStatus {
  switch (host.kind) {
    case "running":
      return { state: "running" };
    case "restarting":
      return { state: "restarting", attempt: host.attempt, retryInMs: host.retryInMs, error: host.error };
    case "stopped":
      return { state: "stopped", error: host.error };
    case "starting":
      return { state: "starting" };
  }
}

export function trayStateOf(facts: AppFacts, platform: NodeJS.Platform): TrayState {
  return {
    server: serverStatusOf(facts.host),
    launchAtLogin: facts.launchAtLogin,
    shares: servedShares(facts.shares).map(({ share, exportPath }) => {
      const remote = facts.statuses.get(exportPath)?.remote ?? null;
      const drive = facts.drives.get(share.name);
      return {
        name: share.name,
        protocol: mountProtocol(share, platform),
        mounted: drive?.mounted ?? false,
        mountPoint: drive?.mounted ? drive.mountPoint : null,
        wantMounted: drive?.wantMounted ?? false,
        pendingFiles: remote?.pendingFiles ?? 0,
        pendingBytes: remote?.pendingBytes ?? 0,
        stalled: remote?.stalled ?? null,
        lastError: remote?.lastError?.message ?? null,
      };
    }),
  };
}

export interface TrayView {
  /** Shows a freshly built menu. */
  setMenu(items: TrayMenuItem[]): void;
  setToolTip(text: string): void;
  notify(notification: TrayNotification): void;
}

/** Keeps the tray in step with the facts: call update() with whatever changed. */
export class TrayGlue {
  private previous: TrayState | null = null;
  private facts: AppFacts;

  constructor(
    private readonly view: TrayView,
    private readonly platform: NodeJS.Platform,
    initial: AppFacts,
  ) {
    this.facts = initial;
  }

  current(): AppFacts {
    return this.facts;
  }

  /** The tray state now (quit names the shares still uploading from it). */
  state(): TrayState {
    return this.previous ?? trayStateOf(this.facts, this.platform);
  }

  update(changes: Partial<AppFacts>): void {
    this.facts = { ...this.facts, ...changes };
    const next = trayStateOf(this.facts, this.platform);
    const items = buildTrayMenu(next, this.platform);
    this.view.setMenu(items);
    // The first enabled-less line is the status: the tooltip says the same.
    this.view.setToolTip(`DittoFS · ${items[0]?.label ?? ""}`);
    for (const notification of notificationsFor(this.previous, next)) this.view.notify(notification);
    this.previous = next;
  }
}

/** Electron's MenuItemConstructorOptions, as much of it as the tray uses. */
export interface MenuTemplateItem {
  type: TrayMenuItem["type"];
  label?: string;
  enabled?: boolean;
  checked?: boolean;
  submenu?: MenuTemplateItem[];
  click?: () => void;
}

/** The pure menu with each action bound to `run`. */
export function toMenuTemplate(items: readonly TrayMenuItem[], run: (action: TrayAction) => void): MenuTemplateItem[] {
  return items.map(({ action, submenu, ...item }) => ({
    ...item,
    ...(submenu ? { submenu: toMenuTemplate(submenu, run) } : {}),
    ...(action ? { click: () => run(action) } : {}),
  }));
}
