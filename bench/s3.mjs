#!/usr/bin/env node
/* global process */
/**
 * `npm run bench:s3`: DittoFS's S3 content store and PostgreSQL metadata store, each measured
 * side by side with a baseline in one run, against one s3rver and one private PostgreSQL:
 *   1. copy 1 GiB into an S3 share (bucket layout, the default, with its sqlite listing cache) with nfs-cp, timed until the
 *      object is fully in S3, vs a direct lib-storage Upload of the same file (16 MiB parts,
 *      8 in flight: the store's part size and concurrency);
 *   2. read it back cold (server restarted, cache dir removed) with nfs-cp, vs 8 parallel 4 MiB
 *      ranged GETs of the same object written in order to a file (the store's chunk size and
 *      read-ahead); then read it warm (cache populated) vs a sqlite + fs share;
 *   3. 5,000 files created, stat'ed, listed, removed (C client `bench-meta`) with PostgreSQL
 *      metadata vs sqlite metadata, both over fs content.
 * The 1 GiB workloads run 3 rounds, the metadata one 3 rounds per store (`--rounds=N`,
 * `--meta-rounds=N`), DittoFS and baseline swapping order each round; the tables show medians,
 * with the CPU seconds each process spent, since on a small machine the client, s3rver and
 * DittoFS compete for the same CPUs. Every read-back is checked against the source's sha256
 * after its timing. Prints the tables and writes bench/out/s3-results.md and .json. Every
 * process it starts is stopped by PID, also on failure, and the whole run is bounded by a deadline.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { REPO_ROOT, ensureBuilt, startDittofs, writeDittofsConfig } from "../e2e/helpers/dittofs.mjs";
import { buildNfsClient, fileSha256, NfsClient, nfsCp, nfsLs, writeRandomFile } from "../e2e/helpers/nfsclient.mjs";
import { freePort } from "../e2e/helpers/ports.mjs";
import { startPostgres } from "../e2e/helpers/postgres.mjs";
import { run } from "../e2e/helpers/proc.mjs";
import { s3ClientFor, startS3rver } from "../e2e/helpers/s3rver.mjs";
import { NFS_CLIENT_TOOLS, requireTools } from "../e2e/helpers/tools.mjs";
import { Cleanups, fmt, log, measured, median, runBenchmark, timed } from "./lib/run-support.mjs";
import { downloadRanged, uploadFile, waitForObject } from "./lib/s3-transfer.mjs";

const MiB = 1024 * 1024;
const BIG_BYTES = 1024 * MiB;
const META_FILES = 5000;
/** Objects in the directory the listing workload lists (bucket layout). */
const LIST_OBJECTS = 10_000;
const LIST_ROUNDS = 3;
/** Listings from the cache per round, of which the median counts. */
const REPEATED_LISTINGS = 5;
/** The S3 store's defaults (core/config/schema.ts), which the baselines mirror. */
const PART_SIZE = 16 * MiB;
const CONCURRENCY = 8;
/** The disk cache fetches 4 MiB chunks, `read_ahead` (16) of them ahead of a sequential reader. */
const READ_CHUNK = 4 * MiB;
const READ_AHEAD = 16;
const DEFAULT_ROUNDS = { big: 3, meta: 3 };
const DEADLINE_MS = 13 * 60 * 1000;
const BUCKET = "dittofs-bench";
const OUT_DIR = join(REPO_ROOT, "bench/out");
/** tmpfs, for the source file and the read-back copies. */
const RAM_DIR = "/dev/shm";

const cleanups = new Cleanups();

/** A dittofs server that can be restarted on its config, stopped by PID at the latest by cleanups. */
async function startServer(label, dir, options, env = {}) {
  const config = writeDittofsConfig(dir, { nfsPort: await freePort(), logLevel: "warn", ...options });
  const handle = { label, dir, server: undefined, stop: async () => {} };
  handle.start = async () => {
    const server = await startDittofs(config, { env });
    handle.server = server;
    handle.stop = cleanups.add(() => server.stop());
  };
  handle.url = (path = "") => handle.server.url({ path });
  handle.describe = () => handle.server?.describe() ?? `${label}: not started`;
  await handle.start();
  return handle;
}

/** `fn` with the server's output attached to any error. */
async function explained(handle, fn) {
  try {
    return await fn();
  } catch (err) {
    throw new Error(`${handle.label}: ${err.message}\n${handle.describe()}`, { cause: err });
  }
}

/** Copies a share's file out with nfs-cp, measured; then checks its bytes (unmeasured). */
async function measuredNfsRead(pids, url, out, source) {
  const step = await measured(pids, () => nfsCp(url, out, { timeoutMs: 300_000 }));
  await expectSha(out, source.sha256, `nfs-cp of ${url}`);
  return step;
}

async function expectSha(path, sha256, what) {
  const got = await fileSha256(path);
  rmSync(path);
  if (got !== sha256) throw new Error(`${what}: sha256 ${got}, expected ${sha256}`);
}

/**
 * Workload 1, DittoFS side: nfs-cp into the share, measured until the object is whole in S3.
 * Also notes when nfs-cp returned and when s3rver first held a multipart upload open.
 */
async function copyIntoS3Share(ctx, share, prefix) {
  const start = performance.now();
  let copyReturned;
  let object;
  const step = await measured({ dittofs: share.server.pid, s3rver: ctx.s3.child.pid }, async () => {
    await nfsCp(ctx.source.path, share.url("/big.bin"), { timeoutMs: 300_000 });
    copyReturned = performance.now();
    object = await waitForObject(ctx.sdk, { s3rverDir: ctx.s3.dir, bucket: BUCKET, prefix, size: BIG_BYTES });
  });
  step.nfsCpS = (copyReturned - start) / 1000;
  step.uploadOpenS = object.firstUploadAt === undefined ? NaN : (object.firstUploadAt - start) / 1000;
  step.multipartUploads = object.uploadIds.length;
  return { step, object };
}

/** Runs the steps in order on odd rounds, in reverse order on even ones. */
async function alternating(round, steps) {
  for (const step of round % 2 === 1 ? steps : [...steps].reverse()) await step();
}

/** One round of workloads 1 and 2 on a fresh S3 share under its own prefix. */
async function bigRound(ctx, round) {
  const prefix = `round${round}/`;
  const directKey = `direct/round${round}.bin`;
  const out = join(ctx.scratch, "out.bin");
  const share = await startServer(`dittofs s3 round ${round}`, mkdtempSync(join(ctx.work, "s3-share-")), {
    metadata: "sqlite",
    content: {
      s3: { layout: "bucket", endpoint: ctx.s3.endpoint, bucket: BUCKET, prefix, accessKeyEnv: "BENCH_S3_KEY", secretKeyEnv: "BENCH_S3_SECRET" },
    },
  }, ctx.s3Env);
  const s3Only = () => ({ s3rver: ctx.s3.child.pid });
  const withShare = () => ({ dittofs: share.server.pid, s3rver: ctx.s3.child.pid });
  return explained(share, async () => {
    const steps = {};
    let object;
    await alternating(round, [
      async () => {
        log(`round ${round}: nfs-cp 1 GiB into the S3 share, until it is in S3`);
        ({ step: steps.copyIn, object } = await copyIntoS3Share(ctx, share, prefix));
      },
      async () => {
        log(`round ${round}: direct Upload of 1 GiB`);
        steps.upload = await measured(s3Only(), () =>
          uploadFile(ctx.sdk, { bucket: BUCKET, key: directKey, path: ctx.source.path, partSize: PART_SIZE, queueSize: CONCURRENCY }),
        );
      },
    ]);
    await ctx.sdk.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: directKey }));

    log(`round ${round}: restart without the cache dir`);
    await share.stop();
    rmSync(join(share.dir, "cache"), { recursive: true, force: true });
    await share.start();
    await alternating(round, [
      async () => {
        log(`round ${round}: cold read through nfs-cp`);
        steps.coldRead = await measuredNfsRead(withShare(), share.url("/big.bin"), out, ctx.source);
      },
      async () => {
        log(`round ${round}: ${READ_AHEAD} parallel ${READ_CHUNK / MiB} MiB ranged GETs`);
        steps.rangedGets = await measured(s3Only(), () =>
          downloadRanged(ctx.sdk, { bucket: BUCKET, key: object.key, size: BIG_BYTES, path: out, chunkSize: READ_CHUNK, concurrency: READ_AHEAD }),
        );
        await expectSha(out, ctx.source.sha256, "ranged download");
      },
    ]);
    // The cold read proved the object's bytes; it must also be the object the timing stopped at.
    const head = await ctx.sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: object.key }));
    if (head.ETag !== object.etag) throw new Error(`object ${object.key} changed after the timing stopped: ETag ${object.etag}, then ${head.ETag}`);

    await alternating(round, [
      async () => {
        log(`round ${round}: warm read, S3 share`);
        steps.warmRead = await measuredNfsRead(withShare(), share.url("/big.bin"), out, ctx.source);
      },
      async () => {
        log(`round ${round}: warm read, sqlite + fs share`);
        steps.fsRead = await explained(ctx.fsShare, () => measuredNfsRead({ dittofs: ctx.fsShare.server.pid }, ctx.fsShare.url("/big.bin"), out, ctx.source));
      },
    ]);

    await share.stop();
    await ctx.sdk.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: object.key }));
    rmSync(share.dir, { recursive: true, force: true });
    return { round, ...steps };
  });
}

/** Workload 3: bench-meta on each metadata store, rounds interleaved, order alternating. */
async function metaRounds(ctx, rounds) {
  const targets = [
    { kind: "postgres", share: ctx.pgShare, runs: [] },
    { kind: "sqlite", share: ctx.fsShare, runs: [] },
  ];
  for (let round = 1; round <= rounds; round++) {
    await alternating(
      round,
      targets.map((target) => async () => {
        log(`metadata round ${round}: ${target.kind}, ${META_FILES} files`);
        const client = new NfsClient(ctx.clientBinary, target.share.url());
        let meta;
        const { seconds, cpu } = await explained(target.share, () =>
          measured(
            { dittofs: target.share.server.pid },
            async () => {
              meta = await client.json("bench-meta", `/meta-${round}`, String(META_FILES));
            },
            target.kind === "postgres" ? { postgres: ctx.postgres.pid } : {},
          ),
        );
        target.runs.push({
          createsPerS: meta.creates_per_s,
          statsPerS: meta.stats_per_s,
          listMs: meta.list_s * 1000,
          removesPerS: meta.removes_per_s,
          seconds,
          cpu,
        });
      }),
    );
  }
  return Object.fromEntries(targets.map((t) => [t.kind, t.runs]));
}

/**
 * Bucket layout: a directory of LIST_OBJECTS objects listed through NFS (nfs-ls), first with an
 * empty listing cache and then again from the cache, vs a ListObjectsV2 walk of the same prefix
 * with the SDK (1,000 keys a page, the same delimiter). Each round uses a fresh cache (a new
 * server on a new metadata database) over the same objects.
 */
async function listingRounds(ctx) {
  const sharePrefix = "listing/";
  log(`putting ${LIST_OBJECTS.toLocaleString("en")} objects into the bucket`);
  for (let i = 0; i < LIST_OBJECTS; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, LIST_OBJECTS - i) }, (_, j) =>
        ctx.sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${sharePrefix}photos/img${String(i + j).padStart(5, "0")}.jpg`, Body: "x" })),
      ),
    );
  }
  const walk = async () => {
    let keys = 0;
    let token;
    do {
      const page = await ctx.sdk.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${sharePrefix}photos/`, Delimiter: "/", ContinuationToken: token }));
      keys += page.KeyCount ?? 0;
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  };
  const runs = [];
  for (let round = 1; round <= LIST_ROUNDS; round++) {
    const share = await startServer(`dittofs bucket layout (listing round ${round})`, join(ctx.work, `listing-${round}`), {
      metadata: "sqlite",
      content: {
        s3: { layout: "bucket", endpoint: ctx.s3.endpoint, bucket: BUCKET, prefix: sharePrefix, accessKeyEnv: "BENCH_S3_KEY", secretKeyEnv: "BENCH_S3_SECRET", listTtl: "1h" },
      },
    }, ctx.s3Env);
    const timedList = async () => {
      let entries = 0;
      const seconds = await timed(async () => {
        entries = (await nfsLs(share.url("/photos"))).length;
      });
      if (entries !== LIST_OBJECTS) throw new Error(`nfs-ls listed ${entries} entries, expected ${LIST_OBJECTS}`);
      return seconds;
    };
    const result = await explained(share, async () => {
      let keys = 0;
      const direct = await timed(async () => {
        keys = await walk();
      });
      if (keys !== LIST_OBJECTS) throw new Error(`ListObjectsV2 walked ${keys} keys, expected ${LIST_OBJECTS}`);
      const first = await timedList();
      // Repeated listings take a tenth of a second: the median of a few keeps a stray scheduling delay out.
      const repeats = [];
      for (let i = 0; i < REPEATED_LISTINGS; i++) repeats.push(await timedList());
      return { direct, first, repeated: median(repeats) };
    });
    log(`listing round ${round}: walk ${fmt(result.direct, 2)} s, first nfs-ls ${fmt(result.first, 2)} s, repeated ${fmt(result.repeated, 3)} s`);
    runs.push(result);
    await share.stop();
  }
  return runs;
}

function medianOf(runs, key) {
  return median(runs.map((r) => r[key]));
}

const MB = (seconds) => BIG_BYTES / 1e6 / seconds;

/** The 1 GiB steps, each with its median over the rounds of seconds and of every CPU figure. */
function bigMedians(big) {
  const steps = {};
  for (const name of Object.keys(big[0]).filter((key) => key !== "round")) {
    const runs = big.map((round) => round[name]);
    const cpu = Object.fromEntries(Object.keys(runs[0].cpu).map((proc) => [proc, median(runs.map((r) => r.cpu[proc]))]));
    steps[name] = { seconds: medianOf(runs, "seconds"), cpu };
  }
  const copies = big.map((round) => round.copyIn);
  Object.assign(steps.copyIn, {
    nfsCpS: medianOf(copies, "nfsCpS"),
    uploadOpenS: medianOf(copies, "uploadOpenS"),
    uploadPhaseS: median(copies.map((copy) => copy.seconds - copy.uploadOpenS)),
  });
  return steps;
}

const STEP_LABELS = {
  copyIn: ["copy in, S3 share (until in S3)", "nfs-cp"],
  upload: ["lib-storage Upload", "SDK (this process)"],
  coldRead: ["cold read, S3 share", "nfs-cp"],
  rangedGets: ["ranged GETs", "SDK (this process)"],
  warmRead: ["warm read, S3 share", "nfs-cp"],
  fsRead: ["warm read, sqlite + fs share", "nfs-cp"],
};

function renderTables({ environment, rounds, big, fsWrite, meta, listing }) {
  const steps = bigMedians(big);
  const s = (name) => steps[name].seconds;
  const verdict = (met) => (met ? "yes" : "**no**");
  const timeCell = (label, seconds) => `${label}: ${fmt(seconds, 2)} s (${fmt(MB(seconds))} MB/s)`;
  const ratioRow = (label, ours, theirs, theirsLabel) =>
    `| ${label} | ${timeCell("S3 share", s(ours))} | ${timeCell(theirsLabel, s(theirs))} | ${fmt(s(ours) / s(theirs), 2)} | ≤ 1.25 | ${verdict(s(ours) / s(theirs) <= 1.25)} |`;
  const warmSpeedRatio = s("fsRead") / s("warmRead");
  const metaMetrics = [
    { key: "createsPerS", label: `creates/s (${META_FILES.toLocaleString("en")} files)` },
    { key: "statsPerS", label: "stats/s" },
    { key: "listMs", label: `full listing of ${META_FILES.toLocaleString("en")} entries (ms), lower is better` },
    { key: "removesPerS", label: "removes/s" },
  ];
  const copy = steps.copyIn;
  const lines = [
    "# DittoFS S3 content store and PostgreSQL metadata store (NFSv3 over loopback, one run)",
    "",
    `${environment.date} · ${environment.cpus} CPUs (${environment.cpuModel}) · Node ${environment.node} · dittofs ${environment.dittofs} · ` +
      `libnfs ${environment.libnfs} (nfs-cp, nfsclient.c) · s3rver ${environment.s3rver} · @aws-sdk ${environment.awsSdk} · PostgreSQL ${environment.postgres}`,
    "",
    `Load average at the start: ${environment.loadAverage.join(", ")}. The whole run took ${fmt(environment.runMinutes, 1)} min.`,
    "",
    `## 1 GiB through an S3 share (bucket layout with a sqlite listing cache, store defaults: ${PART_SIZE / MiB} MiB parts, concurrency ${CONCURRENCY}, read_ahead ${READ_AHEAD})`,
    "",
    "| workload | DittoFS | baseline, same s3rver | ratio | target | met |",
    "|---|---|---|---|---|---|",
    ratioRow("copy in with nfs-cp, until the object is whole in S3", "copyIn", "upload", `lib-storage Upload, ${PART_SIZE / MiB} MiB parts × ${CONCURRENCY}`),
    ratioRow("cold read with nfs-cp (restarted, cache dir removed)", "coldRead", "rangedGets", `${READ_AHEAD} × ${READ_CHUNK / MiB} MiB ranged GETs in order to a file`),
    `| warm read with nfs-cp (cache populated) | ${timeCell("S3 share", s("warmRead"))} | ${timeCell("sqlite + fs share", s("fsRead"))} | ${fmt(warmSpeedRatio, 2)} (speed) | ≥ 1.00 | ${verdict(warmSpeedRatio >= 1)} |`,
    "",
    `Medians of ${rounds.big} rounds (DittoFS and baseline swap order each round). Ratio = DittoFS time ÷ baseline time; for the warm read, S3 share speed ÷ fs share speed. 1 MB = 10^6 bytes. ` +
      `The source and every read-back copy are files in ${environment.scratchDir}; each copy was checked against the source's sha256 after its timing. ` +
      "Servers keep their data (cache, fs content, s3rver's objects, sqlite) on the local disk.",
    `Copy in: nfs-cp returned after ${fmt(copy.nfsCpS, 2)} s, s3rver first held a multipart upload open at ${fmt(copy.uploadOpenS, 2)} s, the object was whole at ${fmt(copy.seconds, 2)} s: ` +
      `the upload itself took ${fmt(copy.uploadPhaseS, 2)} s, vs ${fmt(s("upload"), 2)} s for lib-storage. ` +
      `Multipart uploads seen per copy: ${big.map((r) => r.copyIn.multipartUploads).join(", ")}. For reference, nfs-cp of the same file into the sqlite + fs share took ${fmt(fsWrite.seconds, 2)} s (${fmt(MB(fsWrite.seconds))} MB/s, one run).`,
    "",
    "CPU seconds spent during each step (medians). The client is nfs-cp, or this process for the SDK baselines; " +
      `“ours ÷ wall” is how many of the ${environment.cpus} CPUs these processes kept busy, “machine ÷ wall” how many were busy in all ` +
      "(from /proc/stat, which agrees with the per-process figures only to about 10 %): well above “ours” means something else was running.",
    "",
    "| step | wall s | dittofs | s3rver | client | ours ÷ wall | machine ÷ wall |",
    "|---|---|---|---|---|---|---|",
    ...Object.entries(STEP_LABELS).map(([name, [label, client]]) => {
      const { seconds, cpu } = steps[name];
      const total = (cpu.dittofs ?? 0) + (cpu.s3rver ?? 0) + cpu.client;
      const cell = (value) => (value === undefined ? "–" : fmt(value, 2));
      return `| ${label} | ${fmt(seconds, 2)} | ${cell(cpu.dittofs)} | ${cell(cpu.s3rver)} | ${fmt(cpu.client, 2)} (${client}) | ${fmt(total / seconds, 2)} | ${fmt(cpu.machine / seconds, 2)} |`;
    }),
    "",
    "Per round (s): " +
      big
        .map(
          (r) =>
            `#${r.round} copy in ${fmt(r.copyIn.seconds, 2)} (nfs-cp ${fmt(r.copyIn.nfsCpS, 2)}) / Upload ${fmt(r.upload.seconds, 2)} · ` +
            `cold ${fmt(r.coldRead.seconds, 2)} / GETs ${fmt(r.rangedGets.seconds, 2)} · warm ${fmt(r.warmRead.seconds, 2)} / fs ${fmt(r.fsRead.seconds, 2)}`,
        )
        .join("; "),
    "",
    "## Metadata: PostgreSQL vs sqlite (fs content, C client `bench-meta`)",
    "",
    "| metric | dittofs (postgres + fs) | dittofs (sqlite + fs) | postgres ÷ sqlite |",
    "|---|---|---|---|",
    ...metaMetrics.map(({ key, label }) => {
      const pg = medianOf(meta.postgres, key);
      const lite = medianOf(meta.sqlite, key);
      return `| ${label} | ${fmt(pg)} | ${fmt(lite)} | ${fmt(pg / lite, 2)} |`;
    }),
    "",
    `Medians of ${rounds.meta} rounds per store, interleaved (order swapped each round). PostgreSQL: a private cluster on 127.0.0.1 ` +
      "(fsync, synchronous_commit and full_page_writes off; see e2e/helpers/postgres.mjs), reached over TCP.",
    ...["postgres", "sqlite"].map((kind) => {
      const runs = meta[kind];
      const seconds = medianOf(runs, "seconds");
      const cpu = (proc) => median(runs.map((r) => r.cpu[proc]));
      const server = kind === "postgres" ? `, PostgreSQL (all its processes) ${fmt(cpu("postgres"), 2)}` : "";
      return `- ${kind}: a whole bench-meta run took ${fmt(seconds, 2)} s; CPU seconds meanwhile: dittofs ${fmt(cpu("dittofs"), 2)}${server}, C client ${fmt(cpu("client"), 2)}, machine ${fmt(cpu("machine"), 2)} (${fmt(cpu("machine") / seconds, 2)} CPUs busy).`;
    }),
  ];
  const walk = median(listing.map((r) => r.direct));
  const first = median(listing.map((r) => r.first));
  const repeated = median(listing.map((r) => r.repeated));
  lines.push(
    "",
    `## Listing a directory of ${LIST_OBJECTS.toLocaleString("en")} objects (bucket layout, sqlite listing cache)`,
    "",
    "| workload | time | ratio | target | met |",
    "|---|---|---|---|---|",
    `| ListObjectsV2 walk with the SDK (1,000 keys a page) | ${fmt(walk, 2)} s | – | – | – |`,
    `| first nfs-ls through DittoFS (empty cache) | ${fmt(first, 2)} s | ${fmt(first / walk, 2)} × the walk | ≤ 1.5 | ${first / walk <= 1.5 ? "yes" : "**no**"} |`,
    `| repeated nfs-ls (from the cache, median of ${REPEATED_LISTINGS} per round) | ${fmt(repeated, 3)} s | ${fmt(first / repeated, 1)} × faster than the first | ≥ 20 | ${first / repeated >= 20 ? "yes" : "**no**"} |`,
    "",
    `Medians of ${listing.length} rounds, each on a fresh server and listing cache; nfs-ls times include starting the process and mounting.`,
  );
  return `${lines.join("\n")}\n`;
}

/** `--rounds=N` (1 GiB rounds) and `--meta-rounds=N`, for a quick run. */
function parseRounds(argv) {
  const rounds = { ...DEFAULT_ROUNDS };
  for (const arg of argv) {
    const match = /^--(rounds|meta-rounds)=(\d+)$/.exec(arg);
    if (!match || Number(match[2]) < 1) throw new Error(`unknown argument ${arg} (expected --rounds=N or --meta-rounds=N, N ≥ 1)`);
    rounds[match[1] === "rounds" ? "big" : "meta"] = Number(match[2]);
  }
  return rounds;
}

function packageVersion(name) {
  return JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")).version;
}

async function describeEnvironment(postgres) {
  const text = async (cmd, args) => (await run(cmd, args).catch(() => ({ stdout: "" }))).stdout.toString().trim() || "unknown";
  const [pgVersion] = await postgres.query("postgres", "SHOW server_version");
  return {
    date: new Date().toISOString(),
    cpus: cpus().length,
    /** 1, 5 and 15 minute load averages when the run started: others' jobs skew the figures. */
    loadAverage: loadavg().map((load) => Number(load.toFixed(2))),
    cpuModel: cpus()[0]?.model ?? "unknown",
    node: process.versions.node,
    dittofs: `${JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).version} (${await text("git", ["-C", REPO_ROOT, "rev-parse", "--short", "HEAD"])})`,
    libnfs: await text("dpkg-query", ["-W", "-f=${Version}", "libnfs-utils"]),
    s3rver: packageVersion("s3rver"),
    awsSdk: packageVersion("@aws-sdk/client-s3"),
    postgres: pgVersion.server_version,
  };
}

async function main() {
  const started = performance.now();
  const rounds = parseRounds(process.argv.slice(2));
  await requireTools(NFS_CLIENT_TOOLS);
  log("building dittofs and the C client");
  await ensureBuilt();
  const clientBinary = await buildNfsClient();
  const work = mkdtempSync(join(tmpdir(), "dittofs-bench-s3-"));
  cleanups.add(() => rmSync(work, { recursive: true, force: true }));
  // The source and the read-back copies live in RAM when we can, so that the disk (and its
  // writeback) only serves the servers' own data: cache, fs content, s3rver's objects.
  const scratch = mkdtempSync(join(existsSync(RAM_DIR) ? RAM_DIR : tmpdir(), "dittofs-bench-s3-io-"));
  cleanups.add(() => rmSync(scratch, { recursive: true, force: true }));

  log("starting s3rver and PostgreSQL");
  const [s3, postgres] = await Promise.all([startS3rver({ buckets: [BUCKET] }), startPostgres()]);
  cleanups.add(() => s3.close());
  cleanups.add(() => postgres.stop());
  const sdk = s3ClientFor(s3);
  cleanups.add(() => sdk.destroy());
  const environment = await describeEnvironment(postgres);

  log("generating 1 GiB of random data");
  const source = { path: join(scratch, "big.bin") };
  source.sha256 = writeRandomFile(source.path, BIG_BYTES);

  const database = await postgres.createDatabase("dittofs_bench");
  const [fsShare, pgShare] = await Promise.all([
    startServer("dittofs sqlite + fs", join(work, "sqlite-fs"), { metadata: "sqlite", content: "fs" }),
    startServer(
      "dittofs postgres + fs",
      join(work, "postgres-fs"),
      { metadata: { postgres: { host: postgres.host, port: postgres.port, database, user: postgres.user, passwordEnv: "BENCH_PG_PASSWORD" } }, content: "fs" },
      { BENCH_PG_PASSWORD: postgres.password },
    ),
  ]);
  log("nfs-cp 1 GiB into the sqlite + fs share (the warm-read reference)");
  const fsWrite = await explained(fsShare, () =>
    measured({ dittofs: fsShare.server.pid }, () => nfsCp(source.path, fsShare.url("/big.bin"), { timeoutMs: 300_000 })),
  );

  const ctx = { work, scratch, s3, sdk, postgres, source, clientBinary, fsShare, pgShare, s3Env: { BENCH_S3_KEY: s3.accessKeyId, BENCH_S3_SECRET: s3.secretAccessKey } };
  const big = [];
  for (let round = 1; round <= rounds.big; round++) big.push(await bigRound(ctx, round));
  const meta = await metaRounds(ctx, rounds.meta);
  const listing = await listingRounds(ctx);

  environment.runMinutes = (performance.now() - started) / 60_000;
  environment.scratchDir = scratch.startsWith(RAM_DIR) ? `${RAM_DIR} (tmpfs)` : tmpdir();
  const results = { environment, rounds, fsWrite, big, meta, listing };
  const tables = renderTables(results);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, "s3-results.md"), tables);
  writeFileSync(join(OUT_DIR, "s3-results.json"), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${tables}\n`);
  return 0;
}

await runBenchmark(main, cleanups, DEADLINE_MS);
