#!/usr/bin/env node
/* global process, setInterval, clearInterval */
/**
 * `npm run bench`: DittoFS (memory stores; sqlite + fs stores; sqlite + an fs store in the folder
 * layout, the apples-to-apples one) side by side with nfs-ganesha (VFS FSAL exporting a directory
 * on the same disk) on this machine, driven by the same clients in one run:
 *   - sequential write and read of 512 MiB with nfs-cp (MB/s, 1 MB = 10^6 bytes);
 *   - metadata: 5,000 files created, stat'ed, listed once, removed, then 1,000 small files
 *     written and committed (data and metadata durable) (C client `bench-meta`);
 *   - DittoFS peak RSS while a 2 GiB file is written to an fs-backed share.
 * Each workload runs ROUNDS times per server, interleaved; the table shows medians.
 * Prints a table and writes bench/out/results.md and bench/out/results.json. Every process it
 * starts is stopped by PID, also on failure, and the whole run is bounded by a deadline.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, ensureBuilt, startDittofs, writeDittofsConfig } from "../e2e/helpers/dittofs.mjs";
import { buildNfsClient, fileSha256, NfsClient, nfsCp, writeRandomFile } from "../e2e/helpers/nfsclient.mjs";
import { freePorts } from "../e2e/helpers/ports.mjs";
import { run } from "../e2e/helpers/proc.mjs";
import { NFS_CLIENT_TOOLS, requireTools } from "../e2e/helpers/tools.mjs";
import { ganeshaUrl, startGanesha } from "./lib/ganesha.mjs";
import { Cleanups, fmt, log, median, runBenchmark, timed } from "./lib/run-support.mjs";

const MiB = 1024 * 1024;
const SEQ_BYTES = 512 * MiB;
const RSS_BYTES = 2048 * MiB;
const META_FILES = 5000;
/** Rounds per target; the table shows medians. */
const ROUNDS = 3;
const DEADLINE_MS = 20 * 60 * 1000;
const OUT_DIR = join(REPO_ROOT, "bench/out");

const cleanups = new Cleanups();

/** A server under test: how to reach it, and how to stop it. */
async function startTarget(kind, work) {
  const dir = mkdtempSync(join(work, `${kind}-`));
  if (kind === "ganesha") {
    const [nfsPort, mntPort] = await freePorts(2);
    const server = await startGanesha({ dir, nfsPort, mntPort });
    return {
      pid: server.pid,
      url: (path = "") => ganeshaUrl(server, path),
      describe: () => server.describe(),
      stop: cleanups.add(() => server.stop()),
    };
  }
  const [nfsPort] = await freePorts(1);
  const stores = storesOf(kind, dir);
  const config = writeDittofsConfig(dir, { nfsPort, logLevel: "warn", ...stores });
  const server = await startDittofs(config);
  return {
    pid: server.pid,
    url: (path = "") => server.url({ path }),
    describe: () => server.describe(),
    stop: cleanups.add(() => server.stop()),
  };
}

/** The stores of each DittoFS target; the folder layout exports an empty directory on the same disk as ganesha's export. */
function storesOf(kind, dir) {
  if (kind === "dittofs-memory") return { metadata: "memory", content: "memory" };
  if (kind === "dittofs-folder") {
    const folder = join(dir, "folder");
    mkdirSync(folder);
    return { metadata: "sqlite", content: { folder } };
  }
  return { metadata: "sqlite", content: "fs" };
}

async function measureThroughput(target, client, source, work) {
  const remote = target.url("/seq.bin");
  const back = join(work, "seq.back");
  const writeS = await timed(() => nfsCp(source.path, remote));
  const readS = await timed(() => nfsCp(remote, back));
  const backSha = await fileSha256(back);
  rmSync(back);
  if (backSha !== source.sha256) throw new Error(`512 MiB read back differs: sha256 ${backSha}, wrote ${source.sha256}`);
  await client.bytes("unlink", "/seq.bin");
  return { seqWriteMBps: SEQ_BYTES / 1e6 / writeS, seqReadMBps: SEQ_BYTES / 1e6 / readS };
}

/** One round of every workload against a running target. */
async function measureRound(kind, target, client, source, work) {
  log(`${kind}: sequential 512 MiB write/read`);
  const throughput = await measureThroughput(target, client, source, work);
  log(`${kind}: metadata, ${META_FILES} files`);
  const meta = await client.json("bench-meta", "/meta", String(META_FILES));
  return {
    ...throughput,
    createsPerS: meta.creates_per_s,
    statsPerS: meta.stats_per_s,
    listMs: meta.list_s * 1000,
    removesPerS: meta.removes_per_s,
    syncedPerS: meta.synced_files_per_s,
  };
}

/**
 * Starts every target, then runs ROUNDS rounds, each visiting every target in turn (so a noisy
 * moment on this shared machine hits all of them alike), and reports per-metric medians.
 */
async function measureTargets(kinds, clientBinary, source, work) {
  const running = [];
  const results = {};
  for (const kind of kinds) {
    log(`starting ${kind}`);
    try {
      const target = await startTarget(kind, work);
      running.push({ kind, target, client: new NfsClient(clientBinary, target.url()), rounds: [] });
    } catch (err) {
      log(`${kind} did not start: ${err.message}`);
      results[kind] = { error: err.message };
    }
  }
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      log(`round ${round} of ${ROUNDS}`);
      for (const entry of running.filter((e) => !results[e.kind])) {
        try {
          entry.rounds.push(await measureRound(entry.kind, entry.target, entry.client, source, work));
        } catch (err) {
          log(`${entry.kind} failed: ${err.message}`);
          results[entry.kind] = { error: `${err.message}\n${entry.target.describe()}` };
        }
      }
    }
  } finally {
    for (const { target } of running) await target.stop();
  }
  for (const { kind, rounds } of running) {
    if (results[kind]) continue;
    const medians = Object.fromEntries(METRICS.map(({ key }) => [key, median(rounds.map((r) => r[key]))]));
    results[kind] = { ...medians, rounds };
  }
  return results;
}

function memoryStatus(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: field("VmRSS"), hwm: field("VmHWM") };
}

/** Peak RSS of a fresh server process while nfs-cp writes `bigPath` into it. */
async function measurePeakRss(kind, bigPath, work) {
  log(`${kind}: peak RSS while writing 2 GiB`);
  const target = await startTarget(kind, work);
  try {
    const before = memoryStatus(target.pid);
    let sampledPeak = before.rss;
    const sampler = setInterval(() => {
      try {
        sampledPeak = Math.max(sampledPeak, memoryStatus(target.pid).rss);
      } catch {
        // The process is gone; the copy below reports why.
      }
    }, 100);
    let writeS;
    try {
      writeS = await timed(() => nfsCp(bigPath, target.url("/big.bin")));
    } finally {
      clearInterval(sampler);
    }
    const after = memoryStatus(target.pid);
    return {
      rssBeforeMiB: before.rss / MiB,
      peakRssMiB: Math.max(after.hwm, sampledPeak) / MiB,
      writeMBps: RSS_BYTES / 1e6 / writeS,
    };
  } catch (err) {
    throw new Error(`${err.message}\n${target.describe()}`);
  } finally {
    await target.stop();
  }
}

const TARGETS = [
  { kind: "dittofs-memory", label: "dittofs (memory)" },
  { kind: "dittofs-sqlite-fs", label: "dittofs (sqlite + fs)" },
  { kind: "dittofs-folder", label: "dittofs (sqlite + folder layout)" },
  { kind: "ganesha", label: "nfs-ganesha 4.3 (VFS)" },
];

const METRICS = [
  { key: "seqWriteMBps", label: "sequential write 512 MiB, nfs-cp (MB/s)", higherIsBetter: true },
  { key: "seqReadMBps", label: "sequential read 512 MiB, nfs-cp (MB/s)", higherIsBetter: true },
  { key: "createsPerS", label: `creates/s (${META_FILES.toLocaleString("en")} files)`, higherIsBetter: true },
  { key: "statsPerS", label: "stats/s", higherIsBetter: true },
  { key: "listMs", label: `full listing of ${META_FILES.toLocaleString("en")} entries (ms)`, higherIsBetter: false },
  { key: "removesPerS", label: "removes/s", higherIsBetter: true },
  { key: "syncedPerS", label: `4 KiB files written + COMMIT/s (${(META_FILES / 5).toLocaleString("en")})`, higherIsBetter: true },
];

function renderTable(results, rss, environment) {
  const reference = results.ganesha;
  const dittofsTargets = TARGETS.filter((t) => t.kind !== "ganesha");
  const header = ["metric", ...dittofsTargets.flatMap((t) => [t.label, "÷ ganesha"]), TARGETS.at(-1).label];
  const rows = METRICS.map((metric) => {
    const ref = reference?.[metric.key];
    const cells = dittofsTargets.flatMap((t) => {
      const value = results[t.kind]?.[metric.key];
      return [fmt(value), fmt(value / ref, 2)];
    });
    const label = metric.higherIsBetter ? metric.label : `${metric.label}, lower is better`;
    return [label, ...cells, fmt(ref)];
  });
  const lines = [
    "# DittoFS vs nfs-ganesha (NFSv3 over loopback, same clients, one run)",
    "",
    `${environment.date} · ${environment.cpus} CPUs · Node ${environment.node} · clients: libnfs ${environment.libnfs} (nfs-cp, nfsclient.c)`,
    "",
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
    "",
    `Medians of ${ROUNDS} rounds; each round visits every server in turn. 1 MB = 10^6 bytes.`,
    "÷ ganesha is the DittoFS figure divided by ganesha's (above 1 is better for rates, below 1 for the listing time).",
  ];
  for (const [kind, r] of Object.entries(rss)) {
    const label = TARGETS.find((t) => t.kind === kind).label;
    lines.push(
      r.error
        ? `- ${label}, 2 GiB write: failed (${r.error.split("\n")[0]})`
        : `- ${label}, 2 GiB nfs-cp write into a fresh server: peak RSS ${fmt(r.peakRssMiB, 0)} MiB (${fmt(r.rssBeforeMiB, 0)} MiB before), ${fmt(r.writeMBps)} MB/s`,
    );
  }
  for (const t of TARGETS) {
    if (results[t.kind]?.error) lines.push(`- ${t.label} failed: ${results[t.kind].error.split("\n")[0]}`);
  }
  return `${lines.join("\n")}\n`;
}

/** `--only=ganesha,dittofs-memory` limits the run to some targets (for a quick re-run). */
function selectedKinds(argv) {
  const only = argv.find((arg) => arg.startsWith("--only="));
  const all = TARGETS.map((t) => t.kind);
  if (!only) return all;
  const kinds = only.slice("--only=".length).split(",");
  const unknown = kinds.filter((kind) => !all.includes(kind));
  if (unknown.length) throw new Error(`unknown target ${unknown.join(", ")} (expected some of: ${all.join(", ")})`);
  return kinds;
}

async function main() {
  const kinds = selectedKinds(process.argv.slice(2));
  await requireTools([...NFS_CLIENT_TOOLS, "ganesha.nfsd", "ganesha-vfs"]);
  log("building dittofs and the C client");
  if (kinds.some((kind) => kind.startsWith("dittofs"))) await ensureBuilt();
  const clientBinary = await buildNfsClient();
  const work = mkdtempSync(join(tmpdir(), "dittofs-bench-"));
  cleanups.add(() => rmSync(work, { recursive: true, force: true }));

  log("generating 512 MiB of random data");
  const source = { path: join(work, "seq.bin") };
  source.sha256 = writeRandomFile(source.path, SEQ_BYTES);
  const results = await measureTargets(kinds, clientBinary, source, work);
  rmSync(source.path);

  log("generating 2 GiB of random data");
  const bigPath = join(work, "big.bin");
  writeRandomFile(bigPath, RSS_BYTES);
  const rss = {};
  for (const kind of ["dittofs-sqlite-fs", "dittofs-folder", "ganesha"].filter((k) => kinds.includes(k))) {
    try {
      rss[kind] = await measurePeakRss(kind, bigPath, work);
    } catch (err) {
      log(`${kind} RSS run failed: ${err.message}`);
      rss[kind] = { error: err.message };
    }
  }

  const libnfs = (await run("dpkg-query", ["-W", "-f=${Version}", "libnfs-utils"])).stdout.toString() || "unknown";
  const environment = { date: new Date().toISOString(), cpus: cpus().length, node: process.versions.node, libnfs };
  const table = renderTable(results, rss, environment);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, "results.md"), table);
  writeFileSync(join(OUT_DIR, "results.json"), `${JSON.stringify({ environment, rounds: ROUNDS, results, peakRss: rss }, null, 2)}\n`);
  process.stdout.write(`${table}\n`);
  const failed = Object.values(results).some((r) => r.error) || Object.values(rss).some((r) => r.error);
  return failed ? 1 : 0;
}

await runBenchmark(main, cleanups, DEADLINE_MS);
