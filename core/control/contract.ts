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
  /** ISO 8601 time the server started. */
  startedAt: string;
  listeners: { nfs: (ListenerInfo & { mountPort: number }) | null; smb: ListenerInfo | null; portmap: ListenerInfo | null };
  shares: ShareStatus[];
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
  ) {
    super(message);
  }
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
