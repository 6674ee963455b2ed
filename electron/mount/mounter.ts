/**
 * One Mounter per OS, built on the command builders and a command runner; `mounterFor` picks it.
 * Nothing here needs Electron: the tray app calls these, and so do the tests.
 */
import { mkdir, readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { isGvfsFuseMounted, gvfsFuseDir, gvfsMountPoint, linuxMountCommand, linuxUnmountCommand } from "./linux.js";
import { isMacNfsMounted, macListMountsCommand, macMountCommand, macSpotlightOffCommand, macUnmountCommand } from "./macos.js";
import { type CommandRunner, runCommand, runOrThrow } from "./runner.js";
import type { MountShare } from "./types.js";
import { MountInputError, checkDriveLetter, checkMountDir, checkShareName } from "./validate.js";
import { isNetUseMounted, tcpPortSupport, windowsListCommand, windowsMountCommand, windowsUnmountCommand } from "./windows.js";

export interface MountResult {
  mountPoint: string;
  /** What went wrong without stopping the mount (Spotlight could not be switched off…). */
  warnings: string[];
}

export interface Mounter {
  mount(share: MountShare): Promise<MountResult>;
  unmount(share: MountShare): Promise<void>;
  isMounted(share: MountShare): Promise<boolean>;
  /** Where the share shows up once mounted: a folder, or a drive letter on Windows. */
  mountPoint(share: MountShare): string;
}

export interface MounterOptions {
  runner?: CommandRunner;
  /** The environment commands run in (Linux: the session's D-Bus and XDG_RUNTIME_DIR). */
  env?: NodeJS.ProcessEnv;
  /** macOS: the user's folder the shares are mounted in, one subfolder each. */
  mountRoot?: string;
  /** Windows: os.release() (tests pass other builds). */
  release?: string;
}

function need<T>(value: T | undefined, what: string, share: MountShare): T {
  if (value === undefined) throw new MountInputError(`share ${JSON.stringify(share.name)} has no ${what}`);
  return value;
}

export class MacMounter implements Mounter {
  private readonly run: CommandRunner;
  private readonly mountRoot: string;
  constructor(private readonly options: MounterOptions & { mountRoot: string }) {
    this.run = options.runner ?? runCommand;
    this.mountRoot = checkMountDir(options.mountRoot);
  }

  mountPoint(share: MountShare): string {
    return join(this.mountRoot, checkShareName(share.name));
  }

  async mount(share: MountShare): Promise<MountResult> {
    const nfs = need(share.nfs, "NFS endpoint", share);
    const dir = this.mountPoint(share);
    const command = macMountCommand({ exportPath: nfs.exportPath, port: nfs.port, mountPort: nfs.mountPort, dir });
    await mkdir(dir, { recursive: true });
    await runOrThrow(this.run, command, `mounting ${share.name} on ${dir}`, { env: this.options.env });
    const warnings: string[] = [];
    const spotlight = await this.run(macSpotlightOffCommand(dir), { env: this.options.env });
    if (spotlight.code !== 0) warnings.push(`Spotlight indexing could not be switched off for ${dir}: ${spotlight.stderr.trim() || `exit ${spotlight.code}`}`);
    return { mountPoint: dir, warnings };
  }

  async unmount(share: MountShare): Promise<void> {
    await runOrThrow(this.run, macUnmountCommand(this.mountPoint(share)), `unmounting ${share.name}`, { env: this.options.env });
  }

  async isMounted(share: MountShare): Promise<boolean> {
    const nfs = need(share.nfs, "NFS endpoint", share);
    const listed = await runOrThrow(this.run, macListMountsCommand(), "listing mounts", { env: this.options.env });
    return isMacNfsMounted(listed.stdout, nfs.exportPath, this.mountPoint(share));
  }
}

export class LinuxMounter implements Mounter {
  private readonly run: CommandRunner;
  private readonly env: NodeJS.ProcessEnv;
  constructor(options: MounterOptions = {}) {
    this.run = options.runner ?? runCommand;
    this.env = options.env ?? process.env;
  }

  /** gvfs' runtime folder: $XDG_RUNTIME_DIR, which systemd sets to /run/user/UID. */
  private runtimeDir(): string {
    return this.env.XDG_RUNTIME_DIR || `/run/user/${process.getuid?.() ?? 0}`;
  }

  mountPoint(share: MountShare): string {
    const smb = need(share.smb, "SMB endpoint", share);
    return gvfsMountPoint(this.runtimeDir(), { port: smb.port, share: share.name });
  }

  async mount(share: MountShare): Promise<MountResult> {
    const smb = need(share.smb, "SMB endpoint", share);
    const command = linuxMountCommand({ port: smb.port, share: share.name }, smb);
    await runOrThrow(this.run, command, `mounting ${share.name}`, { env: this.env });
    return { mountPoint: this.mountPoint(share), warnings: [] };
  }

  async unmount(share: MountShare): Promise<void> {
    const smb = need(share.smb, "SMB endpoint", share);
    await runOrThrow(this.run, linuxUnmountCommand({ port: smb.port, share: share.name }), `unmounting ${share.name}`, { env: this.env });
  }

  /** Live when gvfs' FUSE bridge is mounted and shows the share's folder. */
  async isMounted(share: MountShare): Promise<boolean> {
    const point = this.mountPoint(share);
    const mounts = await readFile("/proc/self/mounts", "utf8");
    return isGvfsFuseMounted(mounts, gvfsFuseDir(this.runtimeDir())) && existsSync(point);
  }
}

export class WindowsMounter implements Mounter {
  private readonly run: CommandRunner;
  constructor(private readonly options: MounterOptions = {}) {
    this.run = options.runner ?? runCommand;
  }

  mountPoint(share: MountShare): string {
    return checkDriveLetter(need(share.driveLetter, "drive letter", share));
  }

  async mount(share: MountShare): Promise<MountResult> {
    const support = tcpPortSupport(this.options.release ?? release());
    if (!support.supported) throw new Error(support.message);
    const smb = need(share.smb, "SMB endpoint", share);
    const drive = need(share.driveLetter, "drive letter", share);
    await runOrThrow(this.run, windowsMountCommand({ drive, share: share.name, port: smb.port }), `mounting ${share.name} as ${drive}`, { env: this.options.env });
    return { mountPoint: this.mountPoint(share), warnings: [] };
  }

  async unmount(share: MountShare): Promise<void> {
    await runOrThrow(this.run, windowsUnmountCommand(need(share.driveLetter, "drive letter", share)), `unmounting ${share.name}`, { env: this.options.env });
  }

  async isMounted(share: MountShare): Promise<boolean> {
    const drive = need(share.driveLetter, "drive letter", share);
    // `net use` exits non-zero when the Workstation service is stopped: then nothing is mounted.
    const listed = await this.run(windowsListCommand(), { env: this.options.env });
    return listed.code === 0 && isNetUseMounted(listed.stdout, drive, share.name);
  }
}

/** The Mounter for `platform` (process.platform); throws for an OS the app does not mount on. */
export function mounterFor(platform: NodeJS.Platform, options: MounterOptions = {}): Mounter {
  switch (platform) {
    case "darwin":
      if (!options.mountRoot) throw new MountInputError("macOS mounts need a mountRoot: a folder the user owns");
      return new MacMounter({ ...options, mountRoot: options.mountRoot });
    case "linux":
      return new LinuxMounter(options);
    case "win32":
      return new WindowsMounter(options);
    default:
      throw new Error(`mounting shares is not supported on ${platform}`);
  }
}
