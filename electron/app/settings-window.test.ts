import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONTENT_SECURITY_POLICY, SETTINGS_URL, appFileFor, appResponseHeaders, isAppPage, lockDownWebContents, settingsUrl, settingsWindowOptions } from "./settings-window.js";
import { FakeSession, FakeWebContents } from "./testing/fake-electron.js";

const dir = join("/opt", "DittoFS", "dist", "renderer");

describe("the settings window", () => {
  it("is isolated, sandboxed and without Node", () => {
    expect(settingsWindowOptions("/app/preload.cjs", "/app/icon.png").webPreferences).toMatchObject({
      preload: "/app/preload.cjs",
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it("serves the app's files on app://settings with their types, under the CSP", () => {
    expect(appFileFor(SETTINGS_URL, dir)).toEqual({ path: join(dir, "index.html"), contentType: "text/html; charset=utf-8" });
    expect(appFileFor("app://settings/", dir)).toEqual({ path: join(dir, "index.html"), contentType: "text/html; charset=utf-8" });
    expect(appFileFor("app://settings/assets/index-abc.js?x=1", dir)).toEqual({
      path: join(dir, "assets", "index-abc.js"),
      contentType: "text/javascript; charset=utf-8",
    });
    expect(appResponseHeaders("text/css")).toMatchObject({ "Content-Type": "text/css", "Content-Security-Policy": CONTENT_SECURITY_POLICY });
  });

  it("serves nothing outside dist/renderer, from another host, or of an unknown kind", () => {
    // The URL parser resolves dot segments, encoded or not, before the path is looked at.
    expect(appFileFor("app://settings/%2e%2e/%2e%2e/package.json", dir)).toMatchObject({ path: join(dir, "package.json") });
    expect(appFileFor("app://settings/..%2f..%2fcore%2findex.js", dir)).toEqual({ status: 403 });
    expect(appFileFor("app://settings/%00.js", dir)).toEqual({ status: 403 });
    expect(appFileFor("app://other/index.html", dir)).toEqual({ status: 403 });
    expect(appFileFor("app://settings/%E0%A4%A", dir)).toEqual({ status: 404 });
    expect(appFileFor("app://settings/secrets.db", dir)).toEqual({ status: 404 });
    expect(appFileFor("not a url", dir)).toEqual({ status: 404 });
  });

  it("opens at the add-share form or a share's form by the fragment, which stays one of its own pages", () => {
    expect(settingsUrl()).toBe(SETTINGS_URL);
    expect(settingsUrl({ add: true })).toBe("app://settings/index.html#add");
    expect(settingsUrl({ edit: "My Photos & more" })).toBe("app://settings/index.html#edit=My+Photos+%26+more");
    // What the renderer reads back from the fragment (renderer/route.ts takes URLSearchParams of it).
    expect(new URLSearchParams(new URL(settingsUrl({ edit: "My Photos & more" })).hash.slice(1)).get("edit")).toBe("My Photos & more");
    for (const url of [settingsUrl({ add: true }), settingsUrl({ edit: "a/../../b#c" })]) {
      expect(isAppPage(url)).toBe(true);
      expect(appFileFor(url, dir)).toEqual({ path: join(dir, "index.html"), contentType: "text/html; charset=utf-8" });
    }
  });

  it("knows its own pages", () => {
    expect(isAppPage(SETTINGS_URL)).toBe(true);
    expect(isAppPage("app://settings/assets/x.js")).toBe(true);
    expect(isAppPage("app://evil/index.html")).toBe(false);
    expect(isAppPage("file:///opt/DittoFS/dist/renderer/index.html")).toBe(false);
    expect(isAppPage("https://settings/")).toBe(false);
    expect(isAppPage("")).toBe(false);
  });

  it("has a CSP that allows no inline code, no remote origin and no network", () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
    expect(directives.get("default-src")).toEqual(["'none'"]);
    expect(directives.get("script-src")).toEqual(["'self'"]);
    expect(directives.get("connect-src")).toEqual(["'none'"]);
    expect(directives.get("frame-ancestors")).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe|https?:|\*/);
  });

  it("refuses navigation away, new windows and every permission", () => {
    const webContents = new FakeWebContents();
    const session = new FakeSession();
    lockDownWebContents(webContents, session);
    expect(webContents.navigate("app://settings/index.html")).toBe(true);
    expect(webContents.navigate("https://example.com/")).toBe(false);
    expect(webContents.navigate("file:///etc/passwd")).toBe(false);
    expect(webContents.windowOpenHandler?.({ url: "https://example.com/" })).toEqual({ action: "deny" });
    const answers: boolean[] = [];
    for (const permission of ["notifications", "media", "geolocation", "clipboard-read"]) session.requestHandler?.(null, permission, (granted) => answers.push(granted));
    expect(answers).toEqual([false, false, false, false]);
    expect(session.checkHandler?.(null, "media")).toBe(false);
  });
});
