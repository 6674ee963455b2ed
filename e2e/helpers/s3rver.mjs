/* global process, setTimeout, clearTimeout */
/**
 * s3rver (an S3 wire-protocol server) in a child process, for tests that need a real S3 peer
 * they can take down and bring back: stop() or kill() it, then start() it again on the same port
 * with the same data directory.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { S3Client } from "@aws-sdk/client-s3";
import { freePort } from "./ports.mjs";
import { TailBuffer, signalPid } from "./proc.mjs";

const MAIN = join(dirname(fileURLToPath(import.meta.url)), "s3rver-main.mjs");

/** Children started by this process, so a crashed test run still stops them (by PID). */
const running = new Set();
process.once("exit", () => {
  for (const pid of running) signalPid(pid, "SIGKILL");
});

/**
 * Starts s3rver on 127.0.0.1 and resolves once it accepts connections.
 * options: { port? (default: a free port), dir? (default: a new temp dir, removed by close()),
 *            buckets?: string[] (created at start), readyTimeoutMs?,
 *            secretAccessKey? (the secret of access key S3RVER; default "S3RVER") }
 */
export async function startS3rver({ port, dir, buckets = [], readyTimeoutMs = 20_000, secretAccessKey = "S3RVER" } = {}) {
  const ownsDir = dir === undefined;
  const dataDir = dir ?? mkdtempSync(join(tmpdir(), "dittofs-s3rver-"));
  const server = new S3rverServer(port ?? (await freePort()), dataDir, buckets, ownsDir, readyTimeoutMs, secretAccessKey);
  try {
    await server.start();
  } catch (err) {
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return server;
}

export class S3rverServer {
  constructor(port, dir, buckets, ownsDir, readyTimeoutMs, secretAccessKey) {
    this.port = port;
    this.dir = dir;
    this.buckets = buckets;
    this.ownsDir = ownsDir;
    this.readyTimeoutMs = readyTimeoutMs;
    this.endpoint = `http://127.0.0.1:${port}`;
    this.region = "us-east-1";
    this.accessKeyId = "S3RVER";
    this.secretAccessKey = secretAccessKey;
    this.child = undefined;
    this.exited = undefined;
    this.stderr = new TailBuffer();
  }

  get alive() {
    return this.child !== undefined;
  }

  /** Starts the child (again), same port and data; resolves once it listens. */
  start() {
    if (this.child) return Promise.reject(new Error(`s3rver is already running on port ${this.port}`));
    const config = JSON.stringify({ port: this.port, dir: this.dir, buckets: this.buckets, credentials: { [this.accessKeyId]: this.secretAccessKey } });
    const child = spawn(process.execPath, [MAIN, config], {
      // s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 only has in its legacy provider.
      env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --openssl-legacy-provider`.trim() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.stderr = new TailBuffer();
    running.add(child.pid);
    this.exited = new Promise((resolveExit) => {
      child.on("exit", (code, signal) => {
        running.delete(child.pid);
        if (this.child === child) this.child = undefined;
        resolveExit({ code, signal });
      });
    });
    child.stderr.on("data", (chunk) => this.stderr.push(chunk));
    return new Promise((resolveReady, reject) => {
      let stdout = "";
      const timer = setTimeout(() => {
        signalPid(child.pid, "SIGKILL");
        reject(new Error(`s3rver did not start within ${this.readyTimeoutMs} ms\n${this.stderr}`));
      }, this.readyTimeoutMs);
      child.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (text) => {
        stdout += text;
        if (/^ready \d+$/m.test(stdout)) {
          clearTimeout(timer);
          resolveReady();
        }
      });
      this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited (${code ?? signal}) before it was ready\n${this.stderr}`));
      });
    });
  }

  /** Graceful stop (SIGTERM, SIGKILL after `timeoutMs`); the data stays for start(). */
  async stop({ timeoutMs = 5_000 } = {}) {
    const child = this.child;
    if (!child) return;
    signalPid(child.pid, "SIGTERM");
    const timer = setTimeout(() => signalPid(child.pid, "SIGKILL"), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL: open connections break mid-response. The data stays for start(). */
  async kill() {
    const child = this.child;
    if (!child) return;
    signalPid(child.pid, "SIGKILL");
    await this.exited;
  }

  /** Stops the server and removes its data directory if startS3rver() created it. */
  async close() {
    await this.stop();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * An SDK client for `server`: path-style addressing, and checksums only where S3 requires them
 * (with the SDK's default CRC checksums s3rver stores aws-chunked framing inside the object).
 * `overrides` replaces the credentials or the retry count, e.g. to test a wrong key.
 */
export function s3ClientFor(server, overrides = {}) {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: overrides.accessKeyId ?? server.accessKeyId,
      secretAccessKey: overrides.secretAccessKey ?? server.secretAccessKey,
    },
    maxAttempts: overrides.maxAttempts ?? 3,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}
