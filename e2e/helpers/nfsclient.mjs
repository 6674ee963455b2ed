/* global process, Buffer */
/**
 * The C test client (e2e/clients/nfsclient.c) and libnfs' own tools (nfs-ls, nfs-cp, nfs-cat).
 */
import { createHash, randomFillSync } from "node:crypto";
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { constants as osConstants, tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./dittofs.mjs";
import { run, runOk } from "./proc.mjs";

export const NFSCLIENT_SOURCE = join(REPO_ROOT, "e2e/clients/nfsclient.c");

/** errno values by name (EROFS, EACCES, ...), as the client's exit status reports them. */
export const ERRNO = osConstants.errno;

let built;

/**
 * Compiles the client once per source version into a temp dir (keyed by the source's hash, so
 * every test file of a run shares one binary) and resolves with the binary's path.
 */
export function buildNfsClient() {
  built ??= (async () => {
    const source = readFileSync(NFSCLIENT_SOURCE);
    const hash = createHash("sha256").update(source).digest("hex").slice(0, 16);
    const dir = join(tmpdir(), `dittofs-nfsclient-${hash}`);
    const binary = join(dir, "nfsclient");
    if (existsSync(binary)) return binary;
    mkdirSync(dir, { recursive: true });
    const partial = `${binary}.${process.pid}`;
    await runOk("gcc", ["-O2", "-Wall", "-Werror", "-o", partial, NFSCLIENT_SOURCE, "-lnfs"], { timeoutMs: 120_000 });
    renameSync(partial, binary);
    return binary;
  })();
  return built;
}

/** A failed client call, carrying the errno the client exited with. */
export class NfsClientError extends Error {
  constructor(args, result) {
    super(`nfsclient ${args.join(" ")} failed (exit ${result.code ?? result.signal}): ${result.stderr.trim()}`);
    this.errno = result.code;
    this.stderr = result.stderr;
  }
}

/** Runs commands of the C client against one export URL. */
export class NfsClient {
  constructor(binary, url, { timeoutMs = 300_000 } = {}) {
    this.binary = binary;
    this.url = url;
    this.timeoutMs = timeoutMs;
  }

  /** Raw result: { code, stdout: Buffer, stderr }. code is the errno on failure. */
  run(...args) {
    return run(this.binary, [this.url, ...args], { timeoutMs: this.timeoutMs });
  }

  /** stdout as a Buffer; throws NfsClientError on failure. */
  async bytes(...args) {
    const result = await this.run(...args);
    if (result.code !== 0) throw new NfsClientError(args, result);
    return result.stdout;
  }

  async text(...args) {
    return (await this.bytes(...args)).toString("utf8");
  }

  /** The single JSON line the command prints. */
  async json(...args) {
    return JSON.parse(await this.text(...args));
  }

  /** The lines the command prints (readdir, readlink). */
  async lines(...args) {
    return (await this.text(...args)).split("\n").filter((line) => line !== "");
  }

  /** The errno the command failed with; throws if it succeeded. */
  async errno(...args) {
    const result = await this.run(...args);
    if (result.code === 0) throw new Error(`nfsclient ${args.join(" ")} succeeded but was expected to fail`);
    return result.code;
  }
}

/** Resolves with a client bound to `url`, compiling the binary first if needed. */
export async function nfsClient(url, options) {
  return new NfsClient(await buildNfsClient(), url, options);
}

/** MurmurHash3's 32-bit finalizer, as in nfsclient.c. */
function fmix32(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The bytes nfsclient's `write-pattern` writes at [offset, offset + length) for `seed`. */
export function patternBytes(offset, length, seed) {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) {
    const pos = offset + i;
    const wordIndex = Math.floor(pos / 4) % 0x1_0000_0000;
    const word = fmix32((seed ^ Math.imul(wordIndex, 0x9e3779b9)) >>> 0);
    out[i] = (word >>> (8 * (pos % 4))) & 0xff;
  }
  return out;
}

export function sha256(buffer) {
  return createHash("sha256").update(buffer).digest("hex");
}

/** Writes `bytes` random bytes to a local file; returns their sha256. */
export function writeRandomFile(path, bytes) {
  const chunk = Buffer.allocUnsafe(16 * 1024 * 1024);
  const hash = createHash("sha256");
  const fd = openSync(path, "w");
  try {
    for (let done = 0; done < bytes; done += chunk.length) {
      const part = chunk.subarray(0, Math.min(chunk.length, bytes - done));
      randomFillSync(part);
      hash.update(part);
      writeSync(fd, part);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** sha256 of a local file, streamed (files here are up to 2 GiB). */
export function fileSha256(path) {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

/** `nfs-ls URL`: the names it lists (last column of each line). */
export async function nfsLs(url) {
  const { stdout } = await runOk("nfs-ls", [url], { timeoutMs: 300_000 });
  return stdout
    .toString("utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map(parseNfsLsLine);
}

/** nfs-ls prints `mode nlink uid gid size name`; names may contain spaces. */
function parseNfsLsLine(line) {
  const match = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s(.*)$/.exec(line);
  if (!match) throw new Error(`unexpected nfs-ls line: ${JSON.stringify(line)}`);
  return { mode: match[1], nlink: Number(match[2]), uid: Number(match[3]), gid: Number(match[4]), size: Number(match[5]), name: match[6] };
}

export function nfsCp(source, destination, { timeoutMs = 600_000 } = {}) {
  return runOk("nfs-cp", [source, destination], { timeoutMs });
}

export async function nfsCat(url) {
  return (await runOk("nfs-cat", [url], { timeoutMs: 120_000 })).stdout;
}
