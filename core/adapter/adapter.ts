import type { Registry } from "../registry/registry.js";

/** A protocol front end (NFS, SMB). Lifecycle: setRegistry → serve → stop. */
export interface Adapter {
  readonly protocol: string;
  /** The port actually listened on (useful when configured as 0); 0 before serve(). */
  port(): number;
  setRegistry(registry: Registry): void;
  /** Starts listening; resolves once the adapter accepts connections. */
  serve(): Promise<void>;
  /**
   * Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes connections.
   */
  stop(graceMs: number): Promise<void>;
}
