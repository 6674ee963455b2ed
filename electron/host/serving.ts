import { buildServer, StoreOpenError, validateConfig, type BuiltServer, type DittoConfig, type Logger, type StoreOptions } from "../../core/index.js";
import type { AppPreferences, AppShare } from "../settings/app-settings.js";
import { coreConfigFor, servedShares } from "./core-config.js";

export interface Serving {
  /** The server of the shares that could open; null when none could (or there are none). */
  built: BuiltServer | null;
  config: DittoConfig | null;
  /** Shares left out, by export path, with the reason. */
  unserved: { name: string; error: string }[];
}

export interface ServingOptions {
  shares: readonly AppShare[];
  prefs: AppPreferences;
  dataDir: string;
  uid: number;
  gid: number;
  logger: Logger;
  secrets: StoreOptions["secrets"];
}

/**
 * Builds the file server for the app's shares. A share whose stores cannot open (its bucket
 * deleted, its folder moved, its secret missing from the keychain) is left out and reported, so
 * that one broken share never keeps the others from being served; the person then fixes or
 * removes it in the settings. Any other failure (a port taken) stops the whole server.
 */
export async function buildServing(options: ServingOptions): Promise<Serving> {
  const { shares, prefs, dataDir, uid, gid, logger } = options;
  const served = servedShares(shares);
  const leaveOut = new Set<string>();
  const unserved: Serving["unserved"] = [];
  while (leaveOut.size < shares.length) {
    const config = validateConfig(coreConfigFor(shares, prefs, dataDir, uid, gid, leaveOut), "the app's shares");
    try {
      return { built: await buildServer(config, logger, { secrets: options.secrets }), config, unserved };
    } catch (err) {
      // Each share has its own pair of stores, named by its SMB name.
      const broken = err instanceof StoreOpenError ? served.find(({ smbName }) => smbName === err.store) : undefined;
      if (!broken || leaveOut.has(broken.share.name)) throw err;
      leaveOut.add(broken.share.name);
      unserved.push({ name: broken.exportPath, error: (err as Error).message });
      logger.warn({ share: broken.exportPath, err }, "a share cannot be served; serving the others");
    }
  }
  return { built: null, config: null, unserved };
}
