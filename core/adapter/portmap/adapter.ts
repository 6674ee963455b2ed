import { IPPROTO_TCP, PMAP_PROG, PMAP_VERS, type Mapping } from "../../protocol/portmap/mapping.js";
import type { Registry } from "../../registry/registry.js";
import type { Logger } from "../../util/logger.js";
import type { Adapter } from "../adapter.js";
import { RpcServer } from "../rpc/server.js";
import { portmapProgram } from "./program.js";

export interface PortmapAdapterOptions {
  logger: Logger;
  bind: string;
  /** 111 for clients that find the server by itself; 0 picks a free port. */
  port: number;
  /** The server's programs, asked afresh on every GETPORT and DUMP. */
  mappings: () => Array<{ prog: number; vers: number; prot: 6; port: number }>;
}

/** Portmap calls are a few dozen bytes; anything much larger is not a portmap client. */
const MAX_RECORD_BYTES = 8 * 1024;

/**
 * A port mapper (v2, TCP) for clients that only know the server's address: it answers
 * GETPORT and DUMP from the configured mappings plus its own, and refuses registrations.
 */
export class PortmapAdapter implements Adapter {
  readonly protocol = "portmap";
  private readonly server: RpcServer;
  private boundPort = 0;

  constructor(private readonly options: PortmapAdapterOptions) {
    this.server = new RpcServer({
      logger: options.logger,
      programs: [portmapProgram(() => this.mappings())],
      maxRecordBytes: MAX_RECORD_BYTES,
      name: "portmap",
    });
  }

  port(): number {
    return this.boundPort;
  }

  /** The port mapper needs no shares. */
  setRegistry(_registry: Registry): void {}

  async serve(): Promise<void> {
    this.boundPort = await this.server.listen(this.options.bind, this.options.port);
  }

  stop(graceMs: number): Promise<void> {
    return this.server.close(graceMs);
  }

  private mappings(): Mapping[] {
    const self = { prog: PMAP_PROG, vers: PMAP_VERS, prot: IPPROTO_TCP, port: this.boundPort };
    return [self, ...this.options.mappings()];
  }
}
