import { EventEmitter } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { RpcClient } from "../adapter/rpc/client.js";
import { MNT3_OK, MOUNT_PROGRAM, MOUNT_V3, MOUNTPROC3_MNT } from "../protocol/nfs/mount/constants.js";
import { NFS_PROGRAM, NFS_V3 } from "../protocol/nfs/v3/constants.js";
import { IPPROTO_TCP, PMAP_PROG, PMAP_VERS, PMAPPROC_GETPORT } from "../protocol/portmap/mapping.js";
import { XdrWriter } from "../protocol/xdr/writer.js";
import { runCli, type CliIo } from "./cli.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const example = path.join(here, "..", "config", "dittofs.example.yaml");

interface Harness {
  io: CliIo;
  out: string[];
  err: string[];
  logs: string[];
  /** The log format of each logger the CLI opened. */
  logFormats: string[];
  signals: EventEmitter;
  forcedExit: number[];
}

/** Real CLI logic, in-process: output lines collected, signals sent through an emitter. */
function harness(env: NodeJS.ProcessEnv = {}, stderrIsTTY = false): Harness {
  const out: string[] = [];
  const err: string[] = [];
  const logs: string[] = [];
  const logFormats: string[] = [];
  const forcedExit: number[] = [];
  const signals = new EventEmitter();
  const io: CliIo = {
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    env,
    stderrIsTTY,
    openLogger(level, format) {
      logFormats.push(format);
      return pino({ level }, { write: (line: string) => void logs.push(line) });
    },
    onSignal(handler) {
      signals.on("signal", handler);
      return () => signals.off("signal", handler);
    },
    forceExit: (code) => void forcedExit.push(code),
  };
  return { io, out, err, logs, logFormats, signals, forcedExit };
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
  dir = await mkdtemp(path.join(tmpdir(), "dittofs-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

const MEMORY_STORES = `
metadata: { stores: { meta: { type: memory } } }
content: { stores: { data: { type: memory } } }
shares: [ { name: /export, metadata_store: meta, content_store: data } ]
`;

describe("help, version and usage", () => {
  test("--help prints the commands", async () => {
    const h = harness();
    expect(await runCli(["--help"], h.io)).toBe(0);
    expect(h.out.join("\n")).toMatch(/dittofs serve \[--config FILE\]/);
    expect(h.out.join("\n")).toMatch(/dittofs check-config FILE/);
    expect(h.err).toEqual([]);
  });

  test("--version prints the package version", async () => {
    const pkg = JSON.parse(await readFile(path.join(here, "..", "..", "package.json"), "utf8")) as { version: string };
    const h = harness();
    expect(await runCli(["--version"], h.io)).toBe(0);
    expect(h.out).toEqual([`dittofs ${pkg.version}`]);
  });

  test("no command, an unknown command or an unknown option is a usage error (exit 2)", async () => {
    const none = harness();
    expect(await runCli([], none.io)).toBe(2);
    expect(none.err[0]).toMatch(/^Usage:/);

    const unknown = harness();
    expect(await runCli(["mount"], unknown.io)).toBe(2);
    expect(unknown.err[0]).toBe('dittofs: unknown command "mount"');

    const option = harness();
    expect(await runCli(["serve", "--conf", "x.yaml"], option.io)).toBe(2);
    expect(option.err[0]).toMatch(/^dittofs: Unknown option '--conf'/);

    const missing = harness();
    expect(await runCli(["check-config"], missing.io)).toBe(2);
    expect(missing.err[0]).toBe("dittofs: check-config takes exactly one FILE");
  });
});

describe("check-config", () => {
  test("summarizes a valid file", async () => {
    const h = harness();
    expect(await runCli(["check-config", example], h.io)).toBe(0);
    expect(h.out).toEqual(["config OK: 2 shares, 2 metadata stores, 2 content stores, NFS on 127.0.0.1:12049"]);
  });

  test("singular counts, MOUNT and portmap ports", async () => {
    const file = await configFile(
      "one.yaml",
      `${MEMORY_STORES}adapters: { nfs: { port: 20049, mount_port: 20048 }, portmap: { enabled: true, port: 20111 } }\n`,
    );
    const h = harness();
    expect(await runCli(["check-config", file], h.io)).toBe(0);
    expect(h.out).toEqual([
      "config OK: 1 share, 1 metadata store, 1 content store, NFS on 127.0.0.1:20049, MOUNT on 127.0.0.1:20048, portmap on 127.0.0.1:20111",
    ]);
  });

  test("prints every error with its path and exits 1", async () => {
    const file = await configFile(
      "bad.yaml",
      MEMORY_STORES.replace("metadata_store: meta", "metadata_store: x") + "adapters: { nfs: { port: 20049 } }\n",
    );
    const h = harness();
    expect(await runCli(["check-config", file], h.io)).toBe(1);
    expect(h.out).toEqual([]);
    expect(h.err).toEqual([
      `invalid config ${file}:\n  ${file}:4: shares[0].metadata_store: unknown metadata store "x" (expected one of: meta)`,
    ]);
  });

  test("a missing file exits 1", async () => {
    const h = harness();
    const file = path.join(dir, "nope.yaml");
    expect(await runCli(["check-config", file], h.io)).toBe(1);
    expect(h.err).toEqual([`invalid config ${file}:\n  ${file}: (file): cannot read the config: no such file`]);
  });
});

describe("serve", () => {
  test("prints where it listens and how to mount, serves MOUNT, and stops on SIGINT with exit 0", async () => {
    const file = await configFile("serve.yaml", `${MEMORY_STORES}adapters: { nfs: { port: 0 } }\nserver: { shutdown_timeout: 1s }\n`);
    const h = harness();
    const exit = runCli(["serve", "--config", file], h.io);
    await vi.waitFor(() => expect(h.out).toContain("ready"), { timeout: 10_000 });

    const port = Number(/^NFS listening on 127\.0\.0\.1:(\d+)$/.exec(h.out[0]!)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(h.out).toEqual([
      `NFS listening on 127.0.0.1:${port}`,
      "Mount on macOS:",
      `  mount_nfs -o vers=3,tcp,port=${port},mountport=${port} localhost:/export ~/mnt`,
      "Mount on Linux:",
      `  sudo mount -t nfs -o vers=3,tcp,port=${port},mountport=${port},nolock 127.0.0.1:/export /mnt/dittofs`,
      "ready",
    ]);

    const client = await RpcClient.connect("127.0.0.1", port);
    try {
      const { results } = await client.call({
        prog: MOUNT_PROGRAM,
        vers: MOUNT_V3,
        proc: MOUNTPROC3_MNT,
        args: new XdrWriter().string("/export").toBuffer(),
      });
      expect(results.u32()).toBe(MNT3_OK);
    } finally {
      await client.close();
    }

    h.signals.emit("signal", "SIGINT");
    expect(await exit).toBe(0);
    expect(h.forcedExit).toEqual([]);
    expect(h.signals.listenerCount("signal")).toBe(0);
    expect(await canConnect(port)).toBe(false);
    expect(h.logs.some((line) => line.includes("shutting down gracefully"))).toBe(true);
  });

  test("with a MOUNT port and the portmapper, which maps NFS and MOUNT to their ports", async () => {
    const file = await configFile(
      "portmap.yaml",
      `${MEMORY_STORES}adapters: { nfs: { port: 0, mount_port: 0 }, portmap: { enabled: true, port: 0 } }\n`,
    );
    const h = harness();
    const exit = runCli(["serve", "-c", file], h.io);
    await vi.waitFor(() => expect(h.out).toContain("ready"), { timeout: 10_000 });
    const nfsPort = Number(/^NFS listening on 127\.0\.0\.1:(\d+)$/.exec(h.out[0]!)?.[1]);
    const mountPort = Number(/^MOUNT listening on 127\.0\.0\.1:(\d+)$/.exec(h.out[1]!)?.[1]);
    const portmapPort = Number(/^Portmap listening on 127\.0\.0\.1:(\d+)$/.exec(h.out[2]!)?.[1]);
    expect(new Set([nfsPort, mountPort, portmapPort]).size).toBe(3);
    expect(h.out[4]).toBe(`  mount_nfs -o vers=3,tcp,port=${nfsPort},mountport=${mountPort} localhost:/export ~/mnt`);

    const client = await RpcClient.connect("127.0.0.1", portmapPort);
    try {
      const getport = async (prog: number, vers: number) => {
        const args = new XdrWriter().u32(prog).u32(vers).u32(IPPROTO_TCP).u32(0).toBuffer();
        const { results } = await client.call({ prog: PMAP_PROG, vers: PMAP_VERS, proc: PMAPPROC_GETPORT, args });
        return results.u32();
      };
      expect(await getport(NFS_PROGRAM, NFS_V3)).toBe(nfsPort);
      expect(await getport(MOUNT_PROGRAM, MOUNT_V3)).toBe(mountPort);
    } finally {
      await client.close();
    }

    h.signals.emit("signal", "SIGTERM");
    expect(await exit).toBe(0);
  });

  test("a second signal while stopping forces the exit", async () => {
    const file = await configFile("force.yaml", `${MEMORY_STORES}adapters: { nfs: { port: 0 } }\n`);
    const h = harness();
    const exit = runCli(["serve", "--config", file], h.io);
    await vi.waitFor(() => expect(h.out).toContain("ready"), { timeout: 10_000 });
    h.signals.emit("signal", "SIGINT");
    h.signals.emit("signal", "SIGINT");
    expect(h.forcedExit).toEqual([1]);
    expect(await exit).toBe(0);
  });

  test("a bad config exits 1 with the errors on stderr and nothing served", async () => {
    const file = await configFile("serve-bad.yaml", `${MEMORY_STORES}adapters: { nfs: { port: abc } }\n`);
    const h = harness();
    expect(await runCli(["serve", "--config", file], h.io)).toBe(1);
    expect(h.out).toEqual([]);
    expect(h.err).toEqual([`invalid config ${file}:\n  ${file}:5: adapters.nfs.port: expected an integer from 0 to 65535, got "abc"`]);
  });

  test("logs readable lines when stderr is a terminal, JSON otherwise, and --log-format decides over both", async () => {
    const file = await configFile("format.yaml", `${MEMORY_STORES}adapters: { nfs: { port: 0 } }\n`);
    const cases: Array<{ tty: boolean; args: string[]; format: string }> = [
      { tty: true, args: [], format: "pretty" },
      { tty: false, args: [], format: "json" },
      { tty: true, args: ["--log-format", "json"], format: "json" },
      { tty: false, args: ["--log-format=pretty"], format: "pretty" },
    ];
    for (const { tty, args, format } of cases) {
      const h = harness({}, tty);
      const exit = runCli(["serve", "--config", file, ...args], h.io);
      await vi.waitFor(() => expect(h.out).toContain("ready"), { timeout: 10_000 });
      h.signals.emit("signal", "SIGTERM");
      expect(await exit).toBe(0);
      expect(h.logFormats).toEqual([format]);
    }
  });

  test("an unknown --log-format is a usage error and starts nothing", async () => {
    const file = await configFile("format-bad.yaml", `${MEMORY_STORES}adapters: { nfs: { port: 0 } }\n`);
    const h = harness();
    expect(await runCli(["serve", "--config", file, "--log-format", "xml"], h.io)).toBe(2);
    expect(h.err[0]).toBe('dittofs: --log-format: expected one of: json, pretty, got "xml"');
    expect(h.out).toEqual([]);
    expect(h.logFormats).toEqual([]);
  });

  test("an unknown DITTOFS_LOG_LEVEL exits 1", async () => {
    const file = await configFile("level.yaml", `${MEMORY_STORES}adapters: { nfs: { port: 0 } }\n`);
    const h = harness({ DITTOFS_LOG_LEVEL: "loud" });
    expect(await runCli(["serve", "--config", file], h.io)).toBe(1);
    expect(h.err).toEqual(['dittofs: DITTOFS_LOG_LEVEL: expected one of: trace, debug, info, warn, error, fatal, silent, got "loud"']);
  });

  test("a port already in use exits 1 with the reason", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const file = await configFile("taken.yaml", `${MEMORY_STORES}adapters: { nfs: { port: ${taken} } }\n`);
      const h = harness();
      expect(await runCli(["serve", "--config", file], h.io)).toBe(1);
      expect(h.out).toEqual([]);
      expect(h.err).toHaveLength(1);
      expect(h.err[0]).toMatch(/^dittofs: cannot start: .*EADDRINUSE/);
      expect(h.signals.listenerCount("signal")).toBe(0);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  test("a store that cannot be opened exits 1 naming the store", async () => {
    const blockerFile = path.join(dir, "plain-file");
    await writeFile(blockerFile, "x");
    const file = await configFile(
      "store-bad.yaml",
      `metadata: { stores: { meta: { type: memory } } }
content: { stores: { data: { type: fs, fs: { path: ${blockerFile}/content } } } }
shares: [ { name: /export, metadata_store: meta, content_store: data } ]
adapters: { nfs: { port: 0 } }
`,
    );
    const h = harness();
    expect(await runCli(["serve", "--config", file], h.io)).toBe(1);
    expect(h.err[0]).toMatch(new RegExp(`^dittofs: cannot open content store "data" \\(fs at ${blockerFile}/content\\): `));
  });
});
