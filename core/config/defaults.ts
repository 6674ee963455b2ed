import { homedir } from "node:os";
import path from "node:path";
import type { DittoConfig } from "./types.js";
import { validateConfig } from "./validate.js";

/**
 * Where DittoFS keeps its data when no config says otherwise: DITTOFS_DATA_DIR, else the user's
 * data directory (Linux: $XDG_DATA_HOME/dittofs or ~/.local/share/dittofs; macOS:
 * ~/Library/Application Support/DittoFS; Windows: %APPDATA%\DittoFS).
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const paths = platform === "win32" ? path.win32 : path.posix;
  if (env.DITTOFS_DATA_DIR) return env.DITTOFS_DATA_DIR;
  const home = env.HOME || env.USERPROFILE || homedir();
  switch (platform) {
    case "darwin":
      return paths.join(home, "Library", "Application Support", "DittoFS");
    case "win32":
      return paths.join(env.APPDATA || paths.join(home, "AppData", "Roaming"), "DittoFS");
    default:
      return paths.join(env.XDG_DATA_HOME || paths.join(home, ".local", "share"), "dittofs");
  }
}

/**
 * The embedded default used by `dittofs serve` without --config: one share "/export" on a
 * sqlite metadata store and an fs content store under dataDir(), NFS on 127.0.0.1:12049, the
 * root owned by the server process's uid/gid with mode 0755.
 */
export function defaultConfig(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): DittoConfig {
  const dir = dataDir(env, platform);
  const paths = platform === "win32" ? path.win32 : path.posix;
  return validateConfig(
    {
      metadata: { stores: { meta: { type: "sqlite", sqlite: { path: paths.join(dir, "meta.db") } } } },
      content: { stores: { data: { type: "fs", fs: { path: paths.join(dir, "content") } } } },
      shares: [{ name: "/export", metadata_store: "meta", content_store: "data" }],
    },
    "(built-in default)",
  );
}
