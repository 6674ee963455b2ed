/* global process, setTimeout, clearTimeout */
/**
 * Starting and stopping the built DittoFS server (`node dist/core/cli/main.js serve --config`)
 * from a temp dir, for the e2e tests and the benchmark.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { TailBuffer, runOk, signalPid } from "./proc.mjs";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI_PATH = join(REPO_ROOT, "dist/core/cli/main.js");

/** Servers started by this process, so a crashed test run still stops them (by PID). */
const running = new Set();
process.once("exit", () => {
  for (const pid of running) signalPid(pid, "SIGKILL");
});

function newestSourceMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "storetest") newest = Math.max(newest, newestSourceMtime(path));
    } else if (/\.(ts|tsx|css|html)$/.test(entry.name) && !entry.name.endsWith(".test.ts")) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

function mtimeOrZero(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** Where `npm run build` puts the settings UI that `serve` serves. */
const RENDERER_INDEX = join(REPO_ROOT, "dist/renderer/index.html");

/** Runs `npm run build` when dist is missing or older than core/ or renderer/. */
export async function ensureBuilt() {
  const built = Math.min(mtimeOrZero(CLI_PATH), mtimeOrZero(RENDERER_INDEX));
  const sources = Math.max(...["core", "electron", "renderer"].map((dir) => newestSourceMtime(join(REPO_ROOT, dir))));
  if (built >= sources) return;
  await runOk("npm", ["run", "build"], { cwd: REPO_ROOT, timeoutMs: 300_000 });
}

/**
 * Writes a `dittofs serve` config (see config-format.md) into `dir` and returns its path.
 * Stores live under `dir`. Shares default to root_squash: false, because the tests run as root
 * and want to act as the share's owner; a test about squashing sets it explicitly.
 *
 * options: { nfsPort, mountPort?, maxRecordSize?, logLevel?, metadata: "sqlite"|"memory",
 *            content: "fs"|"memory"|{ folder: dir, revalidateAfter? }|{ s3, cache? }, shares?: [{ name, readOnly?, rootSquash?, allSquash?,
 *            anonymousUid?, anonymousGid?, root?: { uid, gid, mode }, requirePrivilegedPort?, protocols? }],
 *            nfs?: { more adapters.nfs keys, as written }, cache?: { the cache block, as written },
 *            control?: true (the control API on a free loopback port) }
 */
export function writeDittofsConfig(dir, options) {
  mkdirSync(dir, { recursive: true });
  const metadata = options.metadata ?? "sqlite";
  const content = options.content ?? "fs";
  const nfs = { enabled: true, bind: "127.0.0.1", port: options.nfsPort };
  if (options.mountPort !== undefined) nfs.mount_port = options.mountPort;
  if (options.maxRecordSize !== undefined) nfs.max_record_size = options.maxRecordSize;
  Object.assign(nfs, options.nfs);
  const shares = (options.shares ?? [{ name: "/export" }]).map((share) => {
    const out = {
      name: share.name,
      metadata_store: "meta",
      content_store: "data",
      read_only: share.readOnly ?? false,
      root_squash: share.rootSquash ?? false,
      all_squash: share.allSquash ?? false,
    };
    if (share.anonymousUid !== undefined) out.anonymous_uid = share.anonymousUid;
    if (share.anonymousGid !== undefined) out.anonymous_gid = share.anonymousGid;
    if (share.root) out.root = { uid: share.root.uid, gid: share.root.gid, mode: share.root.mode.toString(8).padStart(4, "0") };
    if (share.durability !== undefined) out.durability = share.durability;
    if (share.requirePrivilegedPort !== undefined) out.require_privileged_port = share.requirePrivilegedPort;
    if (share.smb !== undefined) out.smb = share.smb;
    if (share.protocols !== undefined) out.protocols = share.protocols;
    return out;
  });
  const config = {
    logging: { level: options.logLevel ?? "warn" },
    server: { shutdown_timeout: "5s" },
    adapters: { nfs, ...(options.smb ? { smb: options.smb } : {}) },
    ...(options.control ? { control: { enabled: true, port: 0 } } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
    metadata: { stores: { meta: metadataStore(dir, metadata) } },
    content: { stores: { data: contentStore(dir, content) } },
    shares,
  };
  const path = join(dir, "dittofs.yaml");
  writeFileSync(path, stringify(config));
  return path;
}

function metadataStore(dir, metadata) {
  if (metadata === "sqlite") return { type: "sqlite", sqlite: { path: join(dir, "meta.db") } };
  if (metadata === "memory") return { type: "memory" };
  const pg = metadata.postgres;
  return {
    type: "postgres",
    postgres: { host: pg.host, port: pg.port, database: pg.database, user: pg.user, ...(pg.passwordEnv ? { password: `env:${pg.passwordEnv}` } : {}) },
  };
}

function contentStore(dir, content) {
  if (content === "fs") return { type: "fs", fs: { path: join(dir, "content") } };
  if (content.folder) {
    const { folder, revalidateAfter } = content;
    return { type: "fs", fs: { layout: "folder", path: folder, index: join(dir, "folder-index.db"), ...(revalidateAfter ? { revalidate_after: revalidateAfter } : {}) } };
  }
  if (content === "memory") return { type: "memory" };
  const { s3, cache = {} } = content;
  return {
    type: "s3",
    s3: {
      ...(s3.layout ? { layout: s3.layout } : {}),
      bucket: s3.bucket,
      prefix: s3.prefix ?? "",
      endpoint: s3.endpoint,
      access_key_id: `env:${s3.accessKeyEnv}`,
      secret_access_key: `env:${s3.secretKeyEnv}`,
      ...(s3.requestTimeout ? { request_timeout: s3.requestTimeout } : {}),
      ...(s3.listTtl ? { list_ttl: s3.listTtl } : {}),
    },
    cache: { path: join(dir, "cache"), min_free: 0, ...cache },
  };
}

/** The libnfs URL of `path` inside `share`, with explicit ports (no portmapper). */
export function nfsUrl({ port, mountPort, share = "/export", path = "", uid, gid }) {
  const query = [`version=3`, `nfsport=${port}`, `mountport=${mountPort ?? port}`];
  if (uid !== undefined) query.push(`uid=${uid}`);
  if (gid !== undefined) query.push(`gid=${gid}`);
  const sub = path === "" || path.startsWith("/") ? path : `/${path}`;
  return `nfs://127.0.0.1${share}${sub}?${query.join("&")}`;
}

const LISTENING = /^NFS listening on 127\.0\.0\.1:(\d+)$/;

/**
 * Resolves once `server` prints `ready`. Rejects with its exit status and stderr when it exits
 * first or stays silent for `timeoutMs` (then it is killed: a server that hangs at start must
 * not outlive the test).
 */
export function whenReady(server, timeoutMs = 30_000) {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      signalPid(server.pid, "SIGKILL");
      reject(new Error(`dittofs did not print "ready" within ${timeoutMs} ms\n${server.describe()}`));
    }, timeoutMs);
    server.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`dittofs exited (${code ?? signal}) before "ready"\n${server.describe()}`));
    });
    server.onReady = () => {
      clearTimeout(timer);
      resolvePromise();
    };
  });
}

/**
 * Spawns `dittofs serve --config configPath` and resolves once it prints `ready`. Rejects with
 * the exit status and stderr if it exits or stays silent for `readyTimeoutMs`.
 */
export function startDittofs(configPath, { readyTimeoutMs = 30_000, env = {}, user } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, "serve", "--config", configPath], {
      cwd: dirname(configPath),
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    running.add(child.pid);
    const server = new DittofsServer(child, configPath);
    whenReady(server, readyTimeoutMs).then(() => resolvePromise(server), reject);
    child.on("error", reject);
  });
}

export class DittofsServer {
  constructor(child, configPath) {
    this.child = child;
    this.pid = child.pid;
    this.configPath = configPath;
    this.nfsPort = undefined;
    this.stdoutLines = [];
    this.stderr = new TailBuffer();
    this.onReady = undefined;
    this.exitStatus = undefined;
    this.exited = new Promise((resolveExit) => {
      child.on("exit", (code, signal) => {
        running.delete(child.pid);
        this.exitStatus = { code, signal };
        resolveExit(this.exitStatus);
      });
    });
    let partial = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text) => {
      const lines = (partial + text).split("\n");
      partial = lines.pop();
      for (const line of lines) this.#onLine(line.trimEnd());
    });
    child.stderr.on("data", (chunk) => this.stderr.push(chunk));
  }

  #onLine(line) {
    if (this.stdoutLines.length < 1000) this.stdoutLines.push(line);
    const listening = LISTENING.exec(line);
    if (listening) this.nfsPort = Number(listening[1]);
    if (line === "ready" && this.onReady) {
      const ready = this.onReady;
      this.onReady = undefined;
      ready();
    }
  }

  get alive() {
    return this.exitStatus === undefined;
  }

  url(options = {}) {
    return nfsUrl({ port: this.nfsPort, ...options });
  }

  /** What the server said, for assertion messages. */
  describe() {
    const status = this.exitStatus ? `exited ${this.exitStatus.code ?? this.exitStatus.signal}` : "running";
    return `dittofs pid ${this.pid} (${status})\n--- stdout ---\n${this.stdoutLines.join("\n")}\n--- stderr ---\n${this.stderr}`;
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`. Resolves with the exit status. */
  async stop({ timeoutMs = 15_000 } = {}) {
    if (!this.alive) return this.exitStatus;
    signalPid(this.pid, "SIGTERM");
    const timer = setTimeout(() => signalPid(this.pid, "SIGKILL"), timeoutMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }

  /** kill -9: no chance to flush anything. */
  async kill9() {
    if (!this.alive) return this.exitStatus;
    signalPid(this.pid, "SIGKILL");
    return this.exited;
  }
}
