import { createServer, connect, type Server } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Adapter } from "../adapter/adapter.js";
import { NfsAdapter } from "../adapter/nfs/adapter.js";
import { RpcClient } from "../adapter/rpc/client.js";
import { validateConfig } from "../config/validate.js";
import { FsContentStore } from "../content/store/fs/index.js";
import { MNT3_OK, MOUNT_PROGRAM, MOUNT_V3, MOUNTPROC3_MNT } from "../protocol/nfs/mount/constants.js";
import { XdrWriter } from "../protocol/xdr/writer.js";
import { Registry } from "../registry/registry.js";
import { silentLogger } from "../util/logger.js";
import { DittoServer } from "./server.js";

/** A small real adapter: a TCP listener on 127.0.0.1:0 that records its lifecycle calls. */
class ListenerAdapter implements Adapter {
  private server: Server | null = null;
  private listeningOn = 0;

  constructor(
    readonly protocol: string,
    private readonly events: string[],
    private readonly hooks: { failServe?: Error; whileStopping?: () => Promise<void> } = {},
  ) {}

  port(): number {
    return this.listeningOn;
  }

  setRegistry(_registry: Registry): void {
    this.events.push(`${this.protocol}.setRegistry`);
  }

  async serve(): Promise<void> {
    this.events.push(`${this.protocol}.serve`);
    if (this.hooks.failServe) throw this.hooks.failServe;
    const server = createServer((socket) => socket.end());
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.listeningOn = (server.address() as { port: number }).port;
  }

  async stop(graceMs: number): Promise<void> {
    this.events.push(`${this.protocol}.stop(${graceMs})`);
    // In-flight requests finish inside the grace period.
    await this.hooks.whileStopping?.();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.events.push(`${this.protocol}.stopped`);
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "dittofs-server-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function config(contentDir?: string) {
  return validateConfig(
    {
      server: { shutdown_timeout: "250ms" },
      metadata: { stores: { meta: { type: "memory" } } },
      content: { stores: { data: contentDir ? { type: "fs", fs: { path: contentDir } } : { type: "memory" } } },
      shares: [{ name: "/export", metadata_store: "meta", content_store: "data" }],
    },
    "test",
  );
}

async function newServer(contentDir?: string): Promise<DittoServer> {
  const c = config(contentDir);
  const registry = await Registry.fromConfig(c, silentLogger);
  return new DittoServer({ registry, logger: silentLogger, shutdownTimeout: c.server.shutdownTimeout });
}

describe("DittoServer lifecycle", () => {
  test("start gives each adapter the registry before serving; stop uses the configured grace", async () => {
    const events: string[] = [];
    const server = await newServer();
    const a = new ListenerAdapter("a", events);
    const b = new ListenerAdapter("b", events);
    server.addAdapter(a);
    server.addAdapter(b);
    await server.start();
    expect(events).toEqual(["a.setRegistry", "b.setRegistry", "a.serve", "b.serve"]);
    expect(await canConnect(a.port())).toBe(true);
    expect(await canConnect(b.port())).toBe(true);
    const port = a.port();

    events.length = 0;
    await server.stop();
    expect(events.sort()).toEqual(["a.stop(250)", "a.stopped", "b.stop(250)", "b.stopped"]);
    expect(await canConnect(port)).toBe(false);
    expect(() => server.addAdapter(new ListenerAdapter("c", events))).toThrow(
      "cannot add the c adapter: the server was already started",
    );
  });

  test("writes that in-flight requests make while adapters stop are flushed to the store before it closes", async () => {
    const contentDir = path.join(dir, "flush");
    const server = await newServer(contentDir);
    const events: string[] = [];
    const adapter = new ListenerAdapter("nfs", events, {
      // The last WRITE UNSTABLE completes during the grace period, after stop() was called.
      whileStopping: () => server.registry.content.write("/export", "late-write", 0, Buffer.from("still here"), "unstable"),
    });
    server.addAdapter(adapter);
    await server.start();
    await server.stop();

    const reopened = await FsContentStore.open({ root: contentDir });
    try {
      expect((await reopened.read("late-write", 0, 100)).toString()).toBe("still here");
    } finally {
      await reopened.close();
    }
  });

  test("when one adapter fails to start, the started ones are stopped and the error rethrown", async () => {
    const events: string[] = [];
    const server = await newServer();
    const good = new ListenerAdapter("good", events);
    server.addAdapter(good);
    server.addAdapter(new ListenerAdapter("bad", events, { failServe: new Error("port taken") }));
    await expect(server.start()).rejects.toThrow("port taken");
    expect(events).toEqual(["good.setRegistry", "bad.setRegistry", "good.serve", "bad.serve", "good.stop(0)", "good.stopped"]);

    // stop() afterwards still closes the stores, without stopping adapters a second time.
    const meta = server.registry.metadataStore("meta")!;
    await server.stop();
    expect(events.filter((e) => e.startsWith("good.stop("))).toEqual(["good.stop(0)"]);
    await expect(meta.usage()).rejects.toThrow();
    await expect(server.start()).rejects.toThrow("cannot start a server that is stopped");
  });

  test("stop is idempotent: concurrent and repeated calls stop each adapter once", async () => {
    const events: string[] = [];
    const server = await newServer();
    server.addAdapter(new ListenerAdapter("a", events));
    await server.start();
    const first = server.stop();
    const second = server.stop();
    expect(second).toBe(first);
    await first;
    await server.stop();
    expect(events.filter((e) => e.startsWith("a.stop("))).toEqual(["a.stop(250)"]);
  });

  test("a stop requested during start waits for the start, then stops what started", async () => {
    const events: string[] = [];
    const server = await newServer();
    server.addAdapter(new ListenerAdapter("a", events));
    const starting = server.start();
    const stopping = server.stop();
    await starting;
    await stopping;
    expect(events).toEqual(["a.setRegistry", "a.serve", "a.stop(250)", "a.stopped"]);
  });

  test("stopping a server that never started closes its stores", async () => {
    const server = await newServer();
    const meta = server.registry.metadataStore("meta")!;
    await server.stop();
    await expect(meta.usage()).rejects.toThrow();
  });
});

describe("DittoServer with the NFS adapter", () => {
  test("serves MOUNT for the configured share, then stops accepting", async () => {
    const server = await newServer();
    const nfs = new NfsAdapter({ logger: silentLogger, bind: "127.0.0.1", port: 0, mountPort: null, maxRecordBytes: 2 << 20 });
    server.addAdapter(nfs);
    await server.start();
    const port = nfs.port();
    expect(port).toBeGreaterThan(0);

    const client = await RpcClient.connect("127.0.0.1", port);
    try {
      const { reply, results } = await client.call({
        prog: MOUNT_PROGRAM,
        vers: MOUNT_V3,
        proc: MOUNTPROC3_MNT,
        args: new XdrWriter().string("/export").toBuffer(),
      });
      expect(reply.status).toBe("accepted");
      expect(results.u32()).toBe(MNT3_OK);
      const handle = results.opaqueVar(64);
      expect(handle).toEqual(await server.registry.rootHandle(server.registry.share("/export")!));
    } finally {
      await client.close();
    }

    await server.stop();
    expect(await canConnect(port)).toBe(false);
  });
});
