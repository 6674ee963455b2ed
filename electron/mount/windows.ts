/**
 * Windows: the share as a network drive with `net use`, on DittoFS' own SMB port. Windows 11
 * 24H2 (build 26100) is the first whose SMB client reaches a server on a port other than 445
 * (/TCPPORT); older Windows gets a message that says so.
 *
 * Credentials: `net use` takes a password only as an argument, where every process of the
 * user (and admins) can read it while it runs. So the password is stored once in the Windows
 * Credential Manager with `cmdkey` and `net use` runs without one: it finds the stored
 * credential for 127.0.0.1. cmdkey has the same flaw (its /pass: is an argument) but it runs
 * once, for milliseconds, when the user sets the password, rather than at every mount.
 */
import { type Command, LOOPBACK } from "./types.js";
import { checkDriveLetter, checkPassword, checkPort, checkShareName, checkUserName } from "./validate.js";

/** Windows 11 24H2: the first build whose SMB client takes /TCPPORT. */
export const TCPPORT_MIN_BUILD = 26100;

export type TcpPortSupport = { supported: true } | { supported: false; message: string };

/** Decides from os.release() ("10.0.26100") whether `net use /TCPPORT` is available. */
export function tcpPortSupport(release: string): TcpPortSupport {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(release);
  if (!match) {
    return { supported: false, message: `Cannot tell which Windows this is (version "${release}"). Mounting DittoFS drives needs Windows 11 24H2 or later.` };
  }
  const major = Number(match[1]);
  const build = Number(match[3]);
  if (major > 10 || (major === 10 && build >= TCPPORT_MIN_BUILD)) return { supported: true };
  return {
    supported: false,
    message:
      `This Windows (build ${build}) can only reach file servers on port 445, which Windows keeps for itself. ` +
      `Mounting DittoFS drives needs Windows 11 24H2 (build ${TCPPORT_MIN_BUILD}) or later: update Windows, ` +
      `or open the share from another app that speaks SMB or NFS on a custom port.`,
  };
}

export interface NetUseOptions {
  drive: string;
  share: string;
  port: number;
}

export function uncPath(share: string): string {
  return `\\\\${LOOPBACK}\\${checkShareName(share)}`;
}

/** `net use Z: \\127.0.0.1\share /TCPPORT:N /PERSISTENT:NO`: the credential comes from cmdkey. */
export function windowsMountCommand({ drive, share, port }: NetUseOptions): Command {
  const letter = checkDriveLetter(drive);
  // The app remounts at start itself; a drive Windows remembers would come back without a server.
  return { command: "net", args: ["use", letter, uncPath(share), `/TCPPORT:${checkPort(port, "SMB port")}`, "/PERSISTENT:NO"] };
}

export function windowsUnmountCommand(drive: string): Command {
  return { command: "net", args: ["use", checkDriveLetter(drive), "/DELETE", "/Y"] };
}

/** Stores the login for 127.0.0.1 in the Credential Manager (see the trade-off above). */
export function windowsStoreCredentialCommand(user: string, password: string): Command {
  return { command: "cmdkey", args: [`/add:${LOOPBACK}`, `/user:${checkUserName(user)}`, `/pass:${checkPassword(password)}`] };
}

export function windowsForgetCredentialCommand(): Command {
  return { command: "cmdkey", args: [`/delete:${LOOPBACK}`] };
}

/** `net use` with no arguments lists the network drives. */
export function windowsListCommand(): Command {
  return { command: "net", args: ["use"] };
}

export interface NetUseEntry {
  /** "OK", "Disconnected", "Unavailable", "Reconnecting"…, or "" when Windows leaves it blank. */
  status: string;
  /** "Z:", or "" for a connection without a drive letter. */
  local: string;
  remote: string;
}

/**
 * Parses `net use` output: a table under a dashed line, one connection a row
 * (`OK           Z:        \\127.0.0.1\export        Microsoft Windows Network`); a long remote
 * name pushes the network name to the next line, which has no `\\`.
 */
export function parseNetUse(output: string): NetUseEntry[] {
  const lines = output.split(/\r?\n/);
  const start = lines.findIndex((line) => /^-{10,}\s*$/.test(line));
  if (start < 0) return [];
  const entries: NetUseEntry[] = [];
  for (const line of lines.slice(start + 1)) {
    const match = /^(\S*)\s+(?:([A-Za-z]:)\s+)?(\\\\\S+)/.exec(line);
    if (match) entries.push({ status: match[1]!, local: (match[2] ?? "").toUpperCase(), remote: match[3]! });
  }
  return entries;
}

/** True if `drive` is connected (status OK) to `share` on the loopback server. */
export function isNetUseMounted(output: string, drive: string, share: string): boolean {
  const letter = checkDriveLetter(drive);
  const remote = uncPath(share).toUpperCase();
  return parseNetUse(output).some((entry) => entry.local === letter && entry.remote.toUpperCase() === remote && entry.status.toUpperCase() === "OK");
}
