import type { Registry } from "../../registry/registry.js";
import type { Logger } from "../../util/logger.js";
import type { Adapter } from "../adapter.js";
import { RpcServer } from "../rpc/server.js";
import { NfsContext } from "./context.js";
import { mountProgram, nfsProgram } from "./programs.js";

export interface NfsAdapterOptions {
  logger: Logger;
  /** Address to listen on (127.0.0.1 by default in the config). */
  bind: string;
  /** NFS port; 0 picks a free one. */
  port: number;
  /** A separate MOUNT port (0 picks a free one), or null to serve MOUNT on the NFS port only. */
  mountPort: number | null;
  /** Largest RPC record accepted (a WRITE of wtmax plus headers must fit). */
  maxRecordBytes: number;
  /** Connection limits and the duplicate request cache; the RPC server's defaults when absent. */
  limits?: NfsConnectionLimits;
}

export interface NfsConnectionLimits {
  /** Milliseconds after which an idle connection is closed; 0: never. */
  idleTimeoutMs: number;
  maxConnections: number;
  /** Bytes of requests held across all connections past which reading stops. */
  maxInflightBytes: number;
  /** Entries of the duplicate request cache; 0: none. */
  drcEntries: number;
}

/**
 * The NFSv3 front end: one RPC server carrying NFS v3 (100003) and MOUNT v3 (100005) on the NFS
 * port, and on the MOUNT port too when one is configured. Clients connect with explicit ports;
 * portmapper registration is the server's business, not this adapter's.
 */
export class NfsAdapter implements Adapter {
  readonly protocol = "nfs";
  private readonly ctx: NfsContext;
  private readonly log: Logger;
  private server: RpcServer | null = null;
  private boundPort = 0;
  private boundMountPort = 0;
  private hasRegistry = false;

  constructor(private readonly options: NfsAdapterOptions) {
    this.log = options.logger.child({ component: "nfs" });
    this.ctx = new NfsContext(this.log);
  }

  port(): number {
    return this.boundPort;
  }

  /** The port MOUNT answers on: the separate MOUNT port when configured, else the NFS port. */
  mountPort(): number {
    return this.boundMountPort || this.boundPort;
  }

  setRegistry(registry: Registry): void {
    this.ctx.registry = registry;
    this.hasRegistry = true;
  }

  async serve(): Promise<void> {
    if (!this.hasRegistry) throw new Error("NFS adapter: setRegistry() must come before serve()");
    if (this.server) throw new Error("NFS adapter is already serving");
    const { bind, port, mountPort, maxRecordBytes, limits } = this.options;
    const server = new RpcServer({
      logger: this.log,
      programs: [nfsProgram(this.ctx), mountProgram(this.ctx)],
      maxRecordBytes,
      name: "nfs",
      ...limits,
    });
    this.server = server;
    try {
      this.boundPort = await server.listen(bind, port);
      if (mountPort !== null && mountPort !== this.boundPort) this.boundMountPort = await server.listen(bind, mountPort);
    } catch (err) {
      this.server = null;
      this.boundPort = 0;
      this.boundMountPort = 0;
      await server.close(0);
      throw err;
    }
    this.log.info({ bind, port: this.boundPort, mountPort: this.mountPort() }, "NFS adapter serving");
  }

  async stop(graceMs: number): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await server.close(graceMs);
    this.boundPort = 0;
    this.boundMountPort = 0;
  }
}
