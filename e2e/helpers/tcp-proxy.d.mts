export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** Holds every chunk back this long, in both directions (0: none). */
  setDelay(ms: number): void;
  /** true: resets every open connection and every new one; false: forwards again. */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

/** A proxy on 127.0.0.1 forwarding to 127.0.0.1:`targetPort`. */
export declare function start(targetPort: number): Promise<TcpProxy>;
