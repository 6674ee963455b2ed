import { createServer, type Server, type Socket } from "node:net";
import type { SmbAdapterConfig } from "../../config/types.js";
import type { Registry } from "../../registry/registry.js";
import type { Logger } from "../../util/logger.js";
import type { Adapter } from "../adapter.js";
import { SmbConnection } from "./connection.js";
import { SmbContext, type SmbUser } from "./context.js";

export interface SmbAdapterOptions {
  logger: Logger;
  config: SmbAdapterConfig;
  /** The configured users with their passwords' NT hashes (see resolveSmbUsers). */
  users: readonly SmbUser[];
}

/**
 * The SMB2/3 front end (MS-SMB2 over direct TCP): every share of the registry under its SMB name,
 * plus IPC$ for share listings. Connections past max_connections are closed as they arrive.
 */
export class SmbAdapter implements Adapter {
  readonly protocol = "smb";
  private readonly ctx: SmbContext;
  private readonly log: Logger;
  private readonly connections = new Set<SmbConnection>();
  private server: Server | null = null;
  private boundPort = 0;
  private hasRegistry = false;

  constructor(private readonly options: SmbAdapterOptions) {
    this.log = options.logger.child({ component: "smb" });
    this.ctx = new SmbContext(options.config, options.users, this.log);
  }

  port(): number {
    return this.boundPort;
  }

  setRegistry(registry: Registry): void {
    this.ctx.registry = registry;
    this.hasRegistry = true;
  }

  async serve(): Promise<void> {
    if (!this.hasRegistry) throw new Error("SMB adapter: setRegistry() must come before serve()");
    if (this.server) throw new Error("SMB adapter is already serving");
    const { bind, port, maxConnections } = this.options.config;
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket, maxConnections));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, bind, () => {
        server.off("error", reject);
        resolve();
      });
    }).catch((err: unknown) => {
      this.server = null;
      throw err;
    });
    server.on("error", (err) => this.log.error({ err }, "SMB listener error"));
    this.boundPort = (server.address() as { port: number }).port;
    this.ctx.open();
    this.log.info({ bind, port: this.boundPort }, "SMB adapter serving");
  }

  private accept(socket: Socket, maxConnections: number): void {
    if (this.connections.size >= maxConnections) {
      this.log.warn({ remote: socket.remoteAddress, maxConnections }, "SMB connection refused: too many connections");
      socket.destroy();
      return;
    }
    const connection = new SmbConnection(socket, this.ctx, { closed: (c) => this.connections.delete(c) });
    this.connections.add(connection);
  }

  async stop(graceMs: number): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // SMB clients keep connections open while idle: requests in progress get the grace time.
    const deadline = Date.now() + graceMs;
    while (this.connections.size > 0 && Date.now() < deadline && [...this.connections].some((c) => c.busy)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const connection of this.connections) connection.destroy();
    await closed;
    this.ctx.close();
    this.boundPort = 0;
  }
}
