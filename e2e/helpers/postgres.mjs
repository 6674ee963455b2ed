/* global process, setTimeout, clearTimeout */
/**
 * A private, throw-away PostgreSQL cluster for tests: initdb into a temp dir, one postmaster on
 * 127.0.0.1 and a free high port, durability off for speed. Connections over TCP need the
 * password (scram-sha-256, so tests can see a wrong password fail); the unix socket in the temp
 * dir trusts everyone. initdb and postgres refuse to run as root, so as root both run as the
 * `postgres` user. stop() kills the server (by PID) and removes the temp dir; a process that
 * exits without calling stop() still kills its servers.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./ports.mjs";
import { TailBuffer, signalPid } from "./proc.mjs";

const INSTALL_HINT = "apt-get install -y postgresql";
const USER = "dittofs";

/** Clusters started by this process and not yet stopped: PID → temp dir. */
const running = new Map();
process.once("exit", () => {
  for (const [pid, dir] of running) {
    // Immediate shutdown: the postmaster also ends its backends and frees shared memory.
    signalPid(pid, "SIGQUIT");
    rmSync(dir, { recursive: true, force: true });
  }
});

function hasServerBinaries(dir) {
  return existsSync(join(dir, "initdb")) && existsSync(join(dir, "postgres"));
}

/** The directory holding initdb and postgres: `pg_config --bindir`, else the newest /usr/lib/postgresql/N/bin. */
async function findBinDir() {
  const fromPgConfig = await new Promise((resolve) => {
    const child = spawn("pg_config", ["--bindir"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.on("error", () => resolve(null));
    child.on("close", (code) => resolve(code === 0 ? out.trim() : null));
  });
  if (fromPgConfig && hasServerBinaries(fromPgConfig)) return fromPgConfig;
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => /^\d+$/.test(v) && hasServerBinaries(join(base, v, "bin")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(`PostgreSQL server binaries (initdb, postgres) not found: install with \`${INSTALL_HINT}\``);
  }
  return join(base, versions[0], "bin");
}

/** The uid and gid to run the server as: ours, or the `postgres` user's when we are root. */
function serverIdentity() {
  if (process.getuid?.() !== 0) return null;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error(`running as root but there is no \`postgres\` user to run PostgreSQL as: install with \`${INSTALL_HINT}\``);
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

function spawnAs(identity, cmd, args, options = {}) {
  return spawn(cmd, args, {
    ...options,
    ...(identity ?? {}),
    // Plain C locale and no inherited PG* variables that could point the tools elsewhere.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C", LC_ALL: "C" },
  });
}

function runAs(identity, cmd, args, { cwd, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawnAs(identity, cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    const output = new TailBuffer(16 * 1024);
    child.stdout.on("data", (chunk) => output.push(chunk));
    child.stderr.on("data", (chunk) => output.push(chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(" ")} exited with ${code ?? signal}\n${output.toString()}`));
    });
  });
}

function quoteIdent(name) {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Connects as the superuser over TCP, retrying until the server accepts connections. */
async function connectWhenReady(config, endedHow, log, deadline) {
  for (;;) {
    const client = new pg.Client(config);
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => {});
      if (endedHow()) throw new Error(`postgres ${endedHow()} while starting\n${log.toString()}`);
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections in time: ${err.message}\n${log.toString()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** One attempt to run a cluster on `port`; rejects if postgres exits (say the port was taken). */
async function launch(binDir, identity, dir, port, password) {
  const log = new TailBuffer(32 * 1024);
  const server = spawnAs(
    identity,
    join(binDir, "postgres"),
    [
      "-D", join(dir, "data"),
      "-p", String(port),
      "-c", "listen_addresses=127.0.0.1",
      "-c", `unix_socket_directories=${join(dir, "sock")}`,
      "-c", "fsync=off",
      "-c", "synchronous_commit=off",
      "-c", "full_page_writes=off",
      "-c", "max_connections=200",
      "-c", "shared_buffers=64MB",
      "-c", "max_wal_size=1GB",
      "-c", "log_min_messages=warning",
      "-c", "log_min_error_statement=panic",
    ],
    { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
  server.stderr.on("data", (chunk) => log.push(chunk));
  let ended = null;
  const exited = new Promise((resolve) => {
    server.once("exit", (code, signal) => resolve((ended = `exited with ${code ?? signal}`)));
    server.once("error", (err) => resolve((ended = `failed to start: ${err.message}`)));
  });
  const config = { host: "127.0.0.1", port, user: USER, password, database: "postgres", connectionTimeoutMillis: 2000 };
  try {
    const admin = await connectWhenReady(config, () => ended, log, Date.now() + 30_000);
    // Should the server die under a test, the idle admin connection's error must not be an
    // unhandled 'error' event that ends the test process.
    admin.on("error", () => {});
    return { server, exited, admin, log };
  } catch (err) {
    signalPid(server.pid, "SIGKILL");
    await exited;
    throw err;
  }
}

/**
 * Starts a fresh cluster. Resolves once it accepts connections.
 * @returns {Promise<import("./postgres.d.mts").PostgresServer>}
 */
export async function startPostgres() {
  const binDir = await findBinDir();
  const identity = serverIdentity();
  const dir = mkdtempSync(join(tmpdir(), "dittofs-pg-"));
  let started;
  try {
    mkdirSync(join(dir, "sock"));
    const password = randomBytes(12).toString("hex");
    const pwFile = join(dir, "pwfile");
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (identity) {
      for (const path of [dir, join(dir, "sock"), pwFile]) chownSync(path, identity.uid, identity.gid);
    }
    await runAs(
      identity,
      join(binDir, "initdb"),
      [
        "-D", join(dir, "data"),
        "-U", USER,
        `--pwfile=${pwFile}`,
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
        "--no-instructions",
      ],
      // As the postgres user, our own working directory may not be readable.
      { cwd: dir, timeoutMs: 120_000 },
    );
    rmSync(pwFile);
    let lastError;
    for (let attempt = 0; attempt < 3 && !started; attempt++) {
      const port = await freePort();
      try {
        started = { port, password, ...(await launch(binDir, identity, dir, port, password)) };
      } catch (err) {
        lastError = err;
      }
    }
    if (!started) throw lastError;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const { server, exited, admin, port, password } = started;
  running.set(server.pid, dir);
  let dbCount = 0;
  let stopped = false;

  return {
    host: "127.0.0.1",
    port,
    user: USER,
    password,
    dataDir: join(dir, "data"),
    pid: server.pid,
    connectionString(database) {
      return `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    },
    async createDatabase(name) {
      const database = name ?? `test_${++dbCount}_${randomBytes(3).toString("hex")}`;
      await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
      return database;
    },
    async dropDatabase(name) {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    },
    async query(database, sql, params) {
      const client = new pg.Client({ host: "127.0.0.1", port, user: USER, password, database });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await admin.end().catch(() => {});
      // Fast shutdown: roll back open transactions, end the backends, then exit.
      signalPid(server.pid, "SIGINT");
      const killer = setTimeout(() => signalPid(server.pid, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
      running.delete(server.pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
