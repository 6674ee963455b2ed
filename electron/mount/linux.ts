/**
 * Linux: the share over SMB with gvfs (`gio mount smb://…`), at user level as a GNOME desktop
 * does it. gvfs shows each mount as a folder of its FUSE bridge under $XDG_RUNTIME_DIR/gvfs, and
 * /proc/mounts says whether that bridge is up.
 */
import { join } from "node:path";
import { type Command, LOOPBACK } from "./types.js";
import { checkMountDir, checkPassword, checkPort, checkShareName, checkUserName } from "./validate.js";

export interface GioSmbOptions {
  port: number;
  share: string;
}

export interface GioLogin {
  user: string;
  password: string;
  /** gio asks for it; SMB servers that do not care take anything (default "WORKGROUP"). */
  domain?: string;
}

export function gioSmbUrl({ port, share }: GioSmbOptions): string {
  return `smb://${LOOPBACK}:${checkPort(port, "SMB port")}/${checkShareName(share)}/`;
}

/** `gio mount URL`, answering its prompts on stdin in the order it asks: user, domain, password. */
export function linuxMountCommand(target: GioSmbOptions, login: GioLogin): Command {
  const url = gioSmbUrl(target);
  const user = checkUserName(login.user);
  const domain = checkUserName(login.domain ?? "WORKGROUP", "domain");
  const password = checkPassword(login.password);
  return { command: "gio", args: ["mount", url], stdin: `${user}\n${domain}\n${password}\n` };
}

export function linuxUnmountCommand(target: GioSmbOptions): Command {
  return { command: "gio", args: ["mount", "-u", gioSmbUrl(target)] };
}

/** Where gvfs' FUSE bridge lives: $XDG_RUNTIME_DIR/gvfs. */
export function gvfsFuseDir(runtimeDir: string): string {
  return join(checkMountDir(runtimeDir), "gvfs");
}

/** The folder gvfs shows the share as: its mount spec, keys sorted ("smb-share:port=P,server=…,share=S"). */
export function gvfsMountPoint(runtimeDir: string, target: GioSmbOptions): string {
  const port = checkPort(target.port, "SMB port");
  const share = checkShareName(target.share);
  return join(gvfsFuseDir(runtimeDir), `smb-share:port=${port},server=${LOOPBACK},share=${share}`);
}

export interface ProcMount {
  device: string;
  mountPoint: string;
  fsType: string;
  options: string[];
}

/** /proc/mounts writes space, tab, newline and backslash in paths as octal escapes (\040…). */
function unescapeProcField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses /proc/mounts (or /proc/self/mounts): `DEVICE MOUNTPOINT TYPE OPTIONS DUMP PASS`. */
export function parseProcMounts(text: string): ProcMount[] {
  const entries: ProcMount[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    if (fields.length < 4) continue;
    entries.push({
      device: unescapeProcField(fields[0]!),
      mountPoint: unescapeProcField(fields[1]!),
      fsType: fields[2]!,
      options: fields[3]!.split(","),
    });
  }
  return entries;
}

/** True if gvfs' FUSE bridge is mounted on `fuseDir` (without it, no gvfs folder is reachable). */
export function isGvfsFuseMounted(procMounts: string, fuseDir: string): boolean {
  return parseProcMounts(procMounts).some((entry) => entry.mountPoint === fuseDir && entry.fsType === "fuse.gvfsd-fuse");
}
