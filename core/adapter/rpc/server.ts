import { createServer, type Server, type Socket } from "node:net";
import type { RpcProgram } from "../../protocol/rpc/types.js";
import type { Logger } from "../../util/logger.js";
import { BufferPool } from "../../cache/buffer-pool.js";
import { InflightBudget } from "./budget.js";
import { RpcConnection, type ConnectionContext } from "./connection.js";
import { ProgramTable } from "./dispatch.js";
import { DuplicateRequestCache } from "./drc.js";

export interface RpcServerOptions {
  logger: Logger;
  programs: RpcProgram[];
  /** Largest record accepted; a client that announces a larger one is disconnected. */
  maxRecordBytes: number;
  /** Names the server in logs ("nfs", "portmap"). */
  name: string;
  /** Calls one connection may have running before reading from it pauses (default 64). */
  maxCallsPerConnection?: number;
  /** Connections open at once; more are closed as they arrive (default 256). */
  maxConnections?: number;
  /** Milliseconds after which a connection with nothing to do is closed; 0: never (default 5 minutes). */
  idleTimeoutMs?: number;
  /**
   * Bytes of records held across all connections (buffered, assembled, or used by running
   * calls) past which the server stops reading from sockets (default 128 MiB).
   */
  maxInflightBytes?: number;
  /** Entries of the duplicate request cache for non-idempotent procedures; 0 or unset: none. */
  drcEntries?: number;
}

const DEFAULT_MAX_CALLS_PER_CONNECTION = 64;
const DEFAULT_MAX_CONNECTIONS = 256;
const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_MAX_INFLIGHT_BYTES = 128 * 1024 * 1024;
/** Refused connections are logged at most this often. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;
/** Record buffers (maxRecordBytes each) kept for reuse across the server's connections. */
const IDLE_RECORD_BUFFERS = 4;

/**
 * ONC RPC v2 over TCP (RFC 5531): serves every registered program on every port it listens on.
 * Nothing a client sends can take the process down: garbage closes that one connection,
 * failing procedures are answered with GARBAGE_ARGS or SYSTEM_ERR.
 */
export class RpcServer {
  private readonly listeners: Server[] = [];
  private readonly connections = new Set<RpcConnection>();
  private readonly context: ConnectionContext;
  private readonly log: Logger;
  private readonly maxConnections: number;
  private refusedSinceLog = 0;
  private lastRefusalLog = 0;
  private calls = 0;
  private idleWaiters: Array<() => void> = [];
  private closing = false;

  constructor(options: RpcServerOptions) {
    // The caller's logger already names the component; the RPC layer adds which server it is.
    this.log = options.logger.child({ rpcServer: options.name });
    const programs = new ProgramTable(options.programs);
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.context = {
      programs,
      logger: this.log,
      maxRecordBytes: options.maxRecordBytes,
      maxCallsInFlight: options.maxCallsPerConnection ?? DEFAULT_MAX_CALLS_PER_CONNECTION,
      recordBuffers: new BufferPool(options.maxRecordBytes, IDLE_RECORD_BUFFERS),
      budget: new InflightBudget(options.maxInflightBytes ?? DEFAULT_MAX_INFLIGHT_BYTES),
      drc: options.drcEntries ? new DuplicateRequestCache(options.drcEntries) : null,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      callStarted: () => {
        this.calls++;
      },
      callFinished: () => {
        this.calls--;
        if (this.calls === 0) this.wakeIdleWaiters();
      },
      closed: (connection) => this.connections.delete(connection),
    };
  }

  /** Listens on `host`:`port` (0 picks a free port); resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    if (this.closing) return Promise.reject(new Error("RPC server is closed"));
    const server = createServer({ allowHalfOpen: true });
    return new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        server.on("error", (err) => this.log.error({ err }, "RPC listener error"));
        const address = server.address();
        const boundPort = typeof address === "object" && address ? address.port : port;
        server.on("connection", (socket: Socket) => this.accept(socket, boundPort));
        this.listeners.push(server);
        this.log.info({ host, port: boundPort }, "RPC server listening");
        resolve(boundPort);
      });
    });
  }

  /** Connections open right now. */
  connectionCount(): number {
    return this.connections.size;
  }

  /** Bytes of records held right now, as the in-flight budget counts them. */
  inflightBytes(): number {
    return this.context.budget.bytes;
  }

  /** Calls currently running, across all connections. */
  inFlight(): number {
    return this.calls;
  }

  /**
   * Stops accepting and starting calls, waits up to `graceMs` for running calls to finish and
   * their replies to be flushed, then destroys whatever connections remain.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const deadline = Date.now() + graceMs;
    const listenersClosed = this.listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve())));
    for (const connection of this.connections) connection.stop();
    await this.waitIdle(deadline);
    await Promise.all([...this.connections].map((c) => c.shutdown(deadline)));
    for (const connection of this.connections) connection.destroy();
    await Promise.all(listenersClosed);
    this.log.info("RPC server closed");
  }

  private accept(socket: Socket, localPort: number): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.maxConnections) {
      this.refuse(socket);
      return;
    }
    this.connections.add(new RpcConnection(socket, localPort, this.context));
  }

  /** Over the connection cap: the newcomer is closed at once; existing connections go on. */
  private refuse(socket: Socket): void {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.destroy();
    this.refusedSinceLog++;
    const now = Date.now();
    if (now - this.lastRefusalLog < REFUSAL_LOG_INTERVAL_MS) return;
    this.log.warn(
      { remote, refused: this.refusedSinceLog, maxConnections: this.maxConnections },
      "RPC connection refused: too many connections",
    );
    this.lastRefusalLog = now;
    this.refusedSinceLog = 0;
  }

  private waitIdle(deadline: number): Promise<void> {
    if (this.calls === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
