/**
 * The installers' config, checked without packaging (the Electron binary cannot be downloaded
 * here): electron-builder loads build/electron-builder.yml and validates it against its own
 * schema, and every file it and package.json name exists or is built by `npm run build`.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = resolve(fileURLToPath(import.meta.url), "../..");
// electron-builder's own loader and schema check, from the copy electron-builder itself uses.
const fromBuilder = createRequire(createRequire(join(root, "package.json")).resolve("electron-builder/package.json"));
/** The parts of the loaded config the tests read. */
interface BuilderConfig extends Record<string, unknown> {
  appId: string;
  productName: string;
  npmRebuild: boolean;
  asarUnpack: string[];
  mac: { target: Array<{ target: string }>; icon: string; hardenedRuntime: boolean; entitlements: string; entitlementsInherit: string };
  win: { target: Array<{ target: string }>; icon: string };
  linux: { target: Array<{ target: string }>; icon: string };
}
const { getConfig, validateConfiguration } = fromBuilder("app-builder-lib/out/util/config/config.js") as {
  getConfig(projectDir: string, configPath: string | null, options: null): Promise<BuilderConfig>;
  validateConfiguration(config: Record<string, unknown>, logger: unknown): Promise<void>;
};
const { DebugLogger } = fromBuilder("builder-util") as { DebugLogger: new (enabled: boolean) => unknown };
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

describe("build/electron-builder.yml", async () => {
  const config = await getConfig(root, "build/electron-builder.yml", null);

  it("passes electron-builder's validation", async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it("names the app and builds dmg, nsis, AppImage and deb", () => {
    expect({ appId: config.appId, productName: config.productName }).toEqual({ appId: "io.dittofs.desktop", productName: "DittoFS" });
    const targets = (platform: { target: Array<{ target: string }> }) => platform.target.map((t) => t.target);
    expect(targets(config.mac)).toEqual(["dmg"]);
    expect(targets(config.win)).toEqual(["nsis"]);
    expect(targets(config.linux)).toEqual(["AppImage", "deb"]);
  });

  it("signs macOS with the hardened runtime and the entitlements a network server needs", () => {
    expect(config.mac.hardenedRuntime).toBe(true);
    const plist = readFileSync(join(root, config.mac.entitlements), "utf8");
    for (const key of ["com.apple.security.network.server", "com.apple.security.network.client", "com.apple.security.cs.allow-jit"]) {
      expect(plist).toMatch(new RegExp(`<key>${key.replace(/\./g, "\\.")}</key>\\s*<true/>`));
    }
    expect(config.mac.entitlementsInherit).toBe(config.mac.entitlements);
  });

  it("unpacks and rebuilds the native modules", () => {
    expect(config.npmRebuild).toBe(true);
    expect(config.asarUnpack).toEqual(expect.arrayContaining(["node_modules/better-sqlite3/**", "node_modules/@napi-rs/keyring*/**"]));
    expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(["better-sqlite3", "@napi-rs/keyring"]));
  });

  it("refers only to files that exist, and packs what the app loads at run time", () => {
    for (const file of [config.mac.icon, config.win.icon, config.linux.icon, config.mac.entitlements]) {
      expect(existsSync(join(root, file)), file).toBe(true);
    }
    // What main.ts loads: its own build, the preload, the host, the renderer and the icons.
    expect(pkg.main).toBe("dist/electron/main.js");
    const written = parse(readFileSync(join(root, "build/electron-builder.yml"), "utf8")) as { files: string[] };
    expect(written.files).toEqual(expect.arrayContaining(["package.json", "dist/electron/**", "dist/core/**", "dist/renderer/**", "resources/**"]));
    expect(pkg.devDependencies.electron).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.scripts.dist).toContain("electron-builder --config build/electron-builder.yml");
    expect(pkg.scripts.start).toContain("electron .");
  });
});
