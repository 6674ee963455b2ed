import { homedir } from "node:os";
import path from "node:path";
import { ConfigError } from "./errors.js";
import { processIds } from "./schema.js";
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

const SOURCE = "(built-in default)";

/**
 * The embedded default used by `dittofs serve` without --config: one share "/export" on a
 * sqlite metadata store and an fs content store under dataDir(), NFS on 127.0.0.1:12049
 * (DITTOFS_NFS_PORT overrides the port), the root owned by the server process's uid/gid (`ids`)
 * with mode 0755. Root is squashed unless the server itself runs as root: then the share root
 * belongs to uid 0, and squashing would lock its owner out of it.
 */
export function defaultConfig(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  ids: { uid: number; gid: number } = processIds(),
): DittoConfig {
  const dir = dataDir(env, platform);
  const paths = platform === "win32" ? path.win32 : path.posix;
  return validateConfig(
    {
      adapters: { nfs: { port: nfsPort(env) } },
      metadata: { stores: { meta: { type: "sqlite", sqlite: { path: paths.join(dir, "meta.db") } } } },
      content: { stores: { data: { type: "fs", fs: { path: paths.join(dir, "content") } } } },
      shares: [
        {
          name: "/export",
          metadata_store: "meta",
          content_store: "data",
          root_squash: ids.uid !== 0,
          root: { uid: ids.uid, gid: ids.gid },
        },
      ],
    },
    SOURCE,
  );
}

/** DITTOFS_NFS_PORT as a port number (0 picks a free port), or the default 12049 when unset. */
function nfsPort(env: NodeJS.ProcessEnv): number {
  const value = env.DITTOFS_NFS_PORT?.trim();
  if (!value) return 12049;
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65535) {
    throw new ConfigError(SOURCE, [
      { path: "DITTOFS_NFS_PORT", message: `expected a port from 0 to 65535, got ${JSON.stringify(env.DITTOFS_NFS_PORT)}` },
    ]);
  }
  return port;
}
