#!/usr/bin/env node
/* global process, Buffer */
/**
 * `npm run bench:s3`: DittoFS's S3 content store and PostgreSQL metadata store, each measured
 * side by side with a baseline in one run, against one s3rver and one private PostgreSQL:
 *   1. copy 1 GiB into an S3 share (bucket layout, the default, with its sqlite listing cache) with nfs-cp, timed until the
 *      object is fully in S3, vs a direct lib-storage Upload of the same file (16 MiB parts,
 *      8 in flight: the store's part size and concurrency);
 *   2. read it back cold (server restarted, cache dir removed) with nfs-cp, vs 8 parallel 4 MiB
 *      ranged GETs of the same object written in order to a file (the store's chunk size and
 *      read-ahead); then read it warm (cache populated) vs a sqlite + fs share;
 *   3. 500 files of 4 KiB, each created, written, committed and closed (C client `put-many`) into
 *      an S3 share (bucket layout), timed from the first CREATE until ListObjectsV2 shows every
 *      object, vs PutObject of the same bytes with the disk cache's upload concurrency (4);
 *   4. 5,000 files created, stat'ed, listed, removed (C client `bench-meta`) with PostgreSQL
 *      metadata vs sqlite metadata, both over fs content;
 *   5. a directory of 10,000 objects listed through the bucket layout vs a ListObjectsV2 walk.
 * The 1 GiB and small-file workloads run 3 rounds, the metadata one 3 rounds per store
 * (`--rounds=N`, `--small-rounds=N`, `--meta-rounds=N`; `--only=1gib,small-files,metadata,listing`
 * runs some of them), DittoFS and baseline swapping order each round; the tables show medians,
 * with the CPU seconds each process spent, since on a small machine the client, s3rver and
 * DittoFS compete for the same CPUs. Every read-back is checked against the source's sha256
 * after its timing. Prints the tables and writes bench/out/s3-results.md and .json. Every
 * process it starts is stopped by PID, also on failure, and the whole run is bounded by a deadline.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { REPO_ROOT, ensureBuilt, startDittofs, writeDittofsConfig } from "../e2e/helpers/dittofs.mjs";
import { buildNfsClient, fileSha256, NfsClient, nfsCp, nfsLs, patternBytes, writeRandomFile } from "../e2e/helpers/nfsclient.mjs";
import { freePort } from "../e2e/helpers/ports.mjs";
import { startPostgres } from "../e2e/helpers/postgres.mjs";
import { run } from "../e2e/helpers/proc.mjs";
import { s3ClientFor, startS3rver } from "../e2e/helpers/s3rver.mjs";
import { NFS_CLIENT_TOOLS, requireTools } from "../e2e/helpers/tools.mjs";
import { Cleanups, fmt, log, measured, median, runBenchmark, timed } from "./lib/run-support.mjs";
import { downloadRanged, putObjects, uploadFile, waitForObject, waitForObjects } from "./lib/s3-transfer.mjs";

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
/** Small files (issue 8): this many files of this size, at least this many files/s until all are in S3. */
const SMALL_FILES = 500;
const SMALL_SIZE = 4 * 1024;
const SMALL_TARGET_FILES_PER_S = 300;
/** The disk cache's uploads in flight (`cache.uploads` in core/config/schema.ts), which the small-file baseline mirrors. */
const UPLOADS = 4;
const DEFAULT_ROUNDS = { big: 3, small: 3, meta: 3 };
const WORKLOADS = ["1gib", "small-files", "metadata", "listing"];
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

/** The bytes put-many writes into file number `index` (nfsclient.c's pattern, seeded with the number). */
function smallFileBytes(index) {
  return patternBytes(0, SMALL_SIZE, index);
}

/** GETs `key` and checks it holds file number `index`'s bytes. */
async function expectSmallObject(sdk, key, index) {
  const out = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const got = Buffer.from(await out.Body.transformToByteArray());
  if (!got.equals(smallFileBytes(index))) throw new Error(`object ${key}: ${got.length} bytes, not the ${SMALL_SIZE} bytes file ${index} was written with`);
}

/**
 * Checks that `keys` are SMALL_FILES objects named f000000.. (one per file) and that the first
 * and last hold the bytes written; then deletes them (the listing workload shares the bucket).
 */
async function checkAndDeleteSmallObjects(sdk, keys, what) {
  const indexOf = (key) => Number(/\/?f(\d{6})$/.exec(key)?.[1] ?? NaN);
  const indexes = new Set(keys.map(indexOf));
  for (let i = 0; i < SMALL_FILES; i++) if (!indexes.has(i)) throw new Error(`${what}: no object for file f${String(i).padStart(6, "0")} among ${keys.length} keys`);
  const sorted = [...keys].sort();
  await expectSmallObject(sdk, sorted[0], indexOf(sorted[0]));
  await expectSmallObject(sdk, sorted.at(-1), indexOf(sorted.at(-1)));
  for (let i = 0; i < sorted.length; i += 1000) {
    await sdk.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: sorted.slice(i, i + 1000).map((Key) => ({ Key })) } }));
  }
}

/**
 * Small files, one round on a fresh S3 share under its own prefix: put-many (each file created,
 * written, committed and closed, one after another) timed from its first CREATE until a
 * ListObjectsV2 shows every object at its size; vs PutObjects of the same bytes, UPLOADS in
 * flight, timed from the first PUT until the same listing shows them all.
 */
async function smallFilesRound(ctx, round) {
  const prefix = `small/round${round}/`;
  const directPrefix = `small-direct/round${round}/`;
  const share = await startServer(`dittofs s3 small files round ${round}`, mkdtempSync(join(ctx.work, "s3-small-")), {
    metadata: "sqlite",
    content: {
      s3: { layout: "bucket", endpoint: ctx.s3.endpoint, bucket: BUCKET, prefix, accessKeyEnv: "BENCH_S3_KEY", secretKeyEnv: "BENCH_S3_SECRET" },
    },
  }, ctx.s3Env);
  const bodies = Array.from({ length: SMALL_FILES }, (_, index) => smallFileBytes(index));
  return explained(share, async () => {
    const steps = {};
    await alternating(round, [
      async () => {
        log(`round ${round}: put-many ${SMALL_FILES} × ${SMALL_SIZE / 1024} KiB into the S3 share, until all are in S3`);
        const client = new NfsClient(ctx.clientBinary, share.url());
        let put;
        let landed;
        const step = await measured({ dittofs: share.server.pid, s3rver: ctx.s3.child.pid }, async () => {
          put = await client.json("put-many", "/files", String(SMALL_FILES), String(SMALL_SIZE));
          landed = await waitForObjects(ctx.sdk, { bucket: BUCKET, prefix, count: SMALL_FILES, size: SMALL_SIZE });
        });
        steps.share = { seconds: landed.landedAt - put.first_create_at, committedS: put.seconds, windowS: step.seconds, cpu: step.cpu };
        await checkAndDeleteSmallObjects(ctx.sdk, landed.keys, "S3 share");
      },
      async () => {
        log(`round ${round}: ${SMALL_FILES} PutObjects, ${UPLOADS} in flight`);
        let startedAt;
        let landed;
        const step = await measured({ s3rver: ctx.s3.child.pid }, async () => {
          startedAt = Date.now() / 1000;
          await putObjects(ctx.sdk, { bucket: BUCKET, prefix: directPrefix, bodies, concurrency: UPLOADS });
          landed = await waitForObjects(ctx.sdk, { bucket: BUCKET, prefix: directPrefix, count: SMALL_FILES, size: SMALL_SIZE });
        });
        steps.puts = { seconds: landed.landedAt - startedAt, windowS: step.seconds, cpu: step.cpu };
        await checkAndDeleteSmallObjects(ctx.sdk, landed.keys, "PutObjects");
      },
    ]);
    await share.stop();
    rmSync(share.dir, { recursive: true, force: true });
    log(`small files round ${round}: S3 share ${fmt(SMALL_FILES / steps.share.seconds)} files/s, PutObjects ${fmt(SMALL_FILES / steps.puts.seconds)} files/s`);
    return { round, ...steps };
  });
}

/** Workload 4: bench-meta on each metadata store, rounds interleaved, order alternating. */
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

const verdict = (met) => (met ? "yes" : "**no**");

function bigSection({ environment, rounds, big, fsWrite }) {
  const steps = bigMedians(big);
  const s = (name) => steps[name].seconds;
  const timeCell = (label, seconds) => `${label}: ${fmt(seconds, 2)} s (${fmt(MB(seconds))} MB/s)`;
  const ratioRow = (label, ours, theirs, theirsLabel) =>
    `| ${label} | ${timeCell("S3 share", s(ours))} | ${timeCell(theirsLabel, s(theirs))} | ${fmt(s(ours) / s(theirs), 2)} | ≤ 1.25 | ${verdict(s(ours) / s(theirs) <= 1.25)} |`;
  const warmSpeedRatio = s("fsRead") / s("warmRead");
  const copy = steps.copyIn;
  return [
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
  ];
}

function smallFilesSection({ environment, rounds, small }) {
  const part = (name) => {
    const runs = small.map((round) => round[name]);
    const cpu = Object.fromEntries(Object.keys(runs[0].cpu).map((proc) => [proc, median(runs.map((r) => r.cpu[proc]))]));
    return { seconds: medianOf(runs, "seconds"), windowS: medianOf(runs, "windowS"), cpu };
  };
  const share = part("share");
  const puts = part("puts");
  const committedS = median(small.map((round) => round.share.committedS));
  const filesPerS = (seconds) => SMALL_FILES / seconds;
  const cell = (label, seconds) => `${label}: ${fmt(seconds, 2)} s (${fmt(filesPerS(seconds))} files/s)`;
  const perFileMs = (cpuSeconds) => fmt((cpuSeconds / SMALL_FILES) * 1000, 2);
  const cpuRow = (label, { windowS, cpu }, client) =>
    `| ${label} | ${fmt(windowS, 2)} | ${cpu.dittofs === undefined ? "–" : `${fmt(cpu.dittofs, 2)} (${perFileMs(cpu.dittofs)} ms/file)`} | ` +
    `${fmt(cpu.s3rver, 2)} (${perFileMs(cpu.s3rver)} ms/file) | ${fmt(cpu.client, 2)} (${client}) | ${fmt(cpu.machine / windowS, 2)} |`;
  return [
    `## ${SMALL_FILES} small files into an S3 share (bucket layout with a sqlite listing cache, ${SMALL_SIZE / 1024} KiB each, cache.uploads ${UPLOADS})`,
    "",
    "| workload | DittoFS | baseline, same s3rver | ratio | target | met |",
    "|---|---|---|---|---|---|",
    `| ${SMALL_FILES} × ${SMALL_SIZE / 1024} KiB with put-many (create, write, COMMIT, close each), until all are in S3 | ${cell("S3 share", share.seconds)} | ` +
      `${cell(`PutObject, ${UPLOADS} in flight`, puts.seconds)} | ${fmt(share.seconds / puts.seconds, 2)} | ≥ ${SMALL_TARGET_FILES_PER_S} files/s | ` +
      `${verdict(filesPerS(share.seconds) >= SMALL_TARGET_FILES_PER_S)} |`,
    "",
    `Medians of ${rounds.small} rounds, each on a fresh server under its own prefix (DittoFS and baseline swap order each round). ` +
      "DittoFS is timed from put-many's first CREATE, the baseline from its first PUT, until a ListObjectsV2 (polled every 50 ms) shows every object at its size; " +
      "ratio = DittoFS time ÷ baseline time. The first and last object of each run were checked against the bytes written. " +
      `put-many itself returned after ${fmt(committedS, 2)} s (${fmt(filesPerS(committedS))} files/s committed to the disk cache).`,
    "",
    `CPU seconds spent during each step (medians), over the step's whole window (for DittoFS it includes starting the client, mounting and one mkdir); “machine ÷ wall” is how many of the ${environment.cpus} CPUs were busy in all.`,
    "",
    "| step | wall s | dittofs | s3rver | client | machine ÷ wall |",
    "|---|---|---|---|---|---|",
    cpuRow("put-many into the S3 share, until in S3", share, "C client and this process polling"),
    cpuRow("PutObjects", puts, "SDK (this process)"),
    "",
    "Per round (s): " +
      small.map((r) => `#${r.round} S3 share ${fmt(r.share.seconds, 2)} (put-many ${fmt(r.share.committedS, 2)}) / PutObjects ${fmt(r.puts.seconds, 2)}`).join("; "),
  ];
}

function metaSection({ rounds, meta }) {
  const metaMetrics = [
    { key: "createsPerS", label: `creates/s (${META_FILES.toLocaleString("en")} files)` },
    { key: "statsPerS", label: "stats/s" },
    { key: "listMs", label: `full listing of ${META_FILES.toLocaleString("en")} entries (ms), lower is better` },
    { key: "removesPerS", label: "removes/s" },
  ];
  return [
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
}

function listingSection(listing) {
  const walk = median(listing.map((r) => r.direct));
  const first = median(listing.map((r) => r.first));
  const repeated = median(listing.map((r) => r.repeated));
  return [
    `## Listing a directory of ${LIST_OBJECTS.toLocaleString("en")} objects (bucket layout, sqlite listing cache)`,
    "",
    "| workload | time | ratio | target | met |",
    "|---|---|---|---|---|",
    `| ListObjectsV2 walk with the SDK (1,000 keys a page) | ${fmt(walk, 2)} s | – | – | – |`,
    `| first nfs-ls through DittoFS (empty cache) | ${fmt(first, 2)} s | ${fmt(first / walk, 2)} × the walk | ≤ 1.5 | ${first / walk <= 1.5 ? "yes" : "**no**"} |`,
    `| repeated nfs-ls (from the cache, median of ${REPEATED_LISTINGS} per round) | ${fmt(repeated, 3)} s | ${fmt(first / repeated, 1)} × faster than the first | ≥ 20 | ${first / repeated >= 20 ? "yes" : "**no**"} |`,
    "",
    `Medians of ${listing.length} rounds, each on a fresh server and listing cache; nfs-ls times include starting the process and mounting.`,
  ];
}

function renderTables(results) {
  const { environment, workloads } = results;
  const lines = [
    "# DittoFS S3 content store and PostgreSQL metadata store (NFSv3 over loopback, one run)",
    "",
    `${environment.date} · ${environment.cpus} CPUs (${environment.cpuModel}) · Node ${environment.node} · dittofs ${environment.dittofs} · ` +
      `libnfs ${environment.libnfs} (nfs-cp, nfsclient.c) · s3rver ${environment.s3rver} · @aws-sdk ${environment.awsSdk} · PostgreSQL ${environment.postgres ?? "not started"}`,
    "",
    `Load average at the start: ${environment.loadAverage.join(", ")}. The whole run took ${fmt(environment.runMinutes, 1)} min.` +
      (workloads.length < WORKLOADS.length ? ` Workloads run: ${workloads.join(", ")} (--only).` : ""),
  ];
  if (results.big) lines.push("", ...bigSection(results));
  if (results.small) lines.push("", ...smallFilesSection(results));
  if (results.meta) lines.push("", ...metaSection(results));
  if (results.listing) lines.push("", ...listingSection(results.listing));
  return `${lines.join("\n")}\n`;
}

/**
 * `--rounds=N` (1 GiB rounds), `--small-rounds=N`, `--meta-rounds=N` and `--only=a,b` (some of
 * WORKLOADS), for a quick run.
 */
function parseArgs(argv) {
  const rounds = { ...DEFAULT_ROUNDS };
  let workloads = WORKLOADS;
  const roundKeys = { rounds: "big", "small-rounds": "small", "meta-rounds": "meta" };
  for (const arg of argv) {
    const only = /^--only=(.+)$/.exec(arg);
    if (only) {
      workloads = only[1].split(",");
      const unknown = workloads.filter((name) => !WORKLOADS.includes(name));
      if (unknown.length) throw new Error(`unknown workload ${unknown.join(", ")} (expected some of: ${WORKLOADS.join(", ")})`);
      continue;
    }
    const match = /^--(rounds|small-rounds|meta-rounds)=(\d+)$/.exec(arg);
    if (!match || Number(match[2]) < 1) {
      throw new Error(`unknown argument ${arg} (expected --rounds=N, --small-rounds=N, --meta-rounds=N with N ≥ 1, or --only=${WORKLOADS.join(",")})`);
    }
    rounds[roundKeys[match[1]]] = Number(match[2]);
  }
  return { rounds, workloads };
}

function packageVersion(name) {
  return JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")).version;
}

/** The machine and versions; `postgres` is undefined when no workload needed it. */
async function describeEnvironment(postgres) {
  const text = async (cmd, args) => (await run(cmd, args).catch(() => ({ stdout: "" }))).stdout.toString().trim() || "unknown";
  const [pgVersion] = postgres ? await postgres.query("postgres", "SHOW server_version") : [];
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
    postgres: pgVersion?.server_version,
  };
}

async function main() {
  const started = performance.now();
  const { rounds, workloads } = parseArgs(process.argv.slice(2));
  const runs = (name) => workloads.includes(name);
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

  log(runs("metadata") ? "starting s3rver and PostgreSQL" : "starting s3rver");
  const [s3, postgres] = await Promise.all([startS3rver({ buckets: [BUCKET] }), runs("metadata") ? startPostgres() : undefined]);
  cleanups.add(() => s3.close());
  if (postgres) cleanups.add(() => postgres.stop());
  const sdk = s3ClientFor(s3);
  cleanups.add(() => sdk.destroy());
  const environment = await describeEnvironment(postgres);

  const fsShare = runs("1gib") || runs("metadata") ? await startServer("dittofs sqlite + fs", join(work, "sqlite-fs"), { metadata: "sqlite", content: "fs" }) : undefined;
  const ctx = { work, scratch, s3, sdk, postgres, clientBinary, fsShare, s3Env: { BENCH_S3_KEY: s3.accessKeyId, BENCH_S3_SECRET: s3.secretAccessKey } };
  const results = { environment, rounds, workloads };

  if (runs("1gib")) {
    log("generating 1 GiB of random data");
    ctx.source = { path: join(scratch, "big.bin") };
    ctx.source.sha256 = writeRandomFile(ctx.source.path, BIG_BYTES);
    log("nfs-cp 1 GiB into the sqlite + fs share (the warm-read reference)");
    results.fsWrite = await explained(fsShare, () =>
      measured({ dittofs: fsShare.server.pid }, () => nfsCp(ctx.source.path, fsShare.url("/big.bin"), { timeoutMs: 300_000 })),
    );
    results.big = [];
    for (let round = 1; round <= rounds.big; round++) results.big.push(await bigRound(ctx, round));
  }
  if (runs("small-files")) {
    results.small = [];
    for (let round = 1; round <= rounds.small; round++) results.small.push(await smallFilesRound(ctx, round));
  }
  if (runs("metadata")) {
    const database = await postgres.createDatabase("dittofs_bench");
    ctx.pgShare = await startServer(
      "dittofs postgres + fs",
      join(work, "postgres-fs"),
      { metadata: { postgres: { host: postgres.host, port: postgres.port, database, user: postgres.user, passwordEnv: "BENCH_PG_PASSWORD" } }, content: "fs" },
      { BENCH_PG_PASSWORD: postgres.password },
    );
    results.meta = await metaRounds(ctx, rounds.meta);
  }
  if (runs("listing")) results.listing = await listingRounds(ctx);

  environment.runMinutes = (performance.now() - started) / 60_000;
  environment.scratchDir = scratch.startsWith(RAM_DIR) ? `${RAM_DIR} (tmpfs)` : tmpdir();
  const tables = renderTables(results);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, "s3-results.md"), tables);
  writeFileSync(join(OUT_DIR, "s3-results.json"), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${tables}\n`);
  return 0;
}

await runBenchmark(main, cleanups, DEADLINE_MS);
