import type { ChildProcess } from "node:child_process";
import type { TailBuffer } from "./proc.mjs";

export declare const REPO_ROOT: string;
export declare const CLI_PATH: string;

export declare function ensureBuilt(): Promise<void>;

export interface ShareOptions {
  name: string;
  readOnly?: boolean;
  rootSquash?: boolean;
  allSquash?: boolean;
  anonymousUid?: number;
  anonymousGid?: number;
  root?: { uid: number; gid: number; mode: number };
  durability?: "local" | "remote";
  requirePrivilegedPort?: boolean;
  /** YAML `protocols`: ["nfs"], ["smb"] or both (the default). */
  protocols?: ("nfs" | "smb")[];
  /** The share's smb block, as written in YAML (name, encryption). */
  smb?: Record<string, unknown>;
}

export interface PostgresStoreOptions {
  postgres: { host: string; port: number; database: string; user: string; passwordEnv?: string };
}

export interface S3StoreOptions {
  /** Credentials are passed as env: references to these variables (set them with startDittofs' env). */
  s3: {
    /** The server's default is "bucket". */
    layout?: "bucket" | "opaque";
    endpoint: string;
    bucket: string;
    prefix?: string;
    accessKeyEnv: string;
    secretKeyEnv: string;
    requestTimeout?: string;
    listTtl?: string;
  };
  /** Keys of the store's `cache` block (path defaults to <dir>/cache, min_free to 0). */
  cache?: Record<string, unknown>;
}

/** An fs store in the folder layout, exporting `folder` as it is (its index under the server's dir). */
export interface FolderStoreOptions {
  folder: string;
  /** fs.revalidate_after, e.g. "0s" to compare with the disk on every use. */
  revalidateAfter?: string;
}

export interface DittofsConfigOptions {
  nfsPort: number;
  mountPort?: number;
  maxRecordSize?: number | string;
  logLevel?: string;
  metadata?: "sqlite" | "memory" | PostgresStoreOptions;
  content?: "fs" | "memory" | S3StoreOptions | FolderStoreOptions;
  shares?: ShareOptions[];
  /** More adapters.nfs keys, as written in YAML (idle_timeout, max_connections…). */
  nfs?: Record<string, unknown>;
  /** The top-level cache block, as written in YAML. */
  cache?: Record<string, unknown>;
  /** The adapters.smb block, as written in YAML (enabled, port, users…). */
  smb?: Record<string, unknown>;
  /** Serve the control API on 127.0.0.1, a free port (serve prints its URL and token). */
  control?: boolean;
}

export declare function writeDittofsConfig(dir: string, options: DittofsConfigOptions): string;

export interface NfsUrlOptions {
  port: number;
  mountPort?: number;
  share?: string;
  path?: string;
  uid?: number;
  gid?: number;
}

export declare function nfsUrl(options: NfsUrlOptions): string;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export declare function whenReady(server: DittofsServer, timeoutMs?: number): Promise<void>;
export declare function startDittofs(
  configPath: string,
  /** `user`: run the server as this uid and gid (the test must run as root). */
  options?: { readyTimeoutMs?: number; env?: Record<string, string>; user?: { uid: number; gid: number } },
): Promise<DittofsServer>;

export declare class DittofsServer {
  /** Wraps a spawned `dittofs serve` whose stdout and stderr are pipes. */
  constructor(child: ChildProcess, configPath: string);
  readonly child: ChildProcess;
  readonly pid: number;
  readonly configPath: string;
  /** The port from the `NFS listening on 127.0.0.1:PORT` line. */
  readonly nfsPort: number;
  readonly stdoutLines: string[];
  readonly stderr: TailBuffer;
  readonly exited: Promise<ExitStatus>;
  readonly exitStatus: ExitStatus | undefined;
  /** Called once when the server prints `ready`. */
  onReady: (() => void) | undefined;
  get alive(): boolean;
  url(options?: Omit<NfsUrlOptions, "port">): string;
  describe(): string;
  stop(options?: { timeoutMs?: number }): Promise<ExitStatus>;
  kill9(): Promise<ExitStatus>;
}
