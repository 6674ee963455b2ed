export interface TcpProxyOptions {
  /** Loopback only (default 127.0.0.1). */
  targetHost?: string;
  targetPort: number;
  /** Each chunk is held back this long in each direction (default 0). */
  delayMs?: number;
  /** Plus up to this much more, at random (default 0). */
  jitterMs?: number;
  /** Default 256. */
  maxConnections?: number;
  /** Held per direction before the sender is paused (default 8 MiB). */
  maxBufferedBytes?: number;
  /** The proxy closes itself after this long (default 10 minutes). */
  lifetimeMs?: number;
}

/** A proxy on 127.0.0.1 forwarding to a loopback `targetPort`. */
export declare function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy>;

export declare class TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** e.g. "http://127.0.0.1:41234" */
  readonly endpoint: string;
  /** Holds chunks arriving from now on back `delayMs` (plus up to `jitterMs`), in both directions. */
  setDelay(delayMs: number, jitterMs?: number): void;
  /** Offline: every open connection is reset and new ones are reset until set back. */
  setOffline(offline: boolean): void;
  close(): Promise<void>;
}
