/** What the desktop shows about a store backed by a remote object store, and when it changes. */

export interface UploadInFlight {
  /** Object key being written. */
  key: string;
  /** Bytes of the object. */
  bytes: number;
  /** Bytes sent or copied so far. */
  done: number;
}

export interface RemoteFailure {
  message: string;
  /** ISO 8601 time of the failure. */
  at: string;
}

export interface RemoteCacheStatus {
  /** For example "s3://photos/ at http://127.0.0.1:9000". */
  remote: string;
  /** Files with changes (or deletes) that are not in the remote store yet. */
  pendingFiles: number;
  /** Bytes written locally that are not in the remote store yet. */
  pendingBytes: number;
  uploads: UploadInFlight[];
  /** Bytes held in the local cache (pending and cached for reading) and the configured limit. */
  cacheBytes: number;
  cacheLimit: number;
  /** Writers are waiting for uploads to make room. */
  throttled: boolean;
  /** Why writers were told to try again later (the cache stayed full); null once there is room. */
  full: string | null;
  /**
   * Uploads and deletes stopped by a failure retrying does not fix (rejected credentials, access
   * denied, clock skew): they stay in the journal and resume with retryUploads(), a periodic
   * retry (every 5 minutes) or a restart. null when none.
   */
  stalled: { files: number; reason: string } | null;
  /** The last failure talking to the remote store; null once an operation succeeds again. */
  lastError: RemoteFailure | null;
}

/** Events of a RemoteCache (an EventEmitter): each carries the status after the change. */
export interface RemoteCacheEvents {
  /** Pending work, uploads or the cache size changed (throttled to a few per second). */
  status: [RemoteCacheStatus];
  /** A file reached the remote store. */
  uploaded: [{ key: string; bytes: number }];
  /** Talking to the remote store failed; the work stays queued and is retried. */
  failure: [RemoteFailure];
}
