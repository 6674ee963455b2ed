/**
 * The control contract: the one typed API through which the desktop app's settings window (over
 * Electron IPC) and a browser (over HTTP + server-sent events, for a headless `dittofs serve`)
 * watch and manage a running server. Plain data in and out, so that both bindings carry it as
 * JSON; nothing here imports the server.
 */
import type { RemoteCacheStatus } from "../content/remote-status.js";
import type { S3ProbeRequest, S3ProbeResult } from "../content/store/s3/probe.js";

export type { RemoteCacheStatus, RemoteFailure, UploadInFlight } from "../content/remote-status.js";
export type { S3ProbeField, S3ProbeRequest, S3ProbeResult } from "../content/store/s3/probe.js";

/** A listener address of the running server; null when that protocol is off. */
export interface ListenerInfo {
  bind: string;
  port: number;
}

export interface ShareStatus {
  /** The export path, as clients mount it ("/photos"). */
  name: string;
  readOnly: boolean;
  /** The stores the share uses, by their names in the config, and what they are. */
  metadataStore: string;
  contentStore: string;
  contentKind: string;
  /** Bytes used and available where the content lives; null when the store cannot tell right now. */
  space: { used: number; available: number } | null;
  /** Uploads, cache and last error of a share backed by a remote object store; null otherwise. */
  remote: RemoteCacheStatus | null;
}

export interface ServerStatus {
  version: string;
  /**
   * True when this API manages the shares, drives and preferences (the desktop app, `dittofs-app
   * serve`); false when the shares come from a config file (`dittofs serve`), whose owner edits it.
   */
  managed: boolean;
  /** ISO 8601 time the server started. */
  startedAt: string;
  listeners: { nfs: (ListenerInfo & { mountPort: number }) | null; smb: ListenerInfo | null; portmap: ListenerInfo | null };
  shares: ShareStatus[];
  /** Shares that are defined but not served, each with the reason (a bucket gone, a folder moved). */
  unserved: { name: string; error: string }[];
  /** Why the file server is not running right now (it is restarting after a crash); null while it runs. */
  problem: string | null;
}

/** What a subscriber hears: a share's status after it changed (checked a few times a second). */
export type ControlEvent = { type: "share"; share: ShareStatus };

/** Failures the contract reports, as both bindings carry them. */
export type ControlErrorCode = "NotFound" | "Invalid" | "Unauthorized" | "Forbidden" | "Unavailable" | "Internal";

export class ControlError extends Error {
  override readonly name = "ControlError";
  constructor(
    readonly code: ControlErrorCode,
    message: string,
    /** The field of the request the error is about ("s3.bucket"), so that a form shows it there. */
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

/**
 * Whether `err` is a ControlError, also one that crossed a boundary that keeps only plain
 * properties (Electron's contextBridge): by its name and code, not its class.
 */
export function isControlError(err: unknown): err is ControlError {
  return err instanceof Error && err.name === "ControlError" && typeof (err as { code?: unknown }).code === "string";
}

export type ShareKind = "s3" | "folder" | "memory";
export type ShareProtocol = "nfs" | "smb" | "both";

/** Where an S3 share's objects are, and whose keys reach them. */
export interface S3ShareTarget {
  /** "https://s3.eu-west-1.amazonaws.com", an R2, B2, Wasabi or MinIO endpoint. */
  endpoint: string;
  region: string;
  bucket: string;
  /** Keys under this prefix only ("" for the whole bucket). */
  prefix: string;
  /** "bucket": one object per file, named by its path; "opaque": content-addressed blocks. */
  layout: "bucket" | "opaque";
  accessKeyId: string;
  /** The keychain item that holds the secret key ("keychain:dittofs/s3-photos"); never the secret. */
  secretKey: string;
}

/** A share as its owner defines it (what the settings window edits). */
export interface ShareDefinition {
  /** What the person calls it ("Photos"); its export name is derived from it. */
  name: string;
  kind: ShareKind;
  s3?: S3ShareTarget;
  /** A folder whose files are served as they are. */
  folder?: { path: string };
  /** Local cache of an S3 share, in bytes. */
  cacheBytes: number;
  protocol: ShareProtocol;
  /** Mounted when the app starts. */
  autoMount: boolean;
  /** Names (globs) kept on this computer only, never written to the bucket or folder (".DS_Store"). */
  litter: string[];
}

/** A definition as a form sends it: the fields with defaults may be left out. */
export type ShareDefinitionInput = Omit<ShareDefinition, "s3" | "cacheBytes" | "protocol" | "autoMount" | "litter"> & {
  s3?: Omit<S3ShareTarget, "prefix" | "layout"> & Partial<Pick<S3ShareTarget, "prefix" | "layout">>;
  cacheBytes?: number;
  protocol?: ShareProtocol;
  autoMount?: boolean;
  litter?: string[];
};

export interface SaveShareRequest {
  share: ShareDefinitionInput;
  /** The name of the share this changes; absent to add a share. */
  replacing?: string;
  /** The S3 secret key to keep in the keychain item share.s3.secretKey names; absent to keep the one there. */
  secretAccessKey?: string;
}

/** A share's drive on this computer. */
export interface DriveStatus {
  mounted: boolean;
  /** Where it is mounted ("/Users/ana/DittoFS/photos", "Z:", a gvfs path); null when it is not. */
  mountPoint: string | null;
  /** Why the last mount or unmount failed; null after one that worked. */
  error: string | null;
  /** What a person would type to mount it by hand; null when the server does not serve it right now. */
  mountCommand: string | null;
}

export interface ManagedShare {
  definition: ShareDefinition;
  /** The export path it is served under: ShareStatus.name and the events' share name. */
  exportPath: string;
  /** Whether a secret is in the keychain item the definition names (S3 shares; true for others). */
  secretStored: boolean;
  /** Why the file server does not serve it now (ServerStatus.unserved); null when it does. */
  serveError: string | null;
  drive: DriveStatus;
}

export interface AppPreferences {
  launchAtLogin: boolean;
  /** Where drives are mounted (macOS); null: ~/DittoFS. */
  mountFolder: string | null;
  nfsPort: number;
  smbPort: number;
  logLevel: "trace" | "debug" | "info" | "warn" | "error";
}

/** A local folder as the add-share form shows it before serving it: what is there already. */
export interface FolderPreview {
  path: string;
  /** The first entries by name (at most 50), directories marked. */
  entries: { name: string; directory: boolean; size: number }[];
  /** Entries in the folder in all. */
  total: number;
}

export interface ControlApi {
  status(): Promise<ServerStatus>;
  /** Runs again the uploads of a share that its remote store refused for good; resolves with how many. */
  retryUploads(share: string): Promise<number>;
  /** Lists a bucket-layout share's root from the bucket again now; false for a share whose tree is its own. */
  refreshListing(share: string): Promise<boolean>;
  /**
   * "Test connection" for an S3 endpoint and keys (and a bucket): the buckets they see, or the
   * field to fix in words a person understands. The secret is used for this test only.
   */
  testS3(request: S3ProbeRequest): Promise<S3ProbeResult>;
  /** Calls `listener` for each event until the returned function is called. */
  subscribe(listener: (event: ControlEvent) => void): () => void;
}

/**
 * Management of the shares, their drives and the preferences, for a server whose shares are
 * managed through this API (ServerStatus.managed). Refusals of a definition are ControlErrors
 * with code "Invalid" and the field they are about.
 */
export interface ManageApi {
  listShares(): Promise<ManagedShare[]>;
  /** Adds or changes a share and serves it; the secret goes to the keychain, never back out. */
  saveShare(request: SaveShareRequest): Promise<ManagedShare>;
  /** Unmounts and removes a share (its data stays in the bucket or folder); false when there was none. */
  removeShare(name: string): Promise<boolean>;
  previewFolder(path: string): Promise<FolderPreview>;
  mount(name: string): Promise<DriveStatus>;
  unmount(name: string): Promise<DriveStatus>;
  preferences(): Promise<AppPreferences>;
  /** Changes some preferences; a changed port or log level restarts the file server. */
  setPreferences(changes: Partial<AppPreferences>): Promise<AppPreferences>;
  /** Opens the log folder where the app can (the desktop) and says where it is. */
  openLogs(): Promise<{ path: string; opened: boolean }>;
}

/** The whole contract, as the desktop app and `dittofs-app serve` offer it. */
export type AppControlApi = ControlApi & ManageApi;
