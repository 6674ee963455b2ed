/**
 * The portmapper as clients that cannot be given ports use it: dittofs with adapters.portmap on
 * port 111 inside a private network namespace (so 111 is free and nothing else answers there),
 * and libnfs' tools finding MOUNT and NFS through it with URLs that name no port.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { CLI_PATH, DittofsServer, ensureBuilt, whenReady, writeDittofsConfig } from "./helpers/dittofs.mjs";
import { sha256 } from "./helpers/nfsclient.mjs";
import { runOk, signalPid } from "./helpers/proc.mjs";
import { requireTools } from "./helpers/tools.mjs";

/** The namespace is private, so the ports need not be free on the host. */
const NFS_PORT = 23049;
const PORTMAP_PORT = 111;
const PORTLESS = "version=3";
const EXPLICIT = `version=3&nfsport=${NFS_PORT}&mountport=${NFS_PORT}`;

/** unshare and nsenter come with util-linux, ip with iproute2. */
function requireNamespaceTools(): void {
  const dirs = (process.env.PATH ?? "").split(delimiter).concat(["/usr/sbin", "/sbin"]);
  const missing = ["unshare", "nsenter", "ip"].filter((tool) => !dirs.some((dir) => dir && existsSync(join(dir, tool))));
  if (missing.length > 0) {
    throw new Error(`missing ${missing.join(", ")}: install with \`apt-get install -y util-linux iproute2\``);
  }
}

/** PIDs of every process in the network namespace `netns` (as /proc/PID/ns/net names it). */
function processesIn(netns: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/net`) === netns) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

describe("portmapper in a private network namespace", () => {
  const dir = mkdtempSync(join(tmpdir(), "dittofs-e2e-portmap-"));
  let server: DittofsServer | undefined;
  let netns = "";

  /** Runs a libnfs tool inside the server's network namespace (nsenter execs it: one PID, stopped by run's timeout). */
  function inNamespace(tool: string, args: string[]) {
    return runOk("nsenter", [`--net=/proc/${server!.pid}/ns/net`, tool, ...args], { timeoutMs: 60_000, cwd: dir });
  }

  beforeAll(async () => {
    requireNamespaceTools();
    await requireTools(["nfs-ls", "nfs-cp", "nfs-cat"]);
    await ensureBuilt();
    const configPath = writeDittofsConfig(dir, { nfsPort: NFS_PORT });
    const config = parse(readFileSync(configPath, "utf8"));
    config.adapters.portmap = { enabled: true, bind: "127.0.0.1", port: PORTMAP_PORT };
    writeFileSync(configPath, stringify(config));

    // unshare and sh exec into node: the spawned PID is the server itself, stopped below by PID.
    const child = spawn(
      "unshare",
      ["-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', process.execPath, CLI_PATH, "serve", "--config", configPath],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    server = new DittofsServer(child, configPath);
    await whenReady(server);
    netns = readlinkSync(`/proc/${server.pid}/ns/net`);
    expect(netns).not.toBe(readlinkSync("/proc/self/ns/net"));
  });

  afterEach((context) => {
    if (context.task.result?.state === "fail" && server) console.error(server.describe());
  });

  afterAll(async () => {
    if (server?.alive) await server.stop();
    // Whatever a failed test left in the namespace (a client stuck past its timeout) goes too.
    if (netns) for (const pid of processesIn(netns)) signalPid(pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("announces the portmapper on 127.0.0.1:111", () => {
    expect(server!.stdoutLines).toContain(`Portmap listening on 127.0.0.1:${PORTMAP_PORT}`);
    expect(server!.stdoutLines).toContain(`NFS listening on 127.0.0.1:${NFS_PORT}`);
  });

  it("lets nfs-ls find the export with no ports and list a file created through the server", async () => {
    writeFileSync(join(dir, "hello.txt"), "hello through the portmapper\n");
    await inNamespace("nfs-cp", [join(dir, "hello.txt"), `nfs://127.0.0.1/export/hello.txt?${EXPLICIT}`]);

    const { stdout } = await inNamespace("nfs-ls", [`nfs://127.0.0.1/export?${PORTLESS}`]);
    const entries = stdout.toString("utf8").split("\n").filter((line) => line.trim() !== "");
    expect(entries).toHaveLength(1);
    // nfs-ls prints `mode nlink uid gid size name`.
    expect(entries[0]).toMatch(/^-\S+\s+1\s+\d+\s+\d+\s+29 hello\.txt$/);
  });

  it("copies a file in and out with nfs-cp and no ports", async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(join(dir, "in.bin"), data);
    await inNamespace("nfs-cp", [join(dir, "in.bin"), `nfs://127.0.0.1/export/copied.bin?${PORTLESS}`]);
    await inNamespace("nfs-cp", [`nfs://127.0.0.1/export/copied.bin?${PORTLESS}`, join(dir, "out.bin")]);
    expect(sha256(readFileSync(join(dir, "out.bin")))).toBe(sha256(data));
    // The same bytes through the explicit ports: one server behind both ways in.
    const { stdout } = await inNamespace("nfs-cat", [`nfs://127.0.0.1/export/copied.bin?${EXPLICIT}`]);
    expect(sha256(stdout)).toBe(sha256(data));
  });

  it("stops on SIGTERM with exit 0, leaving no process in the namespace", async () => {
    expect(processesIn(netns)).toEqual([server!.pid]);
    expect(await server!.stop()).toEqual({ code: 0, signal: null });
    expect(processesIn(netns)).toEqual([]);
  });
});
