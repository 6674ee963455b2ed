/**
 * The validated, typed configuration of a DittoFS server. Field names are the camelCase forms of
 * the YAML keys (see /core/config/dittofs.example.yaml); sizes are bytes, durations milliseconds.
 */

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: unknown): value is LogLevel {
  return (LOG_LEVELS as readonly unknown[]).includes(value);
}

export interface DittoConfig {
  logging: { level: LogLevel };
  server: {
    /** Milliseconds in-flight requests get to finish on a graceful stop. */
    shutdownTimeout: number;
  };
  adapters: {
    nfs: NfsAdapterConfig;
    portmap: PortmapAdapterConfig;
    smb: SmbAdapterConfig;
  };
  /** The control API over HTTP (status and events for a browser or a script); off by default. */
  control: ControlConfig;
  cache: {
    /** Bytes of unstable writes held in memory before write-back. */
    maxDirtyBytes: number;
    /** Milliseconds an unstable write stays cached with no COMMIT before it is written back. */
    flushAfter: number;
  };
  metadata: { stores: Record<string, MetadataStoreConfig> };
  content: { stores: Record<string, ContentStoreConfig> };
  shares: ShareConfig[];
}

export interface NfsAdapterConfig {
  enabled: boolean;
  bind: string;
  port: number;
  /** MOUNT is always served on the NFS port; a number adds a dedicated MOUNT port. */
  mountPort: number | null;
  /** Largest RPC record accepted, in bytes. */
  maxRecordSize: number;
  /** Milliseconds after which a connection with no call running and no traffic is closed; 0: never. */
  idleTimeout: number;
  /** Connections open at once; more are closed as they arrive. */
  maxConnections: number;
  /** Bytes of requests held across all connections past which the server stops reading (back-pressure). */
  maxInflightBytes: number;
  /** Replies of non-idempotent calls kept for retransmissions (duplicate request cache); 0: none. */
  drcEntries: number;
}

export const SMB_DIALECTS = ["2.0.2", "2.1", "3.0", "3.0.2", "3.1.1"] as const;
export type SmbDialectName = (typeof SMB_DIALECTS)[number];

export interface SmbAdapterConfig {
  enabled: boolean;
  bind: string;
  port: number;
  minDialect: SmbDialectName;
  maxDialect: SmbDialectName;
  /** "required": every authenticated session signs (Windows 11 24H2 requires it); "enabled": the client decides. */
  signing: "required" | "enabled";
  /** Server-wide default for shares that do not say: encrypt sessions when the client can, always, or never. */
  encryption: SmbEncryption;
  /** Sessions without a password (anonymous, or a user name that is not configured) act as the share's anonymous ids. */
  guest: boolean;
  users: SmbUserConfig[];
  maxConnections: number;
  /** Milliseconds after which a connection with no open session traffic is closed; 0: never. */
  idleTimeout: number;
}

export type SmbEncryption = "off" | "preferred" | "required";

export interface SmbUserConfig {
  name: string;
  /** A secret reference, never the password itself. */
  password: SecretRef;
  uid: number;
  gid: number;
  gids: number[];
}

export interface ControlConfig {
  enabled: boolean;
  bind: string;
  /** 0 picks a free port. */
  port: number;
}

export interface PortmapAdapterConfig {
  enabled: boolean;
  bind: string;
  port: number;
}

export type MetadataStoreConfig =
  | { type: "memory" }
  | { type: "sqlite"; sqlite: { path: string } }
  | { type: "postgres"; postgres: PostgresConfig };

export interface PostgresConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  /** A secret reference (env:NAME, file:PATH or secret:NAME), never the password itself. */
  password: SecretRef | null;
  maxConns: number;
  ssl: boolean;
  /** Milliseconds to wait for a connection. */
  connectTimeout: number;
}

export interface FsConfig {
  /** opaque: one file per content id under `path`, the tree in the metadata store. folder: `path` is exported as it is. */
  layout: "opaque" | "folder";
  path: string;
  maxOpenFiles: number;
  /** Folder layout: the index of nodes and files; null = under the data directory. */
  index: string | null;
  /** Folder layout: a node checked against the disk longer ago than this is checked again when used. */
  revalidateAfter: number;
}

export type ContentStoreConfig =
  | { type: "memory" }
  | { type: "fs"; fs: FsConfig }
  | { type: "s3"; s3: S3Config; cache: RemoteCacheConfig };

/**
 * Where a secret comes from: an environment variable, a file (e.g. a container secret) or the
 * secret resolver the host plugs in (the desktop's OS keychain).
 */
export interface SecretRef {
  from: "env" | "file" | "secret";
  name: string;
}

export interface S3Config {
  /** "bucket": one object is one file, keys are paths. "opaque": content objects keyed by content id. */
  layout: "bucket" | "opaque";
  /** Bucket layout: milliseconds after which a directory is listed again when used. */
  listTtl: number;
  bucket: string;
  /** Key prefix ("" or ending in "/"). */
  prefix: string;
  /** Custom endpoint (MinIO, R2, B2…); null for AWS. */
  endpoint: string | null;
  region: string;
  forcePathStyle: boolean;
  /** Plain access key id or a reference; null (with secretAccessKey null) uses the SDK's default chain. */
  accessKeyId: string | SecretRef | null;
  secretAccessKey: SecretRef | null;
  requestTimeout: number;
  connectTimeout: number;
  /** Parts or ranges in flight per transfer. */
  concurrency: number;
  partSize: number;
}

export interface RemoteCacheConfig {
  /** Directory of the journal and local copies; null: <data dir>/cache/<store name>. */
  path: string | null;
  maxSize: number;
  minFree: number;
  /** Files uploaded at once. */
  uploads: number;
  /** Milliseconds after which uncommitted changes are uploaded anyway. */
  uploadAfter: number;
  /** Milliseconds COMMIT waits for the remote store on a share with remote durability. */
  remoteTimeout: number;
  /** Milliseconds a WRITE waits for room in a cache full of unsent changes before the client is told to retry later. */
  fullWait: number;
  /** Chunks (4 MiB) read ahead of a sequential reader. */
  readAhead: number;
  /** Milliseconds after which cached bytes read again are checked against the object first. */
  revalidateAfter: number;
}

export interface ShareConfig {
  /** Export path, e.g. "/export". */
  name: string;
  metadataStore: string;
  contentStore: string;
  readOnly: boolean;
  /** Addresses or CIDRs, as written (validated). */
  allowedClients: string[];
  rootSquash: boolean;
  allSquash: boolean;
  anonymousUid: number;
  anonymousGid: number;
  /** Owner and mode of the share root when it is first created. */
  root: { uid: number; gid: number; mode: number };
  /** "local": COMMIT means on local disk (uploaded in the background); "remote": in the remote store. */
  durability: "local" | "remote";
  /**
   * Calls must come from a source port below 1024 (knfsd's `secure`): only root can bind those,
   * so a local unprivileged process cannot use the share while claiming any uid over AUTH_SYS.
   */
  requirePrivilegedPort: boolean;
  /** The protocols it is served over: the others neither list it nor let a client reach it. */
  protocols: ShareProtocolName[];
  /**
   * Names (`*` and `?` wildcards, without case) of files whose content stays on this computer
   * when the share's content store is remote (S3): Finder's and Explorer's own files by default.
   */
  litter: string[];
  /** SMB: the share's name there (default: the last component of `name`) and its encryption (default: the adapter's). */
  smb: { name: string; encryption: SmbEncryption | null };
}

export type ShareProtocolName = "nfs" | "smb";
