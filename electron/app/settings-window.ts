/**
 * The settings window's security: its options (isolated, sandboxed, no Node), the app's own
 * `app://` scheme that serves dist/renderer with a strict Content-Security-Policy, and the
 * refusals (navigation, new windows, permissions) that keep remote content out.
 */
import { extname, join, relative, isAbsolute } from "node:path";
import type { SessionLike, WebContentsLike } from "./electron-types.js";

/** The scheme the settings UI is served on; its pages are `app://settings/...`. */
export const APP_SCHEME = "app";
export const APP_HOST = "settings";
export const SETTINGS_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Where the window opens: the add-share form (`#add`) or a share's form (`#edit=<name>`), as the renderer routes them. */
export type SettingsRoute = { add: true } | { edit: string };

/** The settings page at `route`: the fragment only, so that an open window follows it without a reload. */
export function settingsUrl(route?: SettingsRoute): string {
  if (route === undefined) return SETTINGS_URL;
  return `${SETTINGS_URL}#${"add" in route ? "add" : new URLSearchParams({ edit: route.edit }).toString()}`;
}

/** Scripts and styles from the app's own files only; no inline code, no network, no frames. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};

export function settingsWindowOptions(preloadPath: string, iconPath: string) {
  return {
    width: 960,
    height: 720,
    minWidth: 640,
    minHeight: 480,
    show: false,
    title: "DittoFS Settings",
    icon: iconPath,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  } as const;
}

/** True for the app's own pages: what IPC accepts calls from and the window may show. */
export function isAppPage(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

export type AppFile = { path: string; contentType: string } | { status: 403 | 404 };

/**
 * The file under `rendererDir` an `app://settings/...` URL names, or why there is none: another
 * host, a path that leaves the folder, a kind of file the UI does not have.
 */
export function appFileFor(url: string, rendererDir: string): AppFile {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { status: 404 };
  }
  if (!isAppPage(url)) return { status: 403 };
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return { status: 404 };
  }
  const path = join(rendererDir, pathname === "/" ? "index.html" : pathname);
  const inside = relative(rendererDir, path);
  if (inside === "" || inside.startsWith("..") || isAbsolute(inside) || pathname.includes("\0")) return { status: 403 };
  const contentType = CONTENT_TYPES[extname(path).toLowerCase()];
  return contentType === undefined ? { status: 404 } : { path, contentType };
}

/** Headers every app:// answer carries. */
export function appResponseHeaders(contentType: string): Record<string, string> {
  return {
    "Content-Type": contentType,
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
  };
}

/** No navigation away from the app's pages, no new windows, no permission (camera, notifications…). */
export function lockDownWebContents(webContents: WebContentsLike, session: SessionLike): void {
  webContents.on("will-navigate", (event, url) => {
    if (!isAppPage(url)) event.preventDefault();
  });
  webContents.setWindowOpenHandler(() => ({ action: "deny" }));
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
