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
  };
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
}

export interface PortmapAdapterConfig {
  enabled: boolean;
  bind: string;
  port: number;
}

export type MetadataStoreConfig =
  | { type: "memory" }
  | { type: "sqlite"; sqlite: { path: string } };

export type ContentStoreConfig =
  | { type: "memory" }
  | { type: "fs"; fs: { path: string; maxOpenFiles: number } };

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
}
