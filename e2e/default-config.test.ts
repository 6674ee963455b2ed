/**
 * `dittofs serve` with no --config: the embedded default (sqlite + fs under DITTOFS_DATA_DIR,
 * share /export), on the port DITTOFS_NFS_PORT names, used by a real client and stopped with
 * SIGTERM.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CLI_PATH, DittofsServer, ensureBuilt, whenReady, nfsUrl } from "./helpers/dittofs.mjs";
import { nfsCp, sha256 } from "./helpers/nfsclient.mjs";
import { freePort } from "./helpers/ports.mjs";
import { requireTools } from "./helpers/tools.mjs";

/** Every regular file below `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("dittofs serve on the embedded default config", () => {
  const base = mkdtempSync(join(tmpdir(), "dittofs-e2e-default-"));
  const dataDir = join(base, "data");
  const home = join(base, "home");
  let server: DittofsServer | undefined;
  let port = 0;

  beforeAll(async () => {
    await requireTools(["nfs-cp"]);
    await ensureBuilt();
    mkdirSync(home);
    port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, DITTOFS_DATA_DIR: dataDir, DITTOFS_NFS_PORT: String(port) };
    // Only the variables under test may steer the default (info logs, data dir from DITTOFS_DATA_DIR).
    delete env.XDG_DATA_HOME;
    delete env.DITTOFS_LOG_LEVEL;
    const child = spawn(process.execPath, [CLI_PATH, "serve"], { cwd: base, env, stdio: ["ignore", "pipe", "pipe"] });
    server = new DittofsServer(child, "(built-in default)");
    await whenReady(server);
  });

  afterEach((context) => {
    if (context.task.result?.state === "fail" && server) console.error(server.describe());
  });

  afterAll(async () => {
    if (server?.alive) await server.stop();
    rmSync(base, { recursive: true, force: true });
  });

  it("listens on DITTOFS_NFS_PORT and prints mount commands for /export on that port", () => {
    const lines = server!.stdoutLines;
    expect(lines).toContain(`NFS listening on 127.0.0.1:${port}`);
    const mounts = lines.filter((line) => line.includes("mount"));
    expect(mounts).toEqual([
      `  mount_nfs -o vers=3,tcp,port=${port},mountport=${port} localhost:/export ~/mnt`,
      `  sudo mount -t nfs -o vers=3,tcp,port=${port},mountport=${port},nolock 127.0.0.1:/export /mnt/dittofs`,
    ]);
  });

  it("stores a file written with nfs-cp and reads it back", async () => {
    const data = randomBytes(2 * 1024 * 1024 + 99);
    const local = join(base, "in.bin");
    writeFileSync(local, data);
    const url = nfsUrl({ port, path: "/copied.bin" });
    await nfsCp(local, url);
    await nfsCp(url, join(base, "out.bin"));
    expect(sha256(readFileSync(join(base, "out.bin")))).toBe(sha256(data));
  });

  it("keeps its sqlite db and content dir under DITTOFS_DATA_DIR, nothing under HOME", () => {
    expect(statSync(join(dataDir, "meta.db")).isFile()).toBe(true);
    expect(readFileSync(join(dataDir, "meta.db")).subarray(0, 16).toString("latin1")).toBe("SQLite format 3\0");
    expect(statSync(join(dataDir, "content")).isDirectory()).toBe(true);
    expect(readdirSync(home)).toEqual([]);
  });

  it("exits 0 on SIGTERM with the copied bytes in the content dir", async () => {
    expect(await server!.stop()).toEqual({ code: 0, signal: null });
    const stored = filesUnder(join(dataDir, "content"));
    expect(stored).toHaveLength(1);
    expect(sha256(readFileSync(stored[0]!))).toBe(sha256(readFileSync(join(base, "in.bin"))));
  });
});
