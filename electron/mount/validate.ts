/**
 * Checks on everything that ends up in a mount command's arguments or stdin. Commands are never
 * run through a shell, but the tools parse their own arguments ("-o…", "/USER:…") and gio reads
 * its answers line by line, so a value that could be taken for an option or a second answer is
 * refused with an error that names it.
 */
import { isAbsolute, normalize } from "node:path";

export class MountInputError extends Error {
  override name = "MountInputError";
}

const shown = (value: unknown) => JSON.stringify(value);

function hasControlChar(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * A name the desktop app mounts by: what SMB clients see (`\\127.0.0.1\name`) and the last part
 * of the macOS mount folder. Kept to characters that need no escaping in a URL, a gvfs folder
 * name or a UNC path.
 */
const SHARE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$/;

export function checkShareName(name: string): string {
  if (typeof name !== "string" || !SHARE_NAME.test(name) || name.toUpperCase() === "IPC$") {
    throw new MountInputError(
      `cannot mount share ${shown(name)}: a share name here is 1 to 80 letters, digits, "_", "." or "-", not starting with "." or "-"`,
    );
  }
  return name;
}

/** An NFS export path: "/export", "/data/photos", each part a share name. */
export function checkExportPath(path: string): string {
  const parts = typeof path === "string" && path.startsWith("/") ? path.slice(1).split("/") : [];
  if (parts.length === 0 || !parts.every((part) => SHARE_NAME.test(part))) {
    throw new MountInputError(
      `cannot mount export ${shown(path)}: expected a path like "/export" whose parts are letters, digits, "_", "." or "-", not starting with "." or "-"`,
    );
  }
  return path;
}

export function checkPort(port: number, what = "port"): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MountInputError(`invalid ${what} ${shown(port)}: expected a whole number from 1 to 65535`);
  }
  return port;
}

/** A Windows drive letter for a network drive, "Z:" or "z"; A to C are left to the system. */
export function checkDriveLetter(drive: string): string {
  const match = typeof drive === "string" ? /^([D-Za-z]):?$/.exec(drive) : null;
  if (!match || /^[a-cA-C]$/.test(match[1]!)) {
    throw new MountInputError(`invalid drive letter ${shown(drive)}: expected one of D: to Z:`);
  }
  return `${match[1]!.toUpperCase()}:`;
}

/** An absolute, normalized local folder path without control characters or ".." parts. */
export function checkMountDir(dir: string): string {
  if (typeof dir !== "string" || !isAbsolute(dir) || hasControlChar(dir) || dir.split("/").includes("..") || normalize(dir) !== dir || dir.endsWith("/")) {
    throw new MountInputError(`invalid mount folder ${shown(dir)}: expected an absolute path below "/" without "..", "//", a trailing "/" or control characters`);
  }
  return dir;
}

/**
 * A user or domain name answered to a prompt or given as an option: one line, not an option
 * itself, without the characters SMB user names may not hold.
 */
export function checkUserName(name: string, what = "user name"): string {
  if (typeof name !== "string" || name.length < 1 || name.length > 104 || hasControlChar(name) || /[\\/@]/.test(name) || /^[-/]/.test(name)) {
    throw new MountInputError(`invalid ${what} ${shown(name)}: expected 1 to 104 characters without \\ / @ or control characters, not starting with "-"`);
  }
  return name;
}

/** A password answered on stdin: a line break would end it early and answer the next prompt. */
export function checkPassword(password: string): string {
  if (typeof password !== "string" || /[\r\n\0]/.test(password)) {
    // Never show the password itself.
    throw new MountInputError("invalid password: it may not contain line breaks or NUL characters");
  }
  return password;
}
