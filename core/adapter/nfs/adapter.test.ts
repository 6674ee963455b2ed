/**
 * The NFS adapter in-process on 127.0.0.1 with the real registry, services and memory stores,
 * driven by libnfs' own command-line clients (nfs-ls, nfs-cp, nfs-cat): a separate MOUNT port,
 * MOUNT on the NFS port, files in and out byte for byte, and a directory listing that takes
 * many READDIRPLUS calls.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ShareConfig } from "../../config/types.js";
import { MemoryContentStore } from "../../content/store/memory/index.js";
import { MemoryMetadataStore } from "../../metadata/store/memory/index.js";
import { Registry } from "../../registry/registry.js";
import { silentLogger } from "../../util/logger.js";
import { NfsAdapter } from "./adapter.js";
import { shareConfig } from "../../testing/share-config.js";

const run = promisify(execFile);
const TOOLS = ["nfs-ls", "nfs-cp", "nfs-cat"];
const INSTALL_HINT = "install libnfs' tools: apt-get install -y libnfs-utils";

async function requireTools(): Promise<void> {
  for (const tool of TOOLS) {
    try {
      await run("sh", ["-c", `command -v ${tool}`]);
    } catch {
      throw new Error(`${tool} not found; ${INSTALL_HINT}`);
    }
  }
}

function share(name: string): ShareConfig {
  return shareConfig(name);
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("NFS adapter with libnfs clients", () => {
  let registry: Registry;
  let adapter: NfsAdapter;
  let local: string;

  const url = (path: string, mountPort = adapter.mountPort()) =>
    `nfs://127.0.0.1${path}?version=3&nfsport=${adapter.port()}&mountport=${mountPort}`;
  const tool = async (name: string, args: string[]) => (await run(name, args, { encoding: "buffer", timeout: 60_000, maxBuffer: 64 << 20 })).stdout;

  beforeAll(async () => {
    await requireTools();
    local = mkdtempSync(join(tmpdir(), "dittofs-nfs-adapter-"));
    registry = await Registry.create({
      logger: silentLogger,
      stores: { metadata: new Map([["meta", new MemoryMetadataStore()]]), content: new Map([["content", new MemoryContentStore()]]) },
      shares: [share("/export"), share("/big")],
      maxDirtyBytes: 32 * 1024 * 1024,
    });
    adapter = new NfsAdapter({ logger: silentLogger, bind: "127.0.0.1", port: 0, mountPort: 0, maxRecordBytes: 2 * 1024 * 1024 + 4096 });
    adapter.setRegistry(registry);
    await adapter.serve();
  });

  afterAll(async () => {
    await adapter?.stop(2000);
    await registry?.close();
    if (local) rmSync(local, { recursive: true, force: true });
  });

  it("listens on its own NFS and MOUNT ports, and answers MOUNT on the NFS port too", async () => {
    expect(adapter.port()).toBeGreaterThan(0);
    expect(adapter.mountPort()).toBeGreaterThan(0);
    expect(adapter.mountPort()).not.toBe(adapter.port());
    expect((await tool("nfs-ls", [url("/export")])).toString()).toBe("");
    expect((await tool("nfs-ls", [url("/export", adapter.port())])).toString()).toBe("");
  });

  it("nfs-cp copies a multi-megabyte file in and out byte for byte", async () => {
    const payload = randomBytes(5 * 1024 * 1024 + 123);
    const source = join(local, "source.bin");
    const back = join(local, "back.bin");
    writeFileSync(source, payload);
    await tool("nfs-cp", [source, url("/export/copied.bin")]);
    await tool("nfs-cp", [url("/export/copied.bin"), back]);
    expect(sha256(readFileSync(back))).toBe(sha256(payload));
    const root = await registry.metadata.root("/export");
    const ctx = { uid: 0, gid: 0, gids: [] };
    const { attr } = await registry.metadata.lookup(ctx, "/export", root.id, "copied.bin");
    expect(attr.size).toBe(payload.length);
  });

  it("nfs-cat prints a file and nfs-ls shows its size", async () => {
    const source = join(local, "hello.txt");
    writeFileSync(source, "hello, NFS\n");
    await tool("nfs-cp", [source, url("/export/hello.txt")]);
    expect((await tool("nfs-cat", [url("/export/hello.txt")])).toString()).toBe("hello, NFS\n");
    const listing = (await tool("nfs-ls", [url("/export")])).toString();
    expect(listing).toMatch(/\s11 hello\.txt$/m);
  });

  it("nfs-ls lists a directory of 600 entries, each exactly once", async () => {
    const ctx = { uid: 0, gid: 0, gids: [] };
    const root = await registry.metadata.root("/big");
    const names = Array.from({ length: 600 }, (_, i) => `file-${String(i).padStart(4, "0")}-${"é".repeat(i % 7)}`);
    for (const name of names) await registry.metadata.create(ctx, "/big", root.id, name, { mode: "guarded", attrs: { mode: 0o644 } });
    const listing = (await tool("nfs-ls", [url("/big")])).toString();
    const listed = listing
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => line.slice(line.lastIndexOf(" ") + 1));
    expect(listed.sort()).toEqual([...names].sort());
  });

  it("a client gets a clear failure for an export that does not exist", async () => {
    await expect(tool("nfs-ls", [url("/missing")])).rejects.toThrow();
  });
});
