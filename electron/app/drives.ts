/**
 * The app's drives: mounting and unmounting its shares with the OS's Mounter, what each drive is
 * now, and the command a user could type to mount one by hand.
 */
import type { ServerStatus } from "../../core/control/contract.js";
import { SMB_USER, servedShares, type ServedShare } from "../host/core-config.js";
import type { Mounter } from "../mount/mounter.js";
import type { Command, MountShare } from "../mount/types.js";
import { linuxMountCommand } from "../mount/linux.js";
import { macMountCommand } from "../mount/macos.js";
import { windowsMountCommand } from "../mount/windows.js";
import type { AppShare } from "../settings/app-settings.js";
import type { DriveState } from "./tray-glue.js";
import { mountProtocol } from "./tray-glue.js";

export interface DrivesOptions {
  mounter: Mounter;
  platform: NodeJS.Platform;
  /** The app's shares now. */
  shares: () => readonly AppShare[];
  /** The running server's status (its listener ports). */
  status: () => Promise<ServerStatus>;
  /** The app's own SMB password (from the keychain). */
  smbPassword: () => Promise<string>;
  /** Told after every change of a drive. */
  onChange: (drives: ReadonlyMap<string, DriveState>) => void;
}

export class Drives {
  private readonly drives = new Map<string, DriveState>();

  constructor(private readonly options: DrivesOptions) {}

  states(): ReadonlyMap<string, DriveState> {
    return this.drives;
  }

  async mount(name: string): Promise<string[]> {
    const target = await this.target(name, true);
    // Still mounted from before (the app restarted, or a remount raced the OS): take it as it is.
    if (await this.options.mounter.isMounted(target).catch(() => false)) {
      this.set(name, { mounted: true, mountPoint: this.options.mounter.mountPoint(target), wantMounted: true });
      return [];
    }
    const result = await this.options.mounter.mount(target);
    this.set(name, { mounted: true, mountPoint: result.mountPoint, wantMounted: true });
    return result.warnings;
  }

  async unmount(name: string): Promise<void> {
    const target = await this.target(name, false);
    // Cleared first: the drive going away from here on is the user's doing, not a drop.
    this.set(name, { ...this.drive(name), wantMounted: false });
    await this.options.mounter.unmount(target);
    this.set(name, { mounted: false, mountPoint: null, wantMounted: false });
  }

  /** Unmounts every drive the app mounted; resolves with what failed, one line per drive. */
  async unmountAll(): Promise<string[]> {
    const mounted = [...this.drives].filter(([, drive]) => drive.mounted).map(([name]) => name);
    const results = await Promise.allSettled(mounted.map((name) => this.unmount(name)));
    return results.flatMap((result, i) => (result.status === "rejected" ? [`${mounted[i]}: ${(result.reason as Error).message}`] : []));
  }

  /** Looks again at the drives the app mounted (one may have been dropped by the OS). */
  async refresh(): Promise<void> {
    for (const [name, drive] of [...this.drives]) {
      if (!drive.mounted) continue;
      const target = await this.target(name, false).catch(() => null);
      if (target === null) continue;
      const mounted = await this.options.mounter.isMounted(target).catch(() => drive.mounted);
      if (!mounted) this.set(name, { ...drive, mounted: false, mountPoint: null });
    }
  }

  /** The drives mounted on the user's request that are not mounted now (dropped by the OS). */
  dropped(): string[] {
    return [...this.drives].filter(([, drive]) => drive.wantMounted && !drive.mounted).map(([name]) => name);
  }

  mountPointOf(name: string): string | null {
    const drive = this.drives.get(name);
    return drive?.mounted ? drive.mountPoint : null;
  }

  /** What to type to mount the share by hand (no password: the OS asks for it). */
  async mountCommand(name: string): Promise<string> {
    const target = await this.target(name, false);
    const { platform } = this.options;
    const mountPoint = this.options.mounter.mountPoint(target);
    let command: Command;
    if (platform === "darwin") {
      command = macMountCommand({ ...need(target.nfs, name, "NFS"), dir: mountPoint });
    } else if (platform === "win32") {
      command = windowsMountCommand({ drive: mountPoint, share: target.name, port: need(target.smb, name, "SMB").port });
    } else {
      const smb = need(target.smb, name, "SMB");
      command = linuxMountCommand({ port: smb.port, share: target.name }, smb);
    }
    return [command.command, ...command.args].map(shellWord).join(" ");
  }

  private drive(name: string): DriveState {
    return this.drives.get(name) ?? { mounted: false, mountPoint: null, wantMounted: false };
  }

  private set(name: string, drive: DriveState): void {
    this.drives.set(name, drive);
    this.options.onChange(this.drives);
  }

  /** The share as the Mounter takes it; the password only when it is about to be used. */
  private async target(name: string, withPassword: boolean): Promise<MountShare> {
    const served = servedShares(this.options.shares());
    const index = served.findIndex(({ share }) => share.name === name);
    if (index < 0) throw new Error(`there is no share named ${JSON.stringify(name)}`);
    const { share, exportPath, smbName } = served[index] as ServedShare;
    const protocol = mountProtocol(share, this.options.platform);
    if (protocol === "nfs" && this.options.platform !== "darwin") {
      throw new Error(`${name} is served over NFS only, and this computer mounts over SMB: choose SMB (or both) for it in the settings`);
    }
    if (protocol === "smb" && this.options.platform === "darwin") {
      throw new Error(`${name} is served over SMB only, and macOS mounts over NFS: choose NFS (or both) for it in the settings`);
    }
    const { listeners } = await this.options.status();
    const target: MountShare = { name: smbName, driveLetter: driveLetterFor(index) };
    if (listeners.nfs) target.nfs = { exportPath, port: listeners.nfs.port, mountPort: listeners.nfs.mountPort };
    if (listeners.smb) {
      target.smb = { port: listeners.smb.port, user: SMB_USER, password: withPassword ? await this.options.smbPassword() : "" };
    }
    return target;
  }
}

/** Windows drive letters from Z: down, one per share in the settings' order. */
export function driveLetterFor(index: number): string {
  return `${String.fromCharCode("Z".charCodeAt(0) - (index % 22))}:`;
}

function need<T>(value: T | undefined, share: string, protocol: string): T {
  if (value === undefined) throw new Error(`the server does not serve ${share} over ${protocol} right now`);
  return value;
}

/** A word as a POSIX shell or cmd.exe reads it unchanged. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./\\-]+$/.test(word) ? word : `"${word.replace(/(["\\$`])/g, "\\$1")}"`;
}
