/**
 * The settings UI in Debian's Chromium against a headless `dittofs serve`: opened on the URL serve
 * prints, it lists an S3 share, follows the upload of a file copied in over NFS to a real s3rver
 * in Activity until the object is in the bucket, is driven by the keyboard, and runs under the
 * server's strict CSP without a console error; an upload S3 refuses for good shows as stopped
 * until "Retry now" sends it once S3 takes it again. Then against the headless desktop app
 * (`dittofs-app`, shares managed through the API): adding, testing, editing and removing shares in
 * the share form, errors by their field, the #add route, and General's preferences. Screenshots
 * of every view, light and dark, go to e2e/artifacts/.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keychain } from "../electron/keychain.js";
import { AppSettings } from "../electron/settings/app-settings.js";
import { E2eServer } from "./helpers/harness.js";
import { nfsCp, sha256, writeRandomFile } from "./helpers/nfsclient.mjs";
import { freePorts } from "./helpers/ports.mjs";
import { startRefusingProxy, type RefusingProxy } from "./helpers/refusing-proxy.js";
import { s3ClientFor, startS3rver, type S3rverServer } from "./helpers/s3rver.mjs";
import { startDesktopSession, startHeadlessApp, type DesktopSession, type HeadlessApp } from "./helpers/desktop-session.js";

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

  const screenshot = (name: string) => screenshotBoth(page, name, screenshots);

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
    // Read-only: the config file defines the shares, so there is nothing to add, edit or mount.
    await page.getByText("These shares come from the server's config file").waitFor();
    expect(await page.getByRole("button", { name: "Add share…" }).count()).toBe(0);
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

describe("the settings UI against the headless desktop app (shares managed through the API)", () => {
  let s3: S3rverServer;
  let session: DesktopSession;
  let app: HeadlessApp;
  let browser: Browser;
  let page: Page;
  let origin: string;
  let scratch: string;
  let folder: string;
  const problems: string[] = [];
  const screenshots: string[] = [];
  const keychain = new Keychain();

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`these tests need Debian's Chromium at ${CHROMIUM}: apt-get install -y chromium`);
    mkdirSync(ARTIFACTS, { recursive: true });
    scratch = await mkdtemp(join(tmpdir(), "dittofs-renderer-app-"));
    s3 = await startS3rver({ buckets: [BUCKET] });
    // A user session (Secret Service for the keychain, gvfs), as the app finds on a Linux desktop.
    session = await startDesktopSession(join(scratch, "session"));
    // The keychain library of this worker finds the session's keyring here.
    process.env.DBUS_SESSION_BUS_ADDRESS = session.env.DBUS_SESSION_BUS_ADDRESS;

    // Ports of its own, so that it runs beside the other suites.
    const data = join(scratch, "app");
    mkdirSync(data);
    const [nfsPort, smbPort] = await freePorts(2);
    const settings = new AppSettings(join(data, "settings.db"));
    settings.setPreferences({ nfsPort: nfsPort!, smbPort: smbPort! });
    settings.close();
    folder = join(scratch, "documents");
    mkdirSync(folder);
    for (let n = 1; n <= 12; n++) writeFileSync(join(folder, `note-${String(n).padStart(2, "0")}.txt`), "x".repeat(n * 100));
    app = await startHeadlessApp(data, session.env);
    origin = app.origin;

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const context = await browser.newContext({ viewport: { width: 960, height: 640 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
    page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    await page.goto(app.settingsUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await session?.stop();
    await s3?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
    if (screenshots.length > 0) console.log(`settings UI screenshots (managed):\n${screenshots.map((path) => `  ${path}`).join("\n")}`);
  });

  const screenshot = (name: string) => screenshotBoth(page, name, screenshots);
  const focusedLabel = () => page.evaluate<string | null>("document.activeElement?.labels?.[0]?.textContent ?? null");
  const card = (name: string) => page.getByRole("listitem", { name, exact: true });

  it("starts with no shares, and Add share… opens the form with the focus on its first field", async () => {
    await page.getByText("No shares yet").waitFor({ timeout: 10_000 });
    await screenshot("managed-shares-empty");
    await page.getByRole("button", { name: "Add share…" }).click();
    expect(await page.locator("main h1").textContent()).toBe("Add a share");
    expect(await focusedLabel()).toBe("S3 bucket");
    await screenshot("share-form");
  });

  it("tests the connection: a wrong secret is shown by the secret, in words a person understands", async () => {
    await page.getByLabel("Name").fill("Photos");
    await page.getByLabel("Provider").selectOption({ label: "Other (custom endpoint)" });
    await page.getByLabel("Endpoint").fill(s3.endpoint);
    await page.getByLabel("Access key ID").fill(s3.accessKeyId);
    await page.getByLabel("Secret access key").fill("a-typo-in-the-secret");
    await page.getByRole("button", { name: "Test connection" }).click();
    const secretError = page.locator(`[id="${await page.getByLabel("Secret access key").getAttribute("id")}-error"]`);
    await secretError.waitFor({ timeout: 20_000 });
    expect(await secretError.textContent()).toMatch(/^the secret key is wrong for this access key\.?$/i);
    expect(await focusedLabel()).toBe("Secret access key");
    expect(await page.getByLabel("Secret access key").getAttribute("aria-invalid")).toBe("true");
    await screenshot("share-form-secret-error");
  });

  it("tests the connection: an unreachable endpoint is shown by the endpoint, then the bucket picker lists the buckets", async () => {
    const [deadPort] = await freePorts(1);
    await page.getByLabel("Endpoint").fill(`http://127.0.0.1:${deadPort}`);
    await page.getByLabel("Access key ID").fill(s3.accessKeyId);
    await page.getByLabel("Secret access key").fill(s3.secretAccessKey);
    await page.getByRole("button", { name: "Test connection" }).click();
    const endpointError = page.locator(`[id="${await page.getByLabel("Endpoint").getAttribute("id")}-error"]`);
    await endpointError.waitFor({ timeout: 20_000 });
    expect(await focusedLabel()).toBe("Endpoint");
    expect(await page.getByLabel("Endpoint").getAttribute("aria-invalid")).toBe("true");
    await screenshot("share-form-endpoint-error");

    await page.getByLabel("Endpoint").fill(s3.endpoint);
    await page.getByRole("button", { name: "Test connection" }).click();
    await page.getByRole("status").filter({ hasText: "Connected: 1 bucket found." }).waitFor({ timeout: 20_000 });
    expect(await endpointError.count()).toBe(0);
    await page.getByLabel("Buckets found").selectOption(BUCKET);
    expect(await page.getByLabel("Bucket", { exact: true }).inputValue()).toBe(BUCKET);
  });

  it("shows the server's refusal by the field it is about and moves the focus there", async () => {
    await page.getByLabel("Bucket", { exact: true }).fill("Not_A_Bucket");
    await page.getByLabel("Mount when the app starts").uncheck();
    await page.getByRole("button", { name: "Add share" }).click();
    const bucketError = page.locator(`[id="${await page.getByLabel("Bucket", { exact: true }).getAttribute("id")}-error"]`);
    await bucketError.waitFor({ timeout: 20_000 });
    expect(await bucketError.textContent()).toMatch(/^Expected an S3 bucket name/);
    expect(await focusedLabel()).toBe("Bucket");
    await screenshot("share-form-bucket-error");
  });

  it("adds the S3 share and shows it with its live status; the secret went to the keychain", async () => {
    await page.getByLabel("Bucket", { exact: true }).fill(BUCKET);
    await page.getByLabel("Cache size (GiB)").fill("1");
    // NFS only (the form's default is both), which a Linux desktop cannot mount: the edit below adds SMB.
    await page.getByLabel("Protocol").selectOption({ label: "NFS" });
    await page.getByRole("button", { name: "Add share" }).click();
    const photos = card("Photos");
    await photos.waitFor({ timeout: 30_000 });
    expect(await page.locator("main h1").textContent()).toBe("Shares");
    await expect.poll(() => photos.getByTestId("pending").textContent(), { timeout: 20_000 }).toBe("0 files, 0 B");
    const text = (await photos.textContent())!;
    expect(text).toContain(`${BUCKET} at ${s3.endpoint}`);
    expect(text).toContain("/photos over NFS");
    expect(text).toContain("Not mounted");
    expect(await keychain.resolver().resolve("dittofs/s3-photos")).toBe(s3.secretAccessKey);
    // On Linux a drive is an SMB mount (gvfs): an NFS-only share has no mount command to show.
    expect(await photos.getByLabel("Mount command of Photos", { exact: true }).count()).toBe(0);
    await screenshot("managed-shares");
  });

  it("edits the share: the stored secret is kept unless one is typed; served over SMB, it has a mount command to copy", async () => {
    await card("Photos").getByRole("button", { name: "Edit Photos" }).click();
    expect(await page.locator("main h1").textContent()).toBe("Edit “Photos”");
    const secret = page.getByLabel("Secret access key");
    expect(await secret.inputValue()).toBe("");
    expect(await secret.getAttribute("placeholder")).toBe("Leave empty to keep the stored secret");
    expect(await page.getByLabel("Endpoint").inputValue()).toBe(s3.endpoint);
    await page.getByLabel("Protocol").selectOption({ label: "NFS and SMB" });
    await screenshot("share-form-edit");
    await page.getByRole("button", { name: "Save changes" }).click();
    const photos = card("Photos");
    await expect.poll(() => photos.textContent(), { timeout: 30_000 }).toContain("/photos over NFS and SMB");
    expect(await keychain.resolver().resolve("dittofs/s3-photos")).toBe(s3.secretAccessKey);

    const command = (await photos.getByLabel("Mount command of Photos", { exact: true }).textContent({ timeout: 20_000 }))!;
    expect(command).toContain("photos");
    await photos.getByRole("button", { name: "Copy mount command of Photos" }).click();
    await photos.getByRole("status").filter({ hasText: "Copied." }).waitFor();
    expect(await page.evaluate<string>("navigator.clipboard.readText()")).toBe(command);
    await screenshot("managed-shares-smb");
  });

  it("mounts the share as a drive through gvfs from its card; a file cp'd onto it uploads in Activity and is in the bucket byte for byte", async () => {
    const photos = card("Photos");
    await photos.getByRole("button", { name: "Mount Photos" }).click();
    await expect.poll(() => photos.getByTestId("drive").textContent(), { timeout: 30_000 }).toContain(session.fuseDir);
    const [listed] = await app.client.listShares();
    const mountPoint = listed!.drive.mountPoint!;
    expect(await photos.getByTestId("drive").textContent()).toContain(mountPoint);
    await screenshot("managed-shares-mounted");

    await page.getByRole("button", { name: "Activity" }).click();
    await watchActivity(page);
    const source = join(scratch, "movie.bin");
    const digest = writeRandomFile(source, FILE_BYTES);
    const cp = spawnSync("cp", [source, join(mountPoint, "movie.bin")], { encoding: "utf8", env: session.env, timeout: 120_000 });
    expect([cp.status, cp.stderr]).toEqual([0, ""]);
    // What the page showed, recorded in the page: a slow cp may outlast the 10 s upload delay.
    const seenTexts = async () => (await page.evaluate<Seen>("window.seen")).pendingTexts;
    await expect.poll(seenTexts, { timeout: 30_000, interval: 100 }).toContain("1 file, 32.0 MiB");
    await screenshot("managed-activity-pending");
    const pending = page.getByTestId("pending");
    await expect.poll(() => pending.textContent(), { timeout: 60_000, interval: 100 }).toBe("0 files, 0 B");
    const seen = await page.evaluate<Seen>("window.seen");
    expect(seen.progressBars, "an upload's progress bar was shown while the file went up").toBeGreaterThan(0);
    const sdk = s3ClientFor(s3);
    try {
      const object = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: "movie.bin" }));
      expect(sha256(Buffer.from(await object.Body!.transformToByteArray()))).toBe(digest);
    } finally {
      sdk.destroy();
    }

    await page.getByRole("button", { name: "Shares" }).click();
    await photos.getByRole("button", { name: "Unmount Photos" }).click();
    await expect.poll(() => photos.getByTestId("drive").textContent(), { timeout: 30_000 }).toContain("Not mounted");
    expect(existsSync(join(mountPoint, "movie.bin"))).toBe(false);
  });

  it("adds a local folder after showing what is in it, on the tray's #add route", async () => {
    await page.evaluate("location.hash = 'add'");
    await page.locator("main h1").filter({ hasText: "Add a share" }).waitFor();
    await page.getByLabel("Local folder").check();
    await page.getByLabel("Name").fill("Documents");
    await page.getByLabel("Folder path").fill(folder);
    await page.getByRole("button", { name: "Show files" }).click();
    const preview = page.getByRole("region", { name: "Files in the folder" });
    await preview.waitFor({ timeout: 10_000 });
    const text = (await preview.textContent())!;
    expect(text).toContain("12 entries");
    expect(text).toContain("note-01.txt");
    expect(text).toContain("4 more");
    await page.getByLabel("Mount when the app starts").uncheck();
    await screenshot("share-form-folder");
    await page.getByRole("button", { name: "Add share" }).click();
    await card("Documents").waitFor({ timeout: 30_000 });
    expect(await card("Documents").textContent()).toContain(folder);
  });

  it("removes a share after a confirm step that says its files stay", async () => {
    const documents = card("Documents");
    await documents.getByRole("button", { name: "Remove Documents" }).click();
    const confirm = documents.getByRole("group", { name: "Remove Documents?" });
    expect(await confirm.textContent()).toContain(`Its files stay in the folder ${folder}`);
    expect(await focused()).toBe("Keep it");
    await screenshot("managed-shares-remove");
    await confirm.getByRole("button", { name: "Yes, remove Documents" }).click();
    await documents.waitFor({ state: "detached", timeout: 30_000 });
    expect(existsSync(join(folder, "note-12.txt"))).toBe(true);
    await card("Photos").waitFor();
  });

  it("edits the preferences in General and says where the logs are", async () => {
    await page.getByRole("button", { name: "General" }).click();
    const level = page.getByLabel("Log level");
    await level.waitFor({ timeout: 10_000 });
    expect(await level.inputValue()).toBe("info");
    await level.selectOption("debug");
    await page.getByLabel("Launch at login").check();
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved. The file server restarted" }).waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: "Open logs" }).click();
    await page.getByRole("status").filter({ hasText: /^(Opened|Logs are in) .*logs$/ }).waitFor({ timeout: 10_000 });
    expect(await page.locator("main").textContent()).toMatch(/Version\s*\d+\.\d+\.\d+/);
    await screenshot("general-managed");

    // What was saved is what a new window loads.
    await page.reload();
    await page.getByRole("button", { name: "General" }).click();
    await expect.poll(() => page.getByLabel("Log level").inputValue(), { timeout: 10_000 }).toBe("debug");
    expect(await page.getByLabel("Launch at login").isChecked()).toBe(true);
    // The one refusal the form was sent on purpose (the bucket's name) is the only failed request.
    expect(problems).toEqual(["error: Failed to load resource: the server responded with a status of 400 (Bad Request)"]);
  });

  const focused = () => page.locator(":focus").textContent();
});

/** The page in light and in dark mode, as the OS would ask for it. */
async function screenshotBoth(page: Page, name: string, taken: string[]): Promise<void> {
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    const path = join(ARTIFACTS, `${name}-${colorScheme}.png`);
    await page.screenshot({ path, fullPage: true });
    taken.push(path);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

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
