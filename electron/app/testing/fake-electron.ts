/**
 * A small typed fake of the parts of Electron the glue uses: an ipcMain and an ipcRenderer wired
 * to each other (invoke reaches the handler with the page's URL as the sender frame), a
 * contextBridge that records what it exposes, a WebContents and a Session that record handlers.
 */
import type { ContextBridgeLike, IpcMainInvokeEventLike, IpcMainLike, IpcRendererLike, SessionLike, WebContentsLike } from "../electron-types.js";

type Handler = (event: IpcMainInvokeEventLike, ...args: unknown[]) => Promise<unknown>;
type RendererListener = (event: unknown, ...args: unknown[]) => void;

/** Electron copies values across processes: what crosses is structured-cloned, as there. */
const cross = <T>(value: T): T => structuredClone(value);

export class FakeIpc {
  readonly handlers = new Map<string, Handler>();
  private readonly listeners = new Map<string, Set<RendererListener>>();

  readonly main: IpcMainLike = {
    handle: (channel, listener) => {
      if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      this.handlers.set(channel, listener);
    },
    removeHandler: (channel) => void this.handlers.delete(channel),
  };

  /** The renderer of a page at `pageUrl`. */
  renderer(pageUrl: string): IpcRendererLike {
    return {
      invoke: async (channel, ...args) => {
        const handler = this.handlers.get(channel);
        if (!handler) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
        return cross(await handler({ senderFrame: { url: pageUrl } }, ...cross(args)));
      },
      on: (channel, listener) => {
        const set = this.listeners.get(channel) ?? new Set();
        set.add(listener);
        this.listeners.set(channel, set);
      },
      removeListener: (channel, listener) => void this.listeners.get(channel)?.delete(listener),
    };
  }

  /** webContents.send: main → the page. */
  send(channel: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(channel) ?? []) listener({ sender: "ipcRenderer" }, ...cross(args));
  }

  listenerCount(channel: string): number {
    return this.listeners.get(channel)?.size ?? 0;
  }
}

export class FakeContextBridge implements ContextBridgeLike {
  readonly exposed = new Map<string, Record<string, unknown>>();
  exposeInMainWorld(apiKey: string, api: Record<string, unknown>): void {
    if (this.exposed.has(apiKey)) throw new Error(`Cannot bind an API on top of an existing property on the window object`);
    this.exposed.set(apiKey, api);
  }
}

export class FakeWebContents implements WebContentsLike {
  navigateListeners: Array<(event: { preventDefault(): void }, url: string) => void> = [];
  windowOpenHandler: ((details: { url: string }) => { action: "deny" }) | null = null;
  readonly sent: Array<[string, unknown[]]> = [];

  on(_event: "will-navigate", listener: (event: { preventDefault(): void }, url: string) => void): this {
    this.navigateListeners.push(listener);
    return this;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: "deny" }): void {
    this.windowOpenHandler = handler;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, args]);
  }
  isDestroyed(): boolean {
    return false;
  }

  /** Whether a navigation to `url` goes ahead. */
  navigate(url: string): boolean {
    let prevented = false;
    for (const listener of this.navigateListeners) listener({ preventDefault: () => (prevented = true) }, url);
    return !prevented;
  }
}

export class FakeSession implements SessionLike {
  requestHandler: Parameters<SessionLike["setPermissionRequestHandler"]>[0] = null;
  checkHandler: Parameters<SessionLike["setPermissionCheckHandler"]>[0] = null;
  setPermissionRequestHandler(handler: Parameters<SessionLike["setPermissionRequestHandler"]>[0]): void {
    this.requestHandler = handler;
  }
  setPermissionCheckHandler(handler: Parameters<SessionLike["setPermissionCheckHandler"]>[0]): void {
    this.checkHandler = handler;
  }
}
