import type { Adapter } from "../adapter/adapter.js";
import type { Registry } from "../registry/registry.js";
import type { Logger } from "../util/logger.js";

export interface DittoServerOptions {
  /** The server owns the registry: stop() flushes its content service and closes its stores. */
  registry: Registry;
  logger: Logger;
  /** Milliseconds in-flight requests get to finish when the server stops. */
  shutdownTimeout: number;
}

type State = "new" | "starting" | "running" | "failed" | "stopping" | "stopped";

/**
 * Runs the protocol adapters over one registry. start(): setRegistry then serve on every
 * adapter; stop(): adapters stop (in-flight requests finish within the grace), then cached
 * writes are flushed to the stores, then the stores close.
 */
export class DittoServer {
  private readonly list: Adapter[] = [];
  /** Adapters whose serve() succeeded: the ones stop() must stop. */
  private serving: Adapter[] = [];
  private state: State = "new";
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private readonly log: Logger;

  constructor(private readonly options: DittoServerOptions) {
    this.log = options.logger.child({ component: "server" });
  }

  get registry(): Registry {
    return this.options.registry;
  }

  adapters(): readonly Adapter[] {
    return this.list;
  }

  addAdapter(adapter: Adapter): void {
    if (this.state !== "new") throw new Error(`cannot add the ${adapter.protocol} adapter: the server was already started`);
    this.list.push(adapter);
  }

  /**
   * Resolves once every adapter accepts connections. If one fails to start, the others are
   * stopped and its error rethrown; stop() then still flushes and closes the stores.
   */
  start(): Promise<void> {
    if (this.state !== "new") return Promise.reject(new Error(`cannot start a server that is ${this.state}`));
    this.state = "starting";
    this.starting = this.startAdapters();
    return this.starting;
  }

  private async startAdapters(): Promise<void> {
    for (const adapter of this.list) adapter.setRegistry(this.registry);
    const results = await Promise.allSettled(this.list.map((adapter) => adapter.serve()));
    this.serving = this.list.filter((_adapter, index) => results[index]!.status === "fulfilled");
    const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failure === undefined) {
      this.state = "running";
      this.log.info({ adapters: this.list.map((a) => `${a.protocol}:${a.port()}`) }, "server started");
      return;
    }
    this.log.error({ err: failure.reason }, "an adapter failed to start; stopping the others");
    const started = this.serving;
    this.serving = [];
    await Promise.allSettled(started.map((adapter) => adapter.stop(0)));
    this.state = "failed";
    throw failure.reason;
  }

  /**
   * Graceful stop, safe to call in any state and more than once (every call gets the same
   * promise). Rejects with the first failure, after every step has been tried.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopEverything();
    return this.stopping;
  }

  private async stopEverything(): Promise<void> {
    // A stop requested while starting (a signal during startup) waits for the start to settle.
    await this.starting?.catch(() => {});
    this.state = "stopping";
    const errors: unknown[] = [];
    const grace = this.options.shutdownTimeout;
    this.log.info({ graceMs: grace }, "stopping: letting in-flight requests finish");
    const results = await Promise.allSettled(this.serving.map((adapter) => adapter.stop(grace)));
    results.forEach((result, index) => {
      if (result.status === "rejected") {
        this.log.error({ err: result.reason, adapter: this.serving[index]!.protocol }, "adapter stop failed");
        errors.push(result.reason);
      }
    });
    this.serving = [];
    // Only now is no request running: unstable and committed writes still in the cache go out.
    try {
      await this.registry.content.flushAll();
    } catch (err) {
      this.log.error({ err }, "flushing cached writes failed");
      errors.push(err);
    }
    try {
      await this.registry.close();
    } catch (err) {
      errors.push(err);
    }
    this.state = "stopped";
    if (errors.length > 0) throw errors[0];
    this.log.info("server stopped");
  }
}
