import { lstat, readdir } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import {
  ControlError,
  type AppControlApi,
  type AppPreferences,
  type ControlEvent,
  type DriveStatus,
  type FolderPreview,
  type ManagedShare,
  type S3ProbeRequest,
  type S3ProbeResult,
  type SaveShareRequest,
  type ServerStatus,
} from "../../core/control/contract.js";
import { servedShares } from "../host/core-config.js";
import type { CoreSupervisor } from "../host/supervisor.js";
import type { Keychain } from "../keychain.js";
import { SettingsError, type AppSettings, type AppShare, type AppShareInput } from "../settings/app-settings.js";
import type { Drives } from "./drives.js";

/** How long saving a share may wait for uploads before the host restarts with the new shares. */
const RESTART_WAIT_MS = 10_000;
/** How long a call waits for a starting host before it is answered "starting". */
const START_WAIT_MS = 15_000;
/** The entries of a folder the add-share form shows before serving it. */
const PREVIEW_ENTRIES = 50;
/** Preferences the file server reads at its start: changing one restarts it. */
const SERVER_PREFERENCES: ReadonlyArray<keyof AppPreferences> = ["nfsPort", "smbPort", "logLevel"];

export interface DesktopControlOptions {
  settings: AppSettings;
  keychain: Keychain;
  supervisor: CoreSupervisor;
  drives: Drives;
  /** The folder the host writes its log file in. */
  logDir: string;
  /** Opens a folder in Finder / Explorer / Files (the desktop app); absent headless. */
  openPath?: (path: string) => Promise<boolean>;
  /** Registers the app to start at login (the desktop app); absent headless. */
  setLaunchAtLogin?: (enabled: boolean) => void;
}

/**
 * The desktop app's side of the control contract (over IPC in the app, over HTTP for the headless
 * `dittofs-app serve`): the running server's calls go to the supervised host, and the shares,
 * their drives and the preferences are managed here, where they live (settings + keychain + the
 * OS's mounts). A changed share list restarts the host, which then serves it; a share's secret
 * goes to the keychain and is never handed back.
 */
export class DesktopControl implements AppControlApi {
  /** Why the last mount or unmount of a share (by name) failed. */
  private readonly driveErrors = new Map<string, string>();
  private lastStatus: ServerStatus | null = null;

  constructor(private readonly options: DesktopControlOptions) {}

  /** The server's status; while it is not running, an empty one that says why (the shares can still be fixed). */
  async status(): Promise<ServerStatus> {
    await this.started();
    const { supervisor } = this.options;
    const state = supervisor.state();
    if (state.kind === "restarting" || state.kind === "stopped") {
      return {
        version: this.lastStatus?.version ?? "unknown",
        managed: true,
        startedAt: this.lastStatus?.startedAt ?? new Date().toISOString(),
        listeners: { nfs: null, smb: null, portmap: null },
        shares: [],
        unserved: [],
        problem: state.kind === "restarting" ? `the file server is restarting after a crash: ${state.error}` : (state.error ?? "the file server is stopped"),
      };
    }
    this.lastStatus = { ...(await supervisor.status()), managed: true };
    return this.lastStatus;
  }

  async retryUploads(share: string): Promise<number> {
    await this.started();
    return this.options.supervisor.retryUploads(share);
  }

  async refreshListing(share: string): Promise<boolean> {
    await this.started();
    return this.options.supervisor.refreshListing(share);
  }

  async testS3(request: S3ProbeRequest): Promise<S3ProbeResult> {
    await this.started();
    return this.options.supervisor.testS3(request);
  }

  subscribe(listener: (event: ControlEvent) => void): () => void {
    return this.options.supervisor.subscribe(listener);
  }

  async listShares(): Promise<ManagedShare[]> {
    // A drive the OS let go of (sleep, a network change) shows as unmounted.
    await this.options.drives.refresh();
    const { unserved } = await this.status().catch(() => ({ unserved: [] }));
    const errors = new Map(unserved.map(({ name, error }) => [name, error]));
    return Promise.all(this.options.settings.shares().map((share) => this.managed(share, errors)));
  }

  /**
   * Adds or changes a share (`replacing` names the one it changes), with the S3 secret key when
   * one is typed, then serves the new list. A new share marked auto-mount is mounted at once.
   * Refusals name the field (ControlError "Invalid").
   */
  async saveShare(request: SaveShareRequest): Promise<ManagedShare> {
    const { settings, keychain, drives } = this.options;
    const { replacing, secretAccessKey } = request;
    // Left out, the protocol is the one this OS mounts with: NFS on macOS, SMB elsewhere.
    const input = { protocol: process.platform === "darwin" ? "nfs" : "smb", ...request.share } as AppShareInput;
    const checked = settingsCall(() => settings.check(input));
    const old = replacing === undefined ? null : settings.share(replacing);
    if (replacing !== undefined && !old) throw new ControlError("NotFound", `no share named ${JSON.stringify(replacing)}`);
    if (!old && settings.share(checked.name)) throw new ControlError("Invalid", `a share named ${JSON.stringify(checked.name)} exists already`, "name");
    if (checked.s3) await this.checkBucket(checked.s3, secretAccessKey);
    if (secretAccessKey !== undefined) {
      if (!checked.s3) throw new ControlError("Invalid", "only an S3 share has a secret key", "secretAccessKey");
      // Checked before the secret is stored, so that a refused share leaves the keychain alone.
      await keychainCall(() => keychain.set(checked.s3!.secretKey, secretAccessKey), "secretAccessKey");
    } else if (checked.s3 && !(await keychain.has(checked.s3.secretKey).catch(() => false))) {
      throw new ControlError("Invalid", "type the secret access key: none is saved for this share yet", "secretAccessKey");
    }
    // A mounted share whose definition changes is unmounted first: its export may move.
    const wasMounted = old !== null && drives.mountPointOf(old.name) !== null;
    if (wasMounted) await drives.unmount(old.name).catch(() => {});
    const saved = settingsCall(() => settings.saveShare(input, replacing));
    if (old?.s3 && old.s3.secretKey !== saved.s3?.secretKey) await this.forgetSecret(old.s3.secretKey);
    await this.serveAgain();
    if (wasMounted || (!old && saved.autoMount)) await this.mount(saved.name);
    return (await this.listShares()).find((share) => share.definition.name === saved.name)!;
  }

  /** Unmounts and removes a share and its secret (its data stays where it is: the bucket, the folder). */
  async removeShare(name: string): Promise<boolean> {
    const { settings, drives } = this.options;
    const share = settings.share(name);
    if (!share) return false;
    if (drives.mountPointOf(name) !== null) {
      await drives.unmount(name).catch((err: unknown) => {
        throw new ControlError("Unavailable", `unmount ${name} first: ${(err as Error).message}`);
      });
    }
    settings.removeShare(name);
    this.driveErrors.delete(name);
    if (share.s3) await this.forgetSecret(share.s3.secretKey);
    await this.serveAgain();
    return true;
  }

  /** What is in a folder already, before it is served as a share. */
  async previewFolder(path: string): Promise<FolderPreview> {
    if (!isAbsolute(path)) throw new ControlError("Invalid", "give the folder's full path (it starts with / or a drive letter)", "folder.path");
    let names: string[];
    try {
      names = (await readdir(path)).sort((a, b) => a.localeCompare(b));
    } catch (err) {
      throw new ControlError("Invalid", folderProblem(path, err as NodeJS.ErrnoException), "folder.path");
    }
    const entries = await Promise.all(
      names.slice(0, PREVIEW_ENTRIES).map(async (name) => {
        const stats = await lstat(join(path, name)).catch(() => null);
        return { name, directory: stats?.isDirectory() ?? false, size: stats?.isFile() ? stats.size : 0 };
      }),
    );
    return { path, entries, total: names.length };
  }

  mount(name: string): Promise<DriveStatus> {
    return this.driveAction(name, () => this.options.drives.mount(name));
  }

  unmount(name: string): Promise<DriveStatus> {
    return this.driveAction(name, () => this.options.drives.unmount(name));
  }

  /**
   * Looks at the drives again and mounts those the OS dropped while the person wanted them
   * (gvfs gives up a mount whose server went away, as in a restart of the file server). Run
   * after each restart and every few seconds; resolves with the drives mounted again.
   */
  async keepDrives(): Promise<string[]> {
    const { drives, supervisor } = this.options;
    if (supervisor.state().kind !== "running") return [];
    await drives.refresh();
    const remounted: string[] = [];
    for (const name of drives.dropped()) {
      if (!this.options.settings.share(name)) continue;
      if (!(await this.mount(name)).error) remounted.push(name);
    }
    return remounted;
  }

  /** Mounts the shares marked auto-mount (the app's start); resolves with what failed, one line per share. */
  async autoMount(): Promise<string[]> {
    const failures: string[] = [];
    for (const share of this.options.settings.shares()) {
      if (!share.autoMount) continue;
      const drive = await this.mount(share.name);
      if (drive.error) failures.push(`${share.name}: ${drive.error}`);
    }
    return failures;
  }

  async preferences(): Promise<AppPreferences> {
    return this.options.settings.preferences();
  }

  async setPreferences(changes: Partial<AppPreferences>): Promise<AppPreferences> {
    const { settings, setLaunchAtLogin } = this.options;
    const before = settings.preferences();
    const after = settingsCall(() => settings.setPreferences(changes));
    if (after.launchAtLogin !== before.launchAtLogin) setLaunchAtLogin?.(after.launchAtLogin);
    if (SERVER_PREFERENCES.some((key) => after[key] !== before[key])) await this.serveAgain();
    return after;
  }

  async openLogs(): Promise<{ path: string; opened: boolean }> {
    const { logDir, openPath } = this.options;
    return { path: logDir, opened: openPath ? await openPath(logDir).catch(() => false) : false };
  }

  private async managed(share: AppShare, serveErrors: ReadonlyMap<string, string>): Promise<ManagedShare> {
    const exportPath = servedShares(this.options.settings.shares()).find((one) => one.share.name === share.name)?.exportPath ?? "";
    const secretStored = share.s3 ? await this.options.keychain.has(share.s3.secretKey).catch(() => false) : true;
    return { definition: share, exportPath, secretStored, serveError: serveErrors.get(exportPath) ?? null, drive: await this.drive(share.name) };
  }

  /** Mounts or unmounts; a refusal of the OS is kept as the drive's error, not thrown. */
  private async driveAction(name: string, action: () => Promise<unknown>): Promise<DriveStatus> {
    this.need(name);
    try {
      await action();
      this.driveErrors.delete(name);
    } catch (err) {
      this.driveErrors.set(name, (err as Error).message);
    }
    return this.drive(name);
  }

  private async drive(name: string): Promise<DriveStatus> {
    const { drives } = this.options;
    const mountPoint = drives.mountPointOf(name);
    return {
      mounted: mountPoint !== null,
      mountPoint,
      error: this.driveErrors.get(name) ?? null,
      mountCommand: await drives.mountCommand(name).catch(() => null),
    };
  }

  /**
   * "Test connection" before an S3 share is saved, with the typed secret or the one in the
   * keychain: wrong keys or a missing bucket are refused with the field to fix, rather than
   * saved as a share the server cannot open. Skipped while the file server is down.
   */
  private async checkBucket(s3: NonNullable<AppShare["s3"]>, typedSecret: string | undefined): Promise<void> {
    const secret = typedSecret ?? (await this.options.keychain.resolver().resolve(s3.secretKey.slice("keychain:".length)).catch(() => null));
    if (!secret) return;
    const request = { endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: secret, bucket: s3.bucket };
    const probe = await this.testS3(request).catch((err: unknown) => {
      if ((err as { code?: unknown }).code === "Unavailable") return null;
      throw err;
    });
    if (probe && !probe.ok) throw new ControlError("Invalid", probe.message, probe.field === "secretAccessKey" ? "secretAccessKey" : `s3.${probe.field}`);
  }

  /** Waits (a bounded time) for a host that is starting, so that a window opened meanwhile is answered rather than refused. */
  private async started(): Promise<void> {
    const { supervisor } = this.options;
    if (supervisor.state().kind !== "starting") return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, START_WAIT_MS);
      const off = supervisor.onState((state) => state.kind !== "starting" && done());
    });
  }

  private need(name: string): AppShare {
    const share = this.options.settings.share(name);
    if (!share) throw new ControlError("NotFound", `no share named ${JSON.stringify(name)}`);
    return share;
  }

  /** Deletes a secret no share names any more. */
  private async forgetSecret(ref: string): Promise<void> {
    if (this.options.settings.shares().some((share) => share.s3?.secretKey === ref)) return;
    await this.options.keychain.delete(ref).catch(() => false);
  }

  /**
   * Makes the secrets the host will ask the keychain for: the app's SMB password, once a share is
   * served over SMB. Called before the host starts.
   */
  async prepareHost(): Promise<void> {
    if (this.options.settings.shares().some((share) => share.protocol !== "nfs")) {
      await keychainCall(() => this.options.keychain.smbPassword().then(() => {}), "protocol");
    }
  }

  /** Restarts the host on the changed settings; a host that cannot start with them says why. */
  private async serveAgain(): Promise<void> {
    await this.prepareHost();
    const state = await this.options.supervisor.restart(RESTART_WAIT_MS);
    if (state.kind === "restarting") {
      throw new ControlError("Unavailable", `saved, but the file server could not start with it: ${state.error}`);
    }
    await this.keepDrives();
  }
}

/** Runs a settings call, turning its refusal into the contract's, with the field. */
function settingsCall<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    if (err instanceof SettingsError) throw new ControlError("Invalid", err.problem, err.field);
    throw err;
  }
}

async function keychainCall(call: () => Promise<void>, field: string): Promise<void> {
  try {
    await call();
  } catch (err) {
    throw new ControlError("Unavailable", (err as Error).message, field);
  }
}

function folderProblem(path: string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "ENOENT":
      return `there is no folder at ${path}`;
    case "ENOTDIR":
      return `${path} is a file, not a folder`;
    case "EACCES":
    case "EPERM":
      return `DittoFS may not read ${path} (permission denied)`;
    default:
      return `cannot read ${path}: ${err.message}`;
  }
}
