import type { RunResult } from "./proc.mjs";

export declare const NFSCLIENT_SOURCE: string;
export declare const ERRNO: Record<string, number> & { EROFS: number; EACCES: number; EPERM: number; ENOENT: number };

/** `stat` / `lstat`. mode holds the permission bits only. */
export interface StatJson {
  ino: number;
  type: "file" | "dir" | "symlink" | "chr" | "blk" | "fifo" | "sock" | "unknown";
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  used: number;
  atime: number;
  mtime: number;
  mtime_nsec: number;
  ctime: number;
  ctime_nsec: number;
}

/** One line of `readdir-stat`: an entry as READDIRPLUS described it. mode holds the permission bits only. */
export interface DirEntryJson {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  mtime_nsec: number;
}

/** `write-pattern`: what was written, and the new file's handle (hex) and inode number. */
export interface PatternJson {
  size: number;
  sha256: string;
  ino: number;
  fh: string;
}

/** `read-sha256`. */
export interface DigestJson {
  size: number;
  sha256: string;
}

/** `check-pattern`: bytes equal to the pattern, zero, or neither (first_other is -1 if none). */
export interface CheckPatternJson {
  size: number;
  matching: number;
  zeros: number;
  other: number;
  first_other: number;
}

/** `fh`. */
export interface HandleJson {
  fh: string;
  ino: number;
}

/** `fh-getattr`, `fh-read`, `fh-write`: status is the nfsstat3 the server answered. */
export interface RawJson {
  status: number;
  type?: number;
  ino?: number;
  size?: number;
  nlink?: number;
  sha256?: string;
  count?: number;
}

/** `bench-meta`. */
export interface BenchMetaJson {
  n: number;
  listed: number;
  create_s: number;
  stat_s: number;
  list_s: number;
  remove_s: number;
  creates_per_s: number;
  stats_per_s: number;
  removes_per_s: number;
  /** Small files created, written (4 KiB) and fsync'ed per second. */
  synced_files_per_s: number;
}

export declare function buildNfsClient(): Promise<string>;

export declare class NfsClientError extends Error {
  readonly errno: number | null;
  readonly stderr: string;
}

export declare class NfsClient {
  constructor(binary: string, url: string, options?: { timeoutMs?: number });
  readonly binary: string;
  readonly url: string;
  run(...args: string[]): Promise<RunResult>;
  bytes(...args: string[]): Promise<Buffer>;
  text(...args: string[]): Promise<string>;
  /** The JSON line the command prints, typed by the caller (see the *Json interfaces). */
  json<T>(...args: string[]): Promise<T>;
  lines(...args: string[]): Promise<string[]>;
  errno(...args: string[]): Promise<number>;
}

export declare function nfsClient(url: string, options?: { timeoutMs?: number }): Promise<NfsClient>;
export declare function patternBytes(offset: number, length: number, seed: number): Buffer;
export declare function sha256(buffer: Buffer): string;
export declare function writeRandomFile(path: string, bytes: number): string;
export declare function fileSha256(path: string): Promise<string>;

export interface NfsLsEntry {
  mode: string;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  name: string;
}

export declare function nfsLs(url: string): Promise<NfsLsEntry[]>;
export declare function nfsCp(source: string, destination: string, options?: { timeoutMs?: number }): Promise<RunResult>;
export declare function nfsCat(url: string): Promise<Buffer>;
