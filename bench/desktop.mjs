#!/usr/bin/env node
/* global process, setTimeout, performance, requestAnimationFrame, window */
/**
 * `npm run bench:desktop`: the desktop app's own speed targets (issue 11), measured here:
 *   - the core host (dist/electron/host/host-main.js, as the app runs it) with 10 shares: time from
 *     fork to "ready", and its RSS after 5 s idle (targets: < 500 ms, < 120 MiB);
 *   - the settings UI in Debian's Chromium against `dittofs serve`: first contentful paint and the
 *     time until the shares list shows (first meaningful paint);
 *   - during a 1 GiB copy into an S3 share (s3rver): status events per second reaching a
 *     subscriber, and the longest gap between animation frames in the open Activity view
 *     (targets: >= 2 per second, no frame over 50 ms).
 * There is no reference app to run beside it, so these are absolute numbers against the targets.
 * Rounds: 5 for the host and the paint, 1 copy. Results go to bench/out/desktop-results.md.
 */
import { fork } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { HttpControlClient } from "../dist/core/index.js";
import { AppSettings } from "../dist/electron/settings/app-settings.js";
import { REPO_ROOT, ensureBuilt, startDittofs, writeDittofsConfig, nfsUrl } from "../e2e/helpers/dittofs.mjs";
import { nfsCp, writeRandomFile } from "../e2e/helpers/nfsclient.mjs";
import { freePort } from "../e2e/helpers/ports.mjs";
import { startS3rver } from "../e2e/helpers/s3rver.mjs";
import { Cleanups, fmt, log, median, runBenchmark } from "./lib/run-support.mjs";

const ROUNDS = 5;
const SHARES = 10;
const COPY_BYTES = 1024 * 1024 * 1024;
const HOST_MAIN = join(REPO_ROOT, "dist/electron/host/host-main.js");
const CHROMIUM = "/usr/bin/chromium";
const OUT_DIR = join(REPO_ROOT, "bench/out");
const cleanups = new Cleanups();

function rssMiB(pid) {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(line.split(/\s+/)[1]) / 1024;
}

/** Forks the host over settings with SHARES shares; resolves with ms to ready and RSS after 5 s idle. */
async function measureHost(work, round) {
  const settingsPath = join(work, `host-${round}.db`);
  const settings = new AppSettings(settingsPath);
  settings.setPreferences({ nfsPort: await freePort() });
  for (let i = 0; i < SHARES; i++) {
    if (i % 2 === 0) settings.saveShare({ name: `Scratch ${i}`, kind: "memory" });
    else {
      const folder = join(work, `folder-${round}-${i}`);
      mkdirSync(folder);
      settings.saveShare({ name: `Folder ${i}`, kind: "folder", folder: { path: folder } });
    }
  }
  settings.close();
  const started = performance.now();
  const child = fork(HOST_MAIN, ["--settings", settingsPath, "--data", join(work, `data-${round}`)], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const stop = cleanups.add(() => child.kill("SIGKILL"));
  const readyMs = await new Promise((resolve, reject) => {
    child.on("message", (message) => {
      if (message.kind === "ready") resolve(performance.now() - started);
      if (message.kind === "failed") reject(new Error(message.message));
    });
    child.on("exit", (code) => reject(new Error(`host exited with ${code}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const rss = rssMiB(child.pid);
  await stop();
  return { readyMs, rss };
}

async function main() {
  await ensureBuilt();
  const work = mkdtempSync(join(tmpdir(), "dittofs-bench-desktop-"));
  cleanups.add(() => rmSync(work, { recursive: true, force: true }));

  const host = [];
  for (let round = 1; round <= ROUNDS; round++) {
    host.push(await measureHost(work, round));
    log(`host round ${round}: ready in ${fmt(host.at(-1).readyMs, 0)} ms, ${fmt(host.at(-1).rss)} MiB idle`);
  }

  const s3 = await startS3rver({ buckets: ["bench-desktop"] });
  cleanups.add(() => s3.close());
  const nfsPort = await freePort();
  const config = writeDittofsConfig(join(work, "serve"), {
    nfsPort,
    metadata: "sqlite",
    content: { s3: { layout: "bucket", endpoint: s3.endpoint, bucket: "bench-desktop", accessKeyEnv: "BENCH_S3_KEY", secretKeyEnv: "BENCH_S3_SECRET" }, cache: { upload_after: "1s" } },
    cache: { flush_after: "200ms" },
    control: true,
  });
  const serve = await startDittofs(config, { env: { BENCH_S3_KEY: s3.accessKeyId, BENCH_S3_SECRET: s3.secretAccessKey } });
  cleanups.add(() => serve.stop());
  const settingsLine = serve.stdoutLines.find((line) => line.startsWith("Settings on "));
  if (!settingsLine) throw new Error("serve printed no settings URL (is the UI built?)");
  const settingsUrl = settingsLine.slice("Settings on ".length);
  const [, base, token] = /^(http:\/\/[^/]+)\/#token=(.+)$/.exec(settingsUrl);

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  cleanups.add(() => browser.close());
  const paint = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const page = await browser.newPage();
    const opened = performance.now();
    await page.goto(settingsUrl);
    await page.getByRole("heading", { name: "/export" }).waitFor({ timeout: 10_000 });
    const meaningfulMs = performance.now() - opened;
    const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);
    paint.push({ fcp, meaningfulMs });
    log(`paint round ${round}: first contentful ${fmt(fcp, 0)} ms, shares listed after ${fmt(meaningfulMs, 0)} ms`);
    await page.close();
  }

  // The copy: events per second at a subscriber, and frame gaps in the open Activity view.
  const page = await browser.newPage();
  await page.goto(settingsUrl);
  await page.getByRole("button", { name: "Activity" }).click();
  await page.evaluate(() => {
    window.__gaps = [];
    let last = performance.now();
    const frame = (now) => {
      window.__gaps.push(now - last);
      last = now;
      if (!window.__stopFrames) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  const client = new HttpControlClient(base, token);
  const eventTimes = [];
  const unsubscribe = client.subscribe(() => eventTimes.push(performance.now()));
  const source = join(work, "copy.bin");
  writeRandomFile(source, COPY_BYTES);
  const copyStart = performance.now();
  await nfsCp(source, nfsUrl({ port: nfsPort, path: "/copy.bin" }));
  const copyMs = performance.now() - copyStart;
  unsubscribe();
  const during = eventTimes.filter((t) => t >= copyStart && t <= copyStart + copyMs);
  const gaps = await page.evaluate(() => {
    window.__stopFrames = true;
    return window.__gaps;
  });
  const framesDuring = gaps.slice(5);
  const copy = {
    seconds: copyMs / 1000,
    eventsPerS: during.length / (copyMs / 1000),
    maxFrameMs: Math.max(...framesDuring),
    framesOver50: framesDuring.filter((gap) => gap > 50).length,
    frames: framesDuring.length,
  };
  log(`copy of 1 GiB: ${fmt(copy.seconds)} s, ${fmt(copy.eventsPerS)} status events/s, longest frame ${fmt(copy.maxFrameMs)} ms (${copy.framesOver50} of ${copy.frames} over 50 ms)`);

  const range = (values, digits = 0) => `${fmt(median(values), digits)} (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})`;
  const md = [
    "# DittoFS Desktop: its own speed targets",
    "",
    `${new Date().toISOString()} · ${cpus().length} CPUs · Node ${process.versions.node} · Chromium ${browser.version()}`,
    "",
    "| metric | median (range) | target |",
    "|---|---|---|",
    `| core host with ${SHARES} shares: fork to ready (ms) | ${range(host.map((h) => h.readyMs))} | < 500 |`,
    `| core host with ${SHARES} shares: RSS after 5 s idle (MiB) | ${range(host.map((h) => h.rss), 1)} | < 120 |`,
    `| settings UI: first contentful paint (ms) | ${range(paint.map((p) => p.fcp))} | — |`,
    `| settings UI: shares listed (ms, from navigation) | ${range(paint.map((p) => p.meaningfulMs))} | — |`,
    `| 1 GiB nfs-cp into an S3 share: status events/s at a subscriber | ${fmt(copy.eventsPerS)} | >= 2 |`,
    `| same copy, Activity view open: longest frame (ms) | ${fmt(copy.maxFrameMs)} (${copy.framesOver50} of ${copy.frames} frames over 50) | <= 50 |`,
    "",
    `${ROUNDS} rounds for the host and the paint; one copy (${fmt(copy.seconds)} s).`,
    "",
  ].join("\n");
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, "desktop-results.md"), md);
  writeFileSync(join(OUT_DIR, "desktop-results.json"), JSON.stringify({ host, paint, copy }, null, 2));
  process.stdout.write(`\n${md}\n`);
  return 0;
}

await runBenchmark(main, cleanups, 20 * 60 * 1000);
