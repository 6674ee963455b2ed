/**
 * The core as an embedder (the desktop app) uses it: only through core/index.ts. A config
 * object is validated, a server built and started in this process, a real NFS client (libnfs)
 * writes and lists through it, and the registry answers for its shares.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer, ConfigError, isFsError, silentLogger, validateConfig, type BuiltServer } from "../core/index.js";
import { nfsUrl } from "./helpers/dittofs.mjs";
import { nfsCp, nfsLs } from "./helpers/nfsclient.mjs";
import { requireTools } from "./helpers/tools.mjs";

describe("core/index.ts, the public entry", () => {
  const dir = mkdtempSync(join(tmpdir(), "dittofs-e2e-api-"));
  let built: BuiltServer;

  beforeAll(async () => {
    await requireTools(["nfs-ls", "nfs-cp"]);
    const config = validateConfig(
      {
        adapters: { nfs: { port: 0 } },
        metadata: { stores: { meta: { type: "sqlite", sqlite: { path: join(dir, "meta.db") } } } },
        content: { stores: { data: { type: "fs", fs: { path: join(dir, "content") } } } },
        shares: [{ name: "/export", metadata_store: "meta", content_store: "data", root_squash: false }],
      },
      "embedder",
    );
    built = await buildServer(config, silentLogger);
    await built.server.start();
  });

  afterAll(async () => {
    await built?.server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves a server built from a config object to a real NFS client", async () => {
    const port = built.nfs!.port();
    const local = join(dir, "hello.txt");
    writeFileSync(local, "hello from an embedder\n");
    await nfsCp(local, nfsUrl({ port, path: "/hello.txt" }));
    const names = (await nfsLs(nfsUrl({ port }))).map((entry) => entry.name);
    expect(names).toContain("hello.txt");
    await nfsCp(nfsUrl({ port, path: "/hello.txt" }), join(dir, "back.txt"));
    expect(readFileSync(join(dir, "back.txt"), "utf8")).toBe("hello from an embedder\n");
  });

  it("answers registry operations: shares, refreshing a listing, remote status", async () => {
    const { registry } = built.server;
    const share = registry.share("/export")!;
    expect(registry.shares().map((s) => s.name)).toEqual(["/export"]);
    // An fs share keeps its own tree: there is no bucket listing to refresh and no remote side.
    expect(await registry.refreshListing(share)).toBe(false);
    expect(registry.remoteStatus(share)).toBeNull();
    expect(() => registry.resolveHandle(Buffer.alloc(3))).toThrow(expect.toSatisfy((e: unknown) => isFsError(e, "BadHandle")));
  });

  it("refuses a bad config object with the key path of each error", () => {
    expect(() => validateConfig({ adapters: { nfs: { port: "x" } } }, "embedder")).toThrow(ConfigError);
    expect(() => validateConfig({ adapters: { nfs: { port: "x" } } }, "embedder")).toThrow(/adapters\.nfs\.port/);
  });
});
