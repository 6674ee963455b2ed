/**
 * The settings UI in Debian's Chromium against a headless `dittofs serve`: opened on the URL serve
 * prints, it lists an S3 share, follows the upload of a file copied in over NFS to a real s3rver
 * in Activity until the object is in the bucket, is driven by the keyboard, and runs under the
 * server's strict CSP without a console error; an upload S3 refuses for good shows as stopped
 * until "Retry now" sends it once S3 takes it again. Screenshots of every view, light and dark, go to
 * e2e/artifacts/.
 */
import { existsSync, mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eServer } from "./helpers/harness.js";
import { nfsCp, sha256, writeRandomFile } from "./helpers/nfsclient.mjs";
import { startRefusingProxy, type RefusingProxy } from "./helpers/refusing-proxy.js";
import { s3ClientFor, startS3rver, type S3rverServer } from "./helpers/s3rver.mjs";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const ARTIFACTS = fileURLToPath(new URL("./artifacts/", import.meta.url));
const BUCKET = "renderer-bucket";
const SETTINGS_LINE = /^Settings on (http:\/\/127\.0\.0\.1:\d+)\/#token=([A-Za-z0-9_-]{43})$/;
const FILE_BYTES = 32 * 1024 * 1024 + 7;

/** What the page showed while it was watched (see watchActivity). */
interface Seen {
  progressBars: number;
  pendingTexts: string[];
}

describe("the settings UI against dittofs serve", () => {
  let s3: S3rverServer;
  let gate: RefusingProxy;
  let sdk: S3Client;
  let dittofs: E2eServer;
  let browser: Browser;
  let page: Page;
  let origin: string;
  let settingsUrl: string;
  let scratch: string;
  const problems: string[] = [];
  const screenshots: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`these tests need Debian's Chromium at ${CHROMIUM}: apt-get install -y chromium`);
    mkdirSync(ARTIFACTS, { recursive: true });
    scratch = await mkdtemp(join(tmpdir(), "dittofs-renderer-"));
    s3 = await startS3rver({ buckets: [BUCKET] });
    sdk = s3ClientFor(s3);
    gate = await startRefusingProxy(s3.port);
    dittofs = await E2eServer.start(
      {
        metadata: "sqlite",
        content: {
          s3: { layout: "bucket", endpoint: gate.endpoint, bucket: BUCKET, accessKeyEnv: "E2E_S3_KEY", secretKeyEnv: "E2E_S3_SECRET" },
          cache: { upload_after: "1s" },
        },
        control: true,
      },
      { E2E_S3_KEY: s3.accessKeyId, E2E_S3_SECRET: s3.secretAccessKey },
    );
    const line = dittofs.server.stdoutLines.map((text) => SETTINGS_LINE.exec(text)).find(Boolean);
    if (!line) throw new Error(`serve printed no settings line:\n${dittofs.server.describe()}`);
    [settingsUrl, origin] = [line[0].slice("Settings on ".length), line[1]!];
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 960, height: 640 } });
    // A CSP violation or a failed script shows up here.
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await dittofs?.dispose();
    await gate?.close();
    sdk?.destroy();
    await s3?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
    if (screenshots.length > 0) console.log(`settings UI screenshots:\n${screenshots.map((path) => `  ${path}`).join("\n")}`);
  });

  /** The current view in light and in dark mode, as the OS would ask for it. */
  async function screenshot(name: string): Promise<void> {
    for (const colorScheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme });
      const path = join(ARTIFACTS, `${name}-${colorScheme}.png`);
      await page.screenshot({ path, fullPage: true });
      screenshots.push(path);
    }
    await page.emulateMedia({ colorScheme: "light" });
  }

  const heading = () => page.locator("main h1").textContent();
  const focused = () => page.locator(":focus").textContent();

  it("opens on the printed URL, moves the token out of the address bar and lists the share", async () => {
    await page.goto(settingsUrl);
    await page.getByRole("heading", { name: "/export" }).waitFor({ timeout: 10_000 });
    expect(page.url()).toBe(`${origin}/`);
    const card = page.locator(".card", { has: page.getByRole("heading", { name: "/export" }) });
    const text = await card.textContent();
    expect(text).toContain("s3");
    expect(text).toContain(BUCKET);
    expect(text).toMatch(/Stores\s*metadata “meta”, content “data”/);
    expect(await card.getByTestId("pending").textContent()).toBe("0 files, 0 B");
    expect(await page.getByRole("button", { name: "Shares" }).getAttribute("aria-current")).toBe("page");
    await screenshot("shares");

    // Dark mode follows the OS: the page's colours change with prefers-color-scheme.
    const background = () => page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
    await page.emulateMedia({ colorScheme: "light" });
    const light = await background();
    await page.emulateMedia({ colorScheme: "dark" });
    expect(await background()).not.toBe(light);
    await page.emulateMedia({ colorScheme: "light" });

    // A reload keeps the token of this tab (sessionStorage), though the address bar no longer has it.
    await page.reload();
    await page.getByRole("heading", { name: "/export" }).waitFor({ timeout: 10_000 });
  });

  it("is driven by the keyboard: Tab reaches the sidebar, Enter switches views", async () => {
    await page.locator("body").focus();
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("Shares");
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("Activity");
    await page.keyboard.press("Enter");
    expect(await heading()).toBe("Activity");
    expect(await page.getByRole("button", { name: "Activity" }).getAttribute("aria-current")).toBe("page");
    await screenshot("activity-idle");

    await page.keyboard.press("ArrowDown");
    expect(await focused()).toBe("General");
    await page.keyboard.press("Enter");
    expect(await heading()).toBe("General");
    const general = (await page.locator("main").textContent())!;
    expect(general).toContain(`port ${dittofs.server.nfsPort}`);
    expect(general).toMatch(/Version\s*\d+\.\d+\.\d+/);
    expect(general).toMatch(/SMB\s*Off/);
    await screenshot("general");
  });

  it("shows a file copied in over NFS waiting and uploading in Activity, until it is in the bucket", async () => {
    await page.getByRole("button", { name: "Activity" }).click();
    expect(await heading()).toBe("Activity");
    await watchActivity(page);

    const source = join(scratch, "movie.bin");
    const digest = writeRandomFile(source, FILE_BYTES);
    await nfsCp(source, dittofs.url({ path: "/movie.bin" }));
    const pending = page.getByTestId("pending");
    await expect.poll(() => pending.textContent(), { timeout: 10_000, interval: 50 }).toBe("1 file, 32.0 MiB");
    await screenshot("activity-pending");
    await expect.poll(() => pending.textContent(), { timeout: 60_000, interval: 100 }).toBe("0 files, 0 B");
    await page.getByText("Nothing is being uploaded right now.").waitFor({ timeout: 10_000 });

    const seen = await page.evaluate<Seen>("window.seen");
    expect(seen.pendingTexts).toContain("1 file, 32.0 MiB");
    expect(seen.progressBars, "an upload's progress bar was shown while the file went up").toBeGreaterThan(0);
    const object = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: "movie.bin" }));
    expect(sha256(Buffer.from(await object.Body!.transformToByteArray()))).toBe(digest);

    await page.getByRole("button", { name: "Shares" }).click();
    const card = page.locator(".card", { has: page.getByRole("heading", { name: "/export" }) });
    expect(await card.getByTestId("pending").textContent()).toBe("0 files, 0 B");
    expect(problems).toEqual([]);
  });

  it("shows an upload S3 refuses for good as stopped, and sends it with Retry now once S3 takes it", async () => {
    await page.getByRole("button", { name: "Activity" }).click();
    gate.refusing = true;
    const source = join(scratch, "refused.bin");
    const digest = writeRandomFile(source, 256 * 1024);
    await nfsCp(source, dittofs.url({ path: "/refused.bin" }));
    const problem = page.locator(".problem");
    await expect.poll(() => problem.textContent(), { timeout: 20_000, interval: 100 }).toMatch(/^1 file stopped: .*AccessDenied/);
    expect(await problem.textContent()).toContain("Last error:");
    expect(await page.getByTestId("pending").textContent()).toBe("1 file, 256 KiB");
    await screenshot("activity-stalled");

    gate.refusing = false;
    await page.getByRole("button", { name: "Retry now" }).click();
    await page.getByRole("status").filter({ hasText: "Retrying 1 upload." }).waitFor({ timeout: 10_000 });
    await expect.poll(() => page.getByTestId("pending").textContent(), { timeout: 30_000, interval: 100 }).toBe("0 files, 0 B");
    await problem.waitFor({ state: "detached", timeout: 10_000 });
    const object = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: "refused.bin" }));
    expect(sha256(Buffer.from(await object.Body!.transformToByteArray()))).toBe(digest);
    expect(problems).toEqual([]);
  });
});

/**
 * Records in the page (window.seen) every pending text and each change that showed the file's
 * progress bar, so that a state shown between two polls is not missed. (A string: the tests
 * are typechecked without the DOM's types.)
 */
async function watchActivity(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const seen = { progressBars: 0, pendingTexts: [] };
    window.seen = seen;
    const look = () => {
      const text = document.querySelector("[data-testid=pending]")?.textContent;
      if (text && seen.pendingTexts.at(-1) !== text) seen.pendingTexts.push(text);
      const bar = document.querySelector("progress");
      if (bar && bar.labels[0]?.textContent === "movie.bin" && bar.max > 0) seen.progressBars++;
    };
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  })()`);
}
