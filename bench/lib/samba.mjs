/* global process, setTimeout */
/**
 * Samba's smbd as the reference SMB server: a private smb.conf in a temp dir (loopback only, an
 * explicit port, no NetBIOS, every state/lock/cache/pid/private dir inside the temp dir), one
 * share on the same disk, one user added with `smbpasswd -c`; run in the foreground and stopped
 * by PID together with its per-connection children.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TailBuffer, run } from "../../e2e/helpers/proc.mjs";
import { stopTree } from "../../e2e/helpers/proc-tree.mjs";
import { runWithInput } from "./run-input.mjs";

function smbConf({ dir, shareDir, port }) {
  const state = (name) => join(dir, name);
  // Signing is required, as DittoFS requires it by default (Windows 11 24H2 insists on it): both
  // servers then MAC every message, so the comparison measures the same work. Everything else
  // keeps smbd's defaults.
  return `[global]
  server signing = mandatory
  server role = standalone server
  interfaces = 127.0.0.1
  bind interfaces only = yes
  smb ports = ${port}
  disable netbios = yes
  server services = -nbt
  passdb backend = tdbsam:${state("private/passdb.tdb")}
  private dir = ${state("private")}
  lock directory = ${state("lock")}
  state directory = ${state("state")}
  cache directory = ${state("cache")}
  pid directory = ${state("pid")}
  ncalrpc dir = ${state("ncalrpc")}
  usershare path = ${state("usershares")}
  load printers = no
  printcap name = /dev/null
  disable spoolss = yes
  log level = 1

[share]
  path = ${shareDir}
  read only = no
`;
}

/**
 * Starts smbd with its files under `dir`, sharing `dir/share` as `share` on 127.0.0.1:`port`, with
 * `user` (an existing Unix account) and `password`. Resolves once smbclient can list the share.
 */
export async function startSamba({ dir, port, user, password, readyTimeoutMs = 60_000 }) {
  const shareDir = join(dir, "share");
  for (const sub of ["share", "private", "lock", "state", "cache", "pid", "ncalrpc", "usershares"]) mkdirSync(join(dir, sub), { recursive: true });
  const confPath = join(dir, "smb.conf");
  writeFileSync(confPath, smbConf({ dir, shareDir, port }));
  const added = await runWithInput("smbpasswd", ["-c", confPath, "-s", "-a", user], `${password}\n${password}\n`);
  if (added.code !== 0) throw new Error(`smbpasswd -a ${user} failed (exit ${added.code}): ${added.output}`);

  // In a process group of its own (detached), so a signal smbd sends to its group on the way
  // out (seen: this benchmark itself got SIGTERM) reaches only smbd's processes.
  const child = spawn("smbd", ["-F", "--no-process-group", "--debug-stdout", "-s", confPath], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const output = new TailBuffer();
  child.stdout.on("data", (chunk) => output.push(chunk));
  child.stderr.on("data", (chunk) => output.push(chunk));
  let exited = false;
  const childExit = new Promise((resolve) => child.on("exit", () => resolve((exited = true))));
  const server = {
    pid: child.pid,
    port,
    shareDir,
    describe: () => `smbd (pid ${child.pid}${exited ? ", exited" : ""})\n${output}`,
    async stop() {
      if (exited) return;
      await stopTree(child.pid);
      // Let Node reap it, so no zombie outlives the run.
      await Promise.race([childExit, new Promise((r) => setTimeout(r, 5_000))]);
    },
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    const probe = await run("smbclient", [`//127.0.0.1/share`, "-p", String(port), "-U", user, "-c", "ls"], {
      env: { ...process.env, PASSWD: password },
      timeoutMs: 10_000,
    });
    if (probe.code === 0) return server;
    if (exited || Date.now() > deadline) {
      await server.stop();
      throw new Error(`smbd did not come up${exited ? " (it exited)" : ""}\n${probe.stdout}${probe.stderr}\n${server.describe()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
