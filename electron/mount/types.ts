/** What the mount layer passes around: commands to run, and the shares it mounts. */

/** One program to run: never a shell string. `stdin` is written whole, then closed. */
export interface Command {
  command: string;
  args: string[];
  /** Answers the program reads (gio's prompts); secrets go here, never in `args`. */
  stdin?: string;
}

/** A DittoFS share as the OS clients reach it over loopback. */
export interface MountShare {
  /** The name SMB clients see (`\\127.0.0.1\name`), and the macOS mount folder's name. */
  name: string;
  /** macOS mounts over NFSv3: the export path and the server's NFS and MOUNT ports. */
  nfs?: { exportPath: string; port: number; mountPort: number };
  /** Linux (gvfs) and Windows mount over SMB. */
  smb?: { port: number; user: string; password: string; domain?: string };
  /** Windows: the drive letter the share appears as ("Z:"). */
  driveLetter?: string;
}

export const LOOPBACK = "127.0.0.1";
