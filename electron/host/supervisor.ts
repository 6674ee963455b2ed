import { ControlError, type ControlApi, type ControlEvent, type S3ProbeRequest, type S3ProbeResult, type ServerStatus } from "../../core/control/contract.js";
import type { FromHost, HostMethod, ToHost } from "./protocol.js";

export type HostState =
  | { kind: "starting" }
  | { kind: "running"; nfsPort: number; smbPort: number | null }
  | { kind: "restarting"; attempt: number; retryInMs: number; error: string }
  | { kind: "stopped"; error: string | null };

/** The core host process as the supervisor sees it: Electron's utilityProcess, or child_process.fork in tests. */
export interface HostChannel {
  postMessage(message: ToHost): void;
  onMessage(listener: (message: FromHost) => void): void;
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}

export interface SupervisorOptions {
  /** The first wait before a restart; it doubles with each crash in a row, up to maxRetryMs. */
  firstRetryMs?: number;
  maxRetryMs?: number;
  /** A host that ran this long before crashing starts the back-off over. */
  stableAfterMs?: number;
  /** A call the host does not answer within this fails (Unavailable). */
  callTimeoutMs?: number;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Runs the core host beside the UI and keeps it running: a host that exits unasked is started
 * again after a back-off (1 s, 2 s, 4 s… up to a minute), and the state says so for the tray.
 * It is also the main process's ControlApi: calls are forwarded to the host and answered from
 * it; events from the host reach every subscriber, across restarts.
 */
export class CoreSupervisor implements ControlApi {
  private current: HostState = { kind: "stopped", error: null };
  private host: HostChannel | null = null;
  private readonly stateListeners = new Set<(state: HostState) => void>();
  private readonly eventListeners = new Set<(event: ControlEvent) => void>();
  private readonly calls = new Map<number, PendingCall>();
  private nextCall = 1;
  private attempt = 0;
  private startedAt = 0;
  private lastError: string | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<{ pendingFiles: number }> | null = null;
  private readonly options: Required<SupervisorOptions>;

  constructor(
    private readonly spawnHost: () => HostChannel,
    options: SupervisorOptions = {},
  ) {
    this.options = { firstRetryMs: 1_000, maxRetryMs: 60_000, stableAfterMs: 60_000, callTimeoutMs: 30_000, ...options };
  }

  start(): void {
    if (this.host || this.stopping) return;
    this.setState({ kind: "starting" });
    this.launch();
  }

  state(): HostState {
    return this.current;
  }

  onState(listener: (state: HostState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /**
   * Stops the host (see stop) and starts a new one (the app's shares changed); resolves once the
   * new one runs, or with the state saying why it did not start.
   */
  async restart(timeoutMs: number): Promise<HostState> {
    await this.stop(timeoutMs);
    this.stopping = null;
    this.attempt = 0;
    const settled = new Promise<HostState>((resolve) => {
      const unsubscribe = this.onState((state) => {
        if (state.kind === "starting") return;
        unsubscribe();
        resolve(state);
      });
    });
    this.start();
    return settled;
  }

  /**
   * Asks the host to finish what it can within `timeoutMs` and stop; resolves with what was
   * still waiting to upload. A host that does not exit in time (plus a grace second) is killed.
   */
  stop(timeoutMs: number): Promise<{ pendingFiles: number }> {
    this.stopping ??= (async () => {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      const host = this.host;
      if (!host) {
        this.setState({ kind: "stopped", error: null });
        return { pendingFiles: 0 };
      }
      const result = await new Promise<{ pendingFiles: number }>((resolve) => {
        let pendingFiles = 0;
        const killer = setTimeout(() => host.kill(), timeoutMs + 1_000);
        host.onMessage((message) => {
          if (message.kind === "stopped") pendingFiles = message.pendingFiles;
        });
        host.onExit(() => {
          clearTimeout(killer);
          resolve({ pendingFiles });
        });
        host.postMessage({ kind: "stop", timeoutMs });
      });
      this.setState({ kind: "stopped", error: null });
      return result;
    })();
    return this.stopping;
  }

  status(): Promise<ServerStatus> {
    return this.call("status", []) as Promise<ServerStatus>;
  }

  retryUploads(share: string): Promise<number> {
    return this.call("retryUploads", [share]) as Promise<number>;
  }

  refreshListing(share: string): Promise<boolean> {
    return this.call("refreshListing", [share]) as Promise<boolean>;
  }

  testS3(request: S3ProbeRequest): Promise<S3ProbeResult> {
    return this.call("testS3", [request]) as Promise<S3ProbeResult>;
  }

  subscribe(listener: (event: ControlEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  private launch(): void {
    const host = this.spawnHost();
    this.host = host;
    this.startedAt = Date.now();
    host.onMessage((message) => this.received(host, message));
    host.onExit((code) => this.exited(host, code));
  }

  private received(host: HostChannel, message: FromHost): void {
    if (host !== this.host) return;
    switch (message.kind) {
      case "ready":
        this.lastError = null;
        if (!this.stopping) this.setState({ kind: "running", nfsPort: message.nfsPort, smbPort: message.smbPort });
        return;
      case "failed":
        this.lastError = message.message;
        return;
      case "event":
        for (const listener of this.eventListeners) listener(message.event);
        return;
      case "answer": {
        const pending = this.calls.get(message.id);
        if (!pending) return;
        this.calls.delete(message.id);
        clearTimeout(pending.timer);
        if (message.ok) pending.resolve(message.value);
        else pending.reject(new ControlError(isControlCode(message.error.code) ? message.error.code : "Internal", message.error.message));
        return;
      }
      case "stopped":
        return;
    }
  }

  private exited(host: HostChannel, code: number | null): void {
    if (host !== this.host) return;
    this.host = null;
    for (const [id, pending] of this.calls) {
      clearTimeout(pending.timer);
      pending.reject(new ControlError("Unavailable", "the file server stopped while answering"));
      this.calls.delete(id);
    }
    if (this.stopping) return;
    const error = this.lastError ?? `the file server exited unexpectedly (${code === null ? "killed" : `exit code ${code}`})`;
    this.lastError = null;
    if (Date.now() - this.startedAt >= this.options.stableAfterMs) this.attempt = 0;
    this.attempt++;
    const retryInMs = Math.min(this.options.firstRetryMs * 2 ** (this.attempt - 1), this.options.maxRetryMs);
    this.setState({ kind: "restarting", attempt: this.attempt, retryInMs, error });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopping) this.launch();
    }, retryInMs);
  }

  private call(method: HostMethod, args: unknown[]): Promise<unknown> {
    const host = this.host;
    if (!host || this.current.kind !== "running") {
      return Promise.reject(new ControlError("Unavailable", describeUnavailable(this.current)));
    }
    const id = this.nextCall++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(new ControlError("Unavailable", `the file server did not answer ${method} in time`));
      }, this.options.callTimeoutMs);
      this.calls.set(id, { resolve, reject, timer });
      host.postMessage({ kind: "call", id, method, args });
    });
  }

  private setState(state: HostState): void {
    this.current = state;
    for (const listener of this.stateListeners) listener(state);
  }
}

function isControlCode(code: string): code is ControlError["code"] {
  return ["NotFound", "Invalid", "Unauthorized", "Forbidden", "Unavailable", "Internal"].includes(code);
}

function describeUnavailable(state: HostState): string {
  switch (state.kind) {
    case "starting":
      return "the file server is starting";
    case "restarting":
      return `the file server is restarting after a crash (${state.error})`;
    case "stopped":
      return state.error ? `the file server stopped: ${state.error}` : "the file server is stopped";
    default:
      return "the file server is not available";
  }
}
