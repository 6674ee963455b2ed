/**
 * The Electron main process: a thin shell that wires Electron's objects to the plain modules in
 * electron/app (tested against a fake of this API). One instance; a tray; the core in a utility
 * process under the supervisor; the app's control (DesktopControl) behind the settings window's
 * IPC and the tray; the settings window; quit that unmounts and waits for uploads.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  app,
  BrowserWindow,
  clipboard,
  ipcMain,
  Menu,
  nativeImage,
  nativeTheme,
  Notification,
  protocol,
  shell,
  Tray,
  utilityProcess,
} from "electron";
import { startCore } from "./app/core-start.js";
import { DesktopControl } from "./app/desktop-control.js";
import { Drives } from "./app/drives.js";
import { utilityHostChannel } from "./app/host-channel.js";
import { registerControlIpc } from "./app/ipc.js";
import { EVENT_CHANNEL } from "./app/ipc-channels.js";
import { holdQuitFor, quitSequence } from "./app/quit.js";
import {
  APP_SCHEME,
  appFileFor,
  appResponseHeaders,
  isAppPage,
  lockDownWebContents,
  settingsUrl,
  settingsWindowOptions,
  type SettingsRoute,
} from "./app/settings-window.js";
import { trayActions } from "./app/tray-actions.js";
import { toMenuTemplate, TrayGlue } from "./app/tray-glue.js";
import { CoreSupervisor } from "./host/supervisor.js";
import { Keychain } from "./keychain.js";
import { mounterFor } from "./mount/mounter.js";
import { AppSettings } from "./settings/app-settings.js";
import type { TrayNotification } from "./tray/notifications.js";

const root = app.getAppPath();
const resources = join(root, "resources");
const rendererDir = join(root, "dist", "renderer");
const platform = process.platform;
/** How often the drives are looked at (a dropped one is mounted again). */
const DRIVE_CHECK_MS = 5_000;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // Before ready: app:// is a standard, secure origin, so 'self' in the CSP means the app's files.
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);
  app.whenReady().then(start, (err: unknown) => fail(err));
}

function fail(err: unknown): void {
  new Notification({ title: "DittoFS could not start", body: err instanceof Error ? err.message : String(err) }).show();
  app.exit(1);
}

async function start(): Promise<void> {
  app.dock?.hide();
  const userData = app.getPath("userData");
  const settingsPath = join(userData, "settings.db");
  const settings = new AppSettings(settingsPath);
  const logDir = join(userData, "logs");
  const keychain = new Keychain();
  const supervisor = new CoreSupervisor(() =>
    utilityHostChannel(
      utilityProcess.fork(
        join(root, "dist", "electron", "host", "host-main.js"),
        ["--settings", settingsPath, "--data", join(userData, "data"), "--logs", logDir],
        { serviceName: "DittoFS file server", env: { ...process.env, DITTOFS_VERSION: app.getVersion() } },
      ),
    ),
  );

  serveRenderer();
  const tray = new Tray(trayIcon());
  nativeTheme.on("updated", () => tray.setImage(trayIcon()));
  const notify = (notification: TrayNotification) => new Notification({ title: notification.title, body: notification.body }).show();
  let settingsWindow: BrowserWindow | null = null;

  const drives = new Drives({
    mounter: mounterFor(platform, { mountRoot: settings.preferences().mountFolder ?? join(homedir(), "DittoFS") }),
    platform,
    shares: () => settings.shares(),
    status: () => supervisor.status(),
    smbPassword: () => keychain.smbPassword(),
    onChange: (states) => glue.update({ drives: states }),
  });
  const control = new DesktopControl({
    settings,
    keychain,
    supervisor,
    drives,
    logDir,
    // shell.openPath resolves with an error message, "" when the folder opened.
    openPath: async (path) => (await shell.openPath(path)) === "",
    // From the tray or the settings window: the OS's login item and the tray's tick follow.
    setLaunchAtLogin: (enabled) => {
      app.setLoginItemSettings({ openAtLogin: enabled });
      glue.update({ launchAtLogin: enabled });
    },
  });
  const run = trayActions({
    drives,
    openPath: (path) => shell.openPath(path),
    writeClipboard: (text) => clipboard.writeText(text),
    openSettings: (route) => openSettings(route),
    setLaunchAtLogin: async (enabled) => void (await control.setPreferences({ launchAtLogin: enabled })),
    quit: () => app.quit(),
    report: (title, body) => notify({ id: "action", title, body }),
  });
  const glue = new TrayGlue(
    {
      setMenu: (items) => tray.setContextMenu(Menu.buildFromTemplate(toMenuTemplate(items, (action) => void run(action)))),
      setToolTip: (text) => tray.setToolTip(text),
      notify,
    },
    platform,
    { host: supervisor.state(), shares: settings.shares(), statuses: new Map(), drives: drives.states(), launchAtLogin: app.getLoginItemSettings().openAtLogin },
  );
  glue.update({});

  supervisor.onState((host) => {
    glue.update({ host, shares: settings.shares() });
    if (host.kind === "running") void refreshStatuses();
  });
  supervisor.subscribe((event) => {
    const statuses = new Map(glue.current().statuses);
    glue.update({ statuses: statuses.set(event.share.name, event.share) });
    if (settingsWindow && !settingsWindow.webContents.isDestroyed()) settingsWindow.webContents.send(EVENT_CHANNEL, event);
  });
  registerControlIpc(ipcMain, control, isAppPage);
  void startCore({ control, supervisor, notify });
  // Drives the OS let go of (a sleep, a server restart) show up as dropped, and are mounted again.
  setInterval(() => void control.keepDrives(), DRIVE_CHECK_MS).unref();

  async function refreshStatuses(): Promise<void> {
    const status = await supervisor.status().catch(() => null);
    if (status) glue.update({ statuses: new Map(status.shares.map((share) => [share.name, share])) });
  }

  function openSettings(route?: SettingsRoute): void {
    if (settingsWindow && !settingsWindow.isDestroyed()) {
      // Only the fragment changes: the page follows it without reloading.
      if (route) void settingsWindow.loadURL(settingsUrl(route));
      settingsWindow.show();
      settingsWindow.focus();
      return;
    }
    const window = new BrowserWindow(settingsWindowOptions(join(root, "dist", "electron", "preload.cjs"), join(resources, "icon-512.png")));
    lockDownWebContents(window.webContents, window.webContents.session);
    window.once("ready-to-show", () => window.show());
    window.on("closed", () => (settingsWindow = null));
    void window.loadURL(settingsUrl(route));
    settingsWindow = window;
  }

  app.on("second-instance", () => openSettings());
  // A tray app: closing the settings window does not quit.
  app.on("window-all-closed", () => {});
  holdQuitFor(app, () =>
    quitSequence({
      unmountAll: () => drives.unmountAll(),
      stopCore: (timeoutMs) => supervisor.stop(timeoutMs),
      trayState: () => glue.state(),
      notify: async (notification) => notify(notification),
    }).finally(() => settings.close()),
  );
}

/** macOS: a template image the menu bar tints; elsewhere the glyph drawn for the taskbar's theme. */
function trayIcon() {
  if (platform === "darwin") {
    const image = nativeImage.createFromPath(join(resources, "trayTemplate.png"));
    image.setTemplateImage(true);
    return image;
  }
  return nativeImage.createFromPath(join(resources, nativeTheme.shouldUseDarkColors ? "tray-on-dark.png" : "tray-on-light.png"));
}

/** app://settings/… from dist/renderer, every answer under the strict CSP. */
function serveRenderer(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = appFileFor(request.url, rendererDir);
    if ("status" in file) return new Response(null, { status: file.status });
    try {
      return new Response(await readFile(file.path), { headers: appResponseHeaders(file.contentType) });
    } catch {
      return new Response(null, { status: 404 });
    }
  });
}
