#!/usr/bin/env node
/* global process, setInterval, clearInterval */
/**
 * `npm run bench:smb`: DittoFS (sqlite + fs stores) side by side with Samba's smbd on this
 * machine, driven by the same clients in one run:
 *   - smbclient put and get of 512 MiB over SMB 3.1.1 (MB/s, 1 MB = 10^6 bytes), checksum verified;
 *   - through gvfs FUSE mounts of both shares (what a GNOME desktop does): `cp` of a 512 MiB file
 *     in and out (checksum verified), and `cp -r` of 2,000 files of 4 KiB in (files/s);
 *   - DittoFS peak RSS while smbclient puts 2 GiB into a fresh server.
 * Both servers require signing (DittoFS's default, which Windows 11 24H2 insists on; smbd is told
 * `server signing = mandatory`), so every message is MACed on both sides; no encryption.
 * Each workload runs ROUNDS times per server, interleaved; the table shows medians. Prints a table
 * and writes bench/out/smb-results.md and bench/out/smb-results.json. Every process it starts is
 * stopped by PID, also on failure, and the whole run is bounded by a deadline.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, ensureBuilt, startDittofs, writeDittofsConfig } from "../e2e/helpers/dittofs.mjs";
import { fileSha256, writeRandomFile } from "../e2e/helpers/nfsclient.mjs";
import { freePorts } from "../e2e/helpers/ports.mjs";
import { run, runOk } from "../e2e/helpers/proc.mjs";
import { requireTools } from "../e2e/helpers/tools.mjs";
import { gvfsMountSmb, requireGvfs, startGvfsSession } from "./lib/gvfs.mjs";
import { Cleanups, fmt, log, median, runBenchmark, timed } from "./lib/run-support.mjs";
import { startSamba } from "./lib/samba.mjs";

const MiB = 1024 * 1024;
const SEQ_BYTES = 512 * MiB;
const RSS_BYTES = 2048 * MiB;
const SMALL_FILES = 2000;
const SMALL_BYTES = 4096;
/** Rounds per target; the table shows medians. */
const ROUNDS = 3;
const DEADLINE_MS = 30 * 60 * 1000;
const OUT_DIR = join(REPO_ROOT, "bench/out");
/** Both servers share a `share` and know this login (smbd maps it to the Unix account of that name). */
const USER = "root";
const PASSWORD = randomBytes(12).toString("base64url");
const PASSWORD_ENV = "DITTOFS_BENCH_SMB_PASSWORD";
/** The same smbclient options for both servers: SMB 3.1.1 only, signing as the server asks. */
const SMBCLIENT_OPTIONS = ["-m", "SMB3_11", "--option=client min protocol=SMB3_11"];

const cleanups = new Cleanups();

async function startTarget(kind, work) {
  const dir = mkdtempSync(join(work, `${kind}-`));
  if (kind === "samba") {
    const [port] = await freePorts(1);
    const server = await startSamba({ dir, port, user: USER, password: PASSWORD });
    return { pid: server.pid, port, describe: () => server.describe(), stop: cleanups.add(() => server.stop()) };
  }
  const [nfsPort, port] = await freePorts(2);
  const uid = process.getuid();
  const gid = process.getgid();
  const config = writeDittofsConfig(dir, {
    nfsPort,
    logLevel: "warn",
    metadata: "sqlite",
    content: "fs",
    smb: { enabled: true, bind: "127.0.0.1", port, users: [{ name: USER, password: `env:${PASSWORD_ENV}`, uid, gid }] },
    shares: [{ name: "/share", root: { uid, gid, mode: 0o755 } }],
  });
  const server = await startDittofs(config, { env: { [PASSWORD_ENV]: PASSWORD } });
  return { pid: server.pid, port, describe: () => server.describe(), stop: cleanups.add(() => server.stop()) };
}

/** Runs smbclient `commands` on the target's share from `cwd`; throws with its output on any failure. */
async function smbclient(target, commands, cwd) {
  const result = await run("smbclient", ["//127.0.0.1/share", "-p", String(target.port), "-U", USER, ...SMBCLIENT_OPTIONS, "-c", commands], {
    env: { ...process.env, PASSWD: PASSWORD },
    timeoutMs: 600_000,
    cwd,
  });
  const out = `${result.stdout}${result.stderr}`;
  if (result.code !== 0 || /NT_STATUS_(?!OK)/.test(out)) {
    throw new Error(`smbclient -c '${commands}' failed (exit ${result.code}${result.timedOut ? ", timed out" : ""}):\n${out}`);
  }
}

async function expectSame(path, sha256, what) {
  const got = await fileSha256(path);
  rmSync(path);
  if (got !== sha256) throw new Error(`${what} differs: sha256 ${got}, wrote ${sha256}`);
}

async function measureSmbclient(target, source, work) {
  const putS = await timed(() => smbclient(target, "put seq.bin seq.bin", work));
  const getS = await timed(() => smbclient(target, "get seq.bin seq.back", work));
  await expectSame(join(work, "seq.back"), source.sha256, "512 MiB got back with smbclient");
  await smbclient(target, "del seq.bin", work);
  return { putMBps: SEQ_BYTES / 1e6 / putS, getMBps: SEQ_BYTES / 1e6 / getS };
}

async function measureGvfs(target, source, smallDir, work, round) {
  const mount = target.mount.path;
  const remote = join(mount, "gvfs-seq.bin");
  const back = join(work, "gvfs-seq.back");
  const inS = await timed(() => runOk("cp", [source.path, remote], { timeoutMs: 600_000 }));
  const outS = await timed(() => runOk("cp", [remote, back], { timeoutMs: 600_000 }));
  await expectSame(back, source.sha256, "512 MiB copied back out of the gvfs mount");
  rmSync(remote);
  // A fresh directory per round; all of them go away with the server's temp dir.
  const smallRemote = join(mount, `small-${round}`);
  const smallS = await timed(() => runOk("cp", ["-r", smallDir, smallRemote], { timeoutMs: 600_000 }));
  // Checked by name (stat), not through a listing, so the check does not depend on directory paging.
  const wrong = readdirSync(smallDir).filter((name) => statSync(join(smallRemote, name), { throwIfNoEntry: false })?.size !== SMALL_BYTES);
  if (wrong.length) throw new Error(`cp -r of ${SMALL_FILES} files: ${wrong.length} missing or of the wrong size in ${smallRemote}, e.g. ${wrong[0]}`);
  return { gvfsInMBps: SEQ_BYTES / 1e6 / inS, gvfsOutMBps: SEQ_BYTES / 1e6 / outS, smallFilesPerS: SMALL_FILES / smallS };
}

/**
 * Starts both servers and one gvfs session mounting both shares, then runs ROUNDS rounds, each
 * visiting every server in turn (so a noisy moment on this shared machine hits both alike), and
 * reports per-metric medians.
 */
async function measureTargets(kinds, source, smallDir, work) {
  const running = [];
  const results = {};
  const session = await startGvfsSession(mkdtempSync(join(work, "gvfs-")));
  const stopSession = cleanups.add(() => session.stop());
  for (const kind of kinds) {
    log(`starting ${kind}`);
    try {
      const target = await startTarget(kind, work);
      running.push({ kind, target, rounds: [] });
      target.mount = await gvfsMountSmb(session, { port: target.port, share: "share", user: USER, password: PASSWORD });
    } catch (err) {
      log(`${kind} did not start or mount: ${err.message}`);
      results[kind] = { error: err.message };
    }
  }
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      log(`round ${round} of ${ROUNDS}`);
      for (const entry of running.filter((e) => !results[e.kind])) {
        try {
          log(`${entry.kind}: smbclient put/get 512 MiB`);
          const smb = await measureSmbclient(entry.target, source, work);
          log(`${entry.kind}: gvfs cp 512 MiB in/out, cp -r ${SMALL_FILES} files`);
          const gvfs = await measureGvfs(entry.target, source, smallDir, work, round);
          entry.rounds.push({ ...smb, ...gvfs });
        } catch (err) {
          log(`${entry.kind} failed: ${err.message}`);
          results[entry.kind] = { error: `${err.message}\n${entry.target.describe()}` };
        }
      }
    }
  } finally {
    for (const { target } of running) await target.mount?.unmount();
    await stopSession();
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

/** Peak RSS of a fresh DittoFS while smbclient puts the 2 GiB file in `work`/big.bin into it. */
async function measurePeakRss(work) {
  log("dittofs: peak RSS while smbclient puts 2 GiB");
  const target = await startTarget("dittofs", work);
  try {
    const before = memoryStatus(target.pid);
    let sampledPeak = before.rss;
    const sampler = setInterval(() => {
      try {
        sampledPeak = Math.max(sampledPeak, memoryStatus(target.pid).rss);
      } catch {
        // The process is gone; the put below reports why.
      }
    }, 100);
    let putS;
    try {
      putS = await timed(() => smbclient(target, "put big.bin big.bin", work));
    } finally {
      clearInterval(sampler);
    }
    const after = memoryStatus(target.pid);
    return { rssBeforeMiB: before.rss / MiB, peakRssMiB: Math.max(after.hwm, sampledPeak) / MiB, putMBps: RSS_BYTES / 1e6 / putS };
  } catch (err) {
    throw new Error(`${err.message}\n${target.describe()}`);
  } finally {
    await target.stop();
  }
}

const TARGETS = [
  { kind: "dittofs", label: "dittofs (sqlite + fs)" },
  { kind: "samba", label: "Samba smbd" },
];

/** Ratio targets from issue 9 (DittoFS ÷ smbd). */
const TARGET_RATIO = 1.0;
const RSS_LIMIT_MiB = 250;

const METRICS = [
  { key: "putMBps", label: "smbclient put 512 MiB (MB/s)" },
  { key: "getMBps", label: "smbclient get 512 MiB (MB/s)" },
  { key: "gvfsInMBps", label: "gvfs `cp` 512 MiB in (MB/s)" },
  { key: "gvfsOutMBps", label: "gvfs `cp` 512 MiB out (MB/s)" },
  { key: "smallFilesPerS", label: `gvfs \`cp -r\` ${SMALL_FILES.toLocaleString("en")} × 4 KiB in (files/s)` },
];

function renderTable(results, rss, environment) {
  const reference = results.samba;
  const header = ["metric", TARGETS[0].label, "÷ smbd", `target ≥ ${TARGET_RATIO.toFixed(1)}`, `${TARGETS[1].label} ${environment.samba}`];
  const rows = METRICS.map((metric) => {
    const value = results.dittofs?.[metric.key];
    const ref = reference?.[metric.key];
    const ratio = value / ref;
    const verdict = Number.isFinite(ratio) ? (ratio >= TARGET_RATIO ? "met" : "missed") : "n/a";
    return [metric.label, fmt(value), fmt(ratio, 2), verdict, fmt(ref)];
  });
  const lines = [
    "# DittoFS vs Samba's smbd (SMB 3.1.1 over loopback, same clients, one run)",
    "",
    `${environment.date} · ${environment.cpus} CPUs · Node ${environment.node} · clients: smbclient ${environment.smbclient}, gvfs ${environment.gvfs} (FUSE)`,
    "",
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
    "",
    `Medians of ${ROUNDS} rounds; each round visits every server in turn. 1 MB = 10^6 bytes. ÷ smbd is the DittoFS figure divided by smbd's.`,
    "Both servers require signing (DittoFS by default, smbd with `server signing = mandatory`), so every message is signed on both (checked for smbd with smbclient -d 10: AES-GMAC on SMB 3.1.1). No encryption.",
  ];
  if (rss.error) lines.push(`- dittofs, 2 GiB smbclient put: failed (${rss.error.split("\n")[0]})`);
  else if (rss.peakRssMiB !== undefined) {
    const verdict = rss.peakRssMiB < RSS_LIMIT_MiB ? "under" : "OVER";
    lines.push(
      `- dittofs, 2 GiB smbclient put into a fresh server: peak RSS ${fmt(rss.peakRssMiB, 0)} MiB (${verdict} the ${RSS_LIMIT_MiB} MiB target; ${fmt(rss.rssBeforeMiB, 0)} MiB before), ${fmt(rss.putMBps)} MB/s`,
    );
  }
  for (const t of TARGETS) {
    if (results[t.kind]?.error) lines.push(`- ${t.label} failed: ${results[t.kind].error.split("\n")[0]}`);
  }
  return `${lines.join("\n")}\n`;
}

/** `--only=samba` or `--only=dittofs` limits the run to one server (for a quick re-run). */
function selectedKinds(argv) {
  const only = argv.find((arg) => arg.startsWith("--only="));
  const all = TARGETS.map((t) => t.kind);
  if (!only) return all;
  const kinds = only.slice("--only=".length).split(",");
  const unknown = kinds.filter((kind) => !all.includes(kind));
  if (unknown.length) throw new Error(`unknown target ${unknown.join(", ")} (expected some of: ${all.join(", ")})`);
  return kinds;
}

async function packageVersion(name) {
  return (await run("dpkg-query", ["-W", "-f=${Version}", name])).stdout.toString() || "unknown";
}

async function main() {
  const kinds = selectedKinds(process.argv.slice(2));
  await requireTools(["smbclient"]);
  requireGvfs();
  if (kinds.includes("dittofs")) {
    log("building dittofs");
    await ensureBuilt();
  }
  const work = mkdtempSync(join(tmpdir(), "dittofs-bench-smb-"));
  cleanups.add(() => rmSync(work, { recursive: true, force: true }));

  log(`generating 512 MiB of random data and ${SMALL_FILES} small files`);
  const source = { path: join(work, "seq.bin") };
  source.sha256 = writeRandomFile(source.path, SEQ_BYTES);
  const smallDir = join(work, "small");
  mkdirSync(smallDir);
  for (let i = 0; i < SMALL_FILES; i++) writeFileSync(join(smallDir, `f${String(i).padStart(4, "0")}.bin`), randomBytes(SMALL_BYTES));
  const results = await measureTargets(kinds, source, smallDir, work);
  rmSync(source.path);
  rmSync(smallDir, { recursive: true });

  let rss = {};
  if (kinds.includes("dittofs")) {
    log("generating 2 GiB of random data");
    writeRandomFile(join(work, "big.bin"), RSS_BYTES);
    try {
      rss = await measurePeakRss(work);
    } catch (err) {
      log(`dittofs RSS run failed: ${err.message}`);
      rss = { error: err.message };
    }
  }

  const environment = {
    date: new Date().toISOString(),
    cpus: cpus().length,
    node: process.versions.node,
    smbclient: await packageVersion("smbclient"),
    samba: await packageVersion("samba"),
    gvfs: await packageVersion("gvfs-backends"),
  };
  const table = renderTable(results, rss, environment);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, "smb-results.md"), table);
  writeFileSync(join(OUT_DIR, "smb-results.json"), `${JSON.stringify({ environment, rounds: ROUNDS, results, peakRss: rss }, null, 2)}\n`);
  process.stdout.write(`${table}\n`);
  const failed = Object.values(results).some((r) => r.error) || rss.error !== undefined;
  return failed ? 1 : 0;
}

await runBenchmark(main, cleanups, DEADLINE_MS);
