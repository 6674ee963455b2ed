/**
 * Per-file e2e fixture: a dittofs server in its own temp dir on its own free port, the peers it
 * needs, and clients bound to its shares. Failed tests print what the server said.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import {
  type DittofsConfigOptions,
  type DittofsServer,
  type NfsUrlOptions,
  ensureBuilt,
  startDittofs,
  writeDittofsConfig,
} from "./dittofs.mjs";
import { type NfsClient, buildNfsClient, nfsClient } from "./nfsclient.mjs";
import { freePort } from "./ports.mjs";
import { NFS_CLIENT_TOOLS, requireTools } from "./tools.mjs";

export type ServerOptions = Omit<DittofsConfigOptions, "nfsPort">;

/** Installs or checks the NFS client tools, builds dittofs if stale, compiles the C client. */
export async function prepareE2e(): Promise<void> {
  await requireTools(NFS_CLIENT_TOOLS);
  await ensureBuilt();
  await buildNfsClient();
}

export class E2eServer {
  private constructor(
    readonly dir: string,
    readonly nfsPort: number,
    private options: ServerOptions,
    public server: DittofsServer,
    private readonly env: Record<string, string>,
  ) {}

  /** A fresh data dir and port; sqlite + fs stores unless `options` says otherwise. */
  static async start(options: ServerOptions = {}, env: Record<string, string> = {}): Promise<E2eServer> {
    await prepareE2e();
    const dir = mkdtempSync(join(tmpdir(), "dittofs-e2e-"));
    const nfsPort = await freePort();
    const merged: ServerOptions = { metadata: "sqlite", content: "fs", ...options };
    const server = await startDittofs(writeDittofsConfig(dir, { nfsPort, ...merged }), { env });
    return new E2eServer(dir, nfsPort, merged, server, env);
  }

  get configPath(): string {
    return this.server.configPath;
  }

  url(options: Omit<NfsUrlOptions, "port"> = {}): string {
    return this.server.url(options);
  }

  client(options: Omit<NfsUrlOptions, "port"> = {}): Promise<NfsClient> {
    return nfsClient(this.url(options));
  }

  /** Starts the server again on the same data and port, optionally with changed options. */
  async restart(changes: Partial<ServerOptions> = {}): Promise<void> {
    if (this.server.alive) await this.server.stop();
    this.options = { ...this.options, ...changes };
    this.server = await startDittofs(writeDittofsConfig(this.dir, { nfsPort: this.nfsPort, ...this.options }), { env: this.env });
  }

  async dispose(): Promise<void> {
    await this.server.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Registers beforeAll/afterAll hooks that run one server for the calling test file, and returns
 * an accessor for it. A failing test prints the server's stdout and stderr.
 */
export function useDittofs(options: ServerOptions = {}): () => E2eServer {
  let instance: E2eServer | undefined;
  beforeAll(async () => {
    instance = await E2eServer.start(options);
  });
  afterEach((context) => {
    if (context.task.result?.state === "fail" && instance) console.error(instance.server.describe());
  });
  afterAll(async () => {
    await instance?.dispose();
  });
  return () => {
    if (!instance) throw new Error("the dittofs server did not start (see beforeAll)");
    return instance;
  };
}
