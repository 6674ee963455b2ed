import type { DittoConfig } from "../config/types.js";
import type { S3ProbeRequest, S3ProbeResult } from "../content/store/s3/probe.js";
import { isFsError } from "../errors.js";
import type { BuiltServer } from "../server/build.js";
import type { ConfiguredShare } from "../registry/share.js";
import { testS3Connection } from "./s3-test.js";
import { ControlError, type ControlApi, type ControlEvent, type ServerStatus, type ShareStatus } from "./contract.js";

/** How often share statuses are compared while someone listens (status updates reach a UI at this rate). */
const WATCH_INTERVAL_MS = 250;

/**
 * The control contract over a running server (what `dittofs serve` and the desktop's core host
 * expose). Events come from comparing each share's status a few times a second while anyone
 * listens: upload progress, cache use and errors change continuously, and polling these
 * in-memory figures is cheaper than wiring every store's emitter through.
 */
export class ServerControl implements ControlApi {
  private readonly listeners = new Set<(event: ControlEvent) => void>();
  private readonly lastSent = new Map<string, string>();
  private watch: NodeJS.Timeout | null = null;
  private watching: Promise<void> | null = null;

  constructor(
    private readonly built: BuiltServer,
    private readonly config: DittoConfig,
    private readonly about: { version: string; startedAt: Date },
  ) {}

  async status(): Promise<ServerStatus> {
    const { nfs, smb, portmap, server } = this.built;
    const { adapters } = this.config;
    return {
      version: this.about.version,
      managed: false,
      startedAt: this.about.startedAt.toISOString(),
      listeners: {
        nfs: nfs ? { bind: adapters.nfs.bind, port: nfs.port(), mountPort: nfs.mountPort() } : null,
        smb: smb ? { bind: adapters.smb.bind, port: smb.port() } : null,
        portmap: portmap ? { bind: adapters.portmap.bind, port: portmap.port() } : null,
      },
      shares: await Promise.all(server.registry.shares().map((share) => this.shareStatus(share))),
      unserved: [],
      problem: null,
    };
  }

  async retryUploads(share: string): Promise<number> {
    const registry = this.built.server.registry;
    return registry.retryUploads(this.share(share));
  }

  async refreshListing(share: string): Promise<boolean> {
    return this.built.server.registry.refreshListing(this.share(share));
  }

  testS3(request: S3ProbeRequest): Promise<S3ProbeResult> {
    return testS3Connection(request);
  }

  subscribe(listener: (event: ControlEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.watch) this.watch = setInterval(() => void this.compare(), WATCH_INTERVAL_MS).unref();
    // A new listener hears every share's current status first.
    void this.currentStatuses().then(
      (shares) => {
        for (const share of shares) if (this.listeners.has(listener)) listener({ type: "share", share });
      },
      () => {},
    );
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.watch) {
        clearInterval(this.watch);
        this.watch = null;
        this.lastSent.clear();
      }
    };
  }

  /** Stops watching (the server is stopping). */
  close(): void {
    this.listeners.clear();
    if (this.watch) clearInterval(this.watch);
    this.watch = null;
  }

  private share(name: string): ConfiguredShare {
    const share = this.built.server.registry.share(name);
    if (!share) throw new ControlError("NotFound", `no share named ${JSON.stringify(name)}`);
    return share;
  }

  private async shareStatus(share: ConfiguredShare): Promise<ShareStatus> {
    const registry = this.built.server.registry;
    const { metadataStore, contentStore } = share.config;
    return {
      name: share.name,
      readOnly: share.readOnly,
      metadataStore,
      contentStore,
      contentKind: registry.contentStore(contentStore)?.kind ?? "unknown",
      space: await registry.content.space(share.name).catch((err: unknown) => {
        if (isFsError(err)) return null;
        throw err;
      }),
      remote: registry.remoteStatus(share),
    };
  }

  private currentStatuses(): Promise<ShareStatus[]> {
    return Promise.all(this.built.server.registry.shares().map((share) => this.shareStatus(share)));
  }

  /** Sends the statuses that changed since they were last sent; one comparison at a time. */
  private async compare(): Promise<void> {
    if (this.watching) return;
    this.watching = (async () => {
      for (const share of await this.currentStatuses()) {
        const text = JSON.stringify(share);
        if (this.lastSent.get(share.name) === text) continue;
        this.lastSent.set(share.name, text);
        for (const listener of this.listeners) listener({ type: "share", share });
      }
    })()
      .catch(() => {})
      .finally(() => (this.watching = null));
  }
}
