/**
 * macOS: the share over NFSv3 with the system's own mount_nfs, into a folder the user owns (no
 * sudo), `diskutil unmount` to take it down, Spotlight switched off on it, and `mount`'s output
 * to tell whether it is live.
 */
import { type Command, LOOPBACK } from "./types.js";
import { checkExportPath, checkMountDir, checkPort } from "./validate.js";

export interface MacNfsOptions {
  exportPath: string;
  port: number;
  mountPort: number;
  dir: string;
  /** Retries of a timed-out request before a soft mount returns an error (default 5). */
  retrans?: number;
  /** First timeout, in tenths of a second (default 10: one second). */
  timeo?: number;
}

const DEFAULT_RETRANS = 5;
const DEFAULT_TIMEO = 10;

function checkCount(value: number, what: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new RangeError(`invalid ${what} ${value}: expected a whole number from 1 to ${max}`);
  return value;
}

/**
 * `mount_nfs` with the ports the server listens on (no portmapper), TCP, locks kept local (the
 * server has no NLM) and soft so a stopped server gives errors rather than a hung Finder.
 */
export function macMountCommand(options: MacNfsOptions): Command {
  const exportPath = checkExportPath(options.exportPath);
  const port = checkPort(options.port, "NFS port");
  const mountPort = checkPort(options.mountPort, "MOUNT port");
  const dir = checkMountDir(options.dir);
  const retrans = checkCount(options.retrans ?? DEFAULT_RETRANS, "retrans", 100);
  const timeo = checkCount(options.timeo ?? DEFAULT_TIMEO, "timeo", 600);
  const opts = ["vers=3", "tcp", `port=${port}`, `mountport=${mountPort}`, "locallocks", "soft", `retrans=${retrans}`, `timeo=${timeo}`];
  return { command: "/sbin/mount_nfs", args: ["-o", opts.join(","), `${LOOPBACK}:${exportPath}`, dir] };
}

export function macUnmountCommand(dir: string): Command {
  return { command: "/usr/sbin/diskutil", args: ["unmount", checkMountDir(dir)] };
}

/** Keeps Spotlight from indexing (and so reading every file of) the mounted share. */
export function macSpotlightOffCommand(dir: string): Command {
  return { command: "/usr/bin/mdutil", args: ["-i", "off", checkMountDir(dir)] };
}

/** `mount` with no arguments lists what is mounted. */
export function macListMountsCommand(): Command {
  return { command: "/sbin/mount", args: [] };
}

export interface MacMountEntry {
  device: string;
  mountPoint: string;
  fsType: string;
  options: string[];
}

/** Parses macOS `mount` output: `DEVICE on PATH (TYPE, OPTION, …)`, one mount a line. */
export function parseMacMounts(output: string): MacMountEntry[] {
  const entries: MacMountEntry[] = [];
  for (const line of output.split("\n")) {
    // The path may hold spaces and " on "; the device (first " on ") and the trailing "(…)" may not.
    const match = /^(.+?) on (.+) \(([^,()]+)((?:, [^()]*)?)\)$/.exec(line.trimEnd());
    if (!match) continue;
    entries.push({
      device: match[1]!,
      mountPoint: match[2]!,
      fsType: match[3]!,
      options: match[4] ? match[4].slice(2).split(", ") : [],
    });
  }
  return entries;
}

/** True if `exportPath` from the loopback server is mounted over NFS on `dir`. */
export function isMacNfsMounted(output: string, exportPath: string, dir: string): boolean {
  return parseMacMounts(output).some(
    (entry) => entry.fsType === "nfs" && entry.mountPoint === dir && entry.device === `${LOOPBACK}:${exportPath}`,
  );
}
