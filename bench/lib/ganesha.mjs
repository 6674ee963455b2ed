/* global process, setTimeout */
/**
 * nfs-ganesha (VFS FSAL) as the reference NFSv3 server: config in a temp dir, loopback, explicit
 * ports, no rpcbind (an LD_PRELOAD shim built from ../ganesha/svcreg_shim.c), stopped by PID.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { TailBuffer, run, runOk, signalPid, waitForPidExit } from "../../e2e/helpers/proc.mjs";

const SHIM_SOURCE = resolve(dirname(fileURLToPath(import.meta.url)), "../ganesha/svcreg_shim.c");

function ganeshaConfig({ exportDir, recoveryDir, nfsPort, mntPort }) {
  return `NFS_CORE_PARAM {
  NFS_Port = ${nfsPort};
  MNT_Port = ${mntPort};
  Bind_addr = 127.0.0.1;
  Protocols = 3;
  Enable_NLM = false;
  Enable_RQUOTA = false;
  Enable_UDP = false;
}
NFSv4 {
  RecoveryRoot = ${recoveryDir};
  Graceless = true;
}
EXPORT {
  Export_Id = 1;
  Path = ${exportDir};
  Pseudo = /bench;
  Access_Type = RW;
  Squash = No_Root_Squash;
  Protocols = 3;
  Transports = TCP;
  SecType = sys;
  FSAL { Name = VFS; }
}
`;
}

/** The libnfs URL of `path` in ganesha's export (for NFSv3 the export's Path, not its Pseudo). */
export function ganeshaUrl(server, path = "") {
  const sub = path === "" || path.startsWith("/") ? path : `/${path}`;
  return `nfs://127.0.0.1${server.exportDir}${sub}?version=3&nfsport=${server.nfsPort}&mountport=${server.mntPort}`;
}

/**
 * Starts ganesha.nfsd in the foreground with its files under `dir`, exporting `dir/export`.
 * Resolves once nfs-ls of the export succeeds.
 */
export async function startGanesha({ dir, nfsPort, mntPort, readyTimeoutMs = 60_000 }) {
  const exportDir = join(dir, "export");
  const recoveryDir = join(dir, "recovery");
  mkdirSync(exportDir, { recursive: true });
  mkdirSync(recoveryDir, { recursive: true });
  const shim = join(dir, "svcreg_shim.so");
  await runOk("gcc", ["-O2", "-Wall", "-shared", "-fPIC", "-o", shim, SHIM_SOURCE, "-ldl"]);
  const confPath = join(dir, "ganesha.conf");
  writeFileSync(confPath, ganeshaConfig({ exportDir, recoveryDir, nfsPort, mntPort }));
  const logPath = join(dir, "ganesha.log");
  const pidPath = join(dir, "ganesha.pid");

  const child = spawn("ganesha.nfsd", ["-F", "-f", confPath, "-L", logPath, "-p", pidPath, "-N", "NIV_EVENT"], {
    env: { ...process.env, LD_PRELOAD: shim },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = new TailBuffer();
  child.stdout.on("data", (chunk) => output.push(chunk));
  child.stderr.on("data", (chunk) => output.push(chunk));
  let exited = false;
  child.on("exit", () => (exited = true));
  const server = {
    dir,
    exportDir,
    nfsPort,
    mntPort,
    childPid: child.pid,
    /** The PID ganesha writes to its pid file (the one to signal). */
    pid: undefined,
    describe() {
      const log = existsSync(logPath) ? readFileSync(logPath, "utf8").split("\n").slice(-30).join("\n") : "";
      return `ganesha (pid ${this.pid ?? this.childPid}${exited ? ", exited" : ""})\n${output}\n--- log ---\n${log}`;
    },
    async stop() {
      for (const pid of new Set([this.pid, this.childPid].filter(Boolean))) {
        signalPid(pid, "SIGTERM");
        if (!(await waitForPidExit(pid, 10_000))) {
          signalPid(pid, "SIGKILL");
          await waitForPidExit(pid, 5_000);
        }
      }
    },
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (server.pid === undefined && existsSync(pidPath)) {
      const pid = Number(readFileSync(pidPath, "utf8").trim());
      if (pid > 0) server.pid = pid;
    }
    if (server.pid !== undefined) {
      const probe = await run("nfs-ls", [ganeshaUrl(server)], { timeoutMs: 10_000 });
      if (probe.code === 0) return server;
    }
    if (exited || Date.now() > deadline) {
      await server.stop();
      throw new Error(`ganesha did not come up${exited ? " (it exited)" : ""}\n${server.describe()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
