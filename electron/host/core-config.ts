import { join } from "node:path";
import type { AppPreferences, AppShare } from "../settings/app-settings.js";

/** The SMB user the app creates for its own mounts; its password is generated and kept in the keychain. */
export const SMB_USER = "dittofs";
export const SMB_PASSWORD_REF = "keychain:dittofs/smb-password";

/** A share of the app as the core serves it: its export path and its SMB name. */
export interface ServedShare {
  share: AppShare;
  /** "/photos": what NFS clients mount and the control API names the share by. */
  exportPath: string;
  /** "photos": \\127.0.0.1\photos and the gvfs smb:// URL. */
  smbName: string;
}

/**
 * Export names for the app's shares: lowercase letters, digits, dots, dashes and underscores
 * (what the mount commands of every OS take without escaping), made unique with a number.
 */
export function servedShares(shares: readonly AppShare[]): ServedShare[] {
  const taken = new Set<string>();
  return shares.map((share) => {
    const base =
      share.name
        .normalize("NFKD")
        .replace(/\p{M}/gu, "")
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, "-")
        .replace(/^[-._]+|[-._]+$/g, "") || "share";
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
    taken.add(name);
    return { share, exportPath: `/${name}`, smbName: name };
  });
}

/** "keychain:dittofs/s3-photos" → the core's "secret:dittofs/s3-photos" (resolved by the host from the keychain). */
function secretOf(keychainRef: string): string {
  return `secret:${keychainRef.slice("keychain:".length)}`;
}

/**
 * The core's config (the YAML shape, for validateConfig) for the app's shares and preferences:
 * one SQLite metadata store and one content store per share under `dataDir` (both named by the
 * share's SMB name), NFS on loopback,
 * SMB when a share asks for it (one user, the app's own), and no secret anywhere, only
 * keychain references.
 */
export function coreConfigFor(
  shares: readonly AppShare[],
  prefs: AppPreferences,
  dataDir: string,
  uid: number,
  gid: number,
  /** Names of shares to leave out; the others keep the export names they have with all shares. */
  leaveOut: ReadonlySet<string> = new Set(),
): Record<string, unknown> {
  const served = servedShares(shares).filter(({ share }) => !leaveOut.has(share.name));
  const metadata: Record<string, unknown> = {};
  const content: Record<string, unknown> = {};
  for (const { share, smbName } of served) {
    const dir = join(dataDir, "shares", smbName);
    // Scratch RAM keeps its tree in memory too: on disk, its names would outlive their contents.
    metadata[smbName] = share.kind === "memory" ? { type: "memory" } : { type: "sqlite", sqlite: { path: join(dir, "metadata.db") } };
    content[smbName] = contentStoreOf(share, dir);
  }
  const smb = served.some(({ share }) => share.protocol !== "nfs");
  // Each protocol listens only while a share asks for it: a listener nobody mounts is only a door.
  const nfs = served.some(({ share }) => share.protocol !== "smb");
  return {
    logging: { level: prefs.logLevel },
    adapters: {
      nfs: { enabled: nfs, bind: "127.0.0.1", port: prefs.nfsPort },
      smb: {
        enabled: smb,
        bind: "127.0.0.1",
        port: prefs.smbPort,
        users: smb ? [{ name: SMB_USER, password: secretOf(SMB_PASSWORD_REF), uid, gid, gids: [] }] : [],
      },
    },
    metadata: { stores: metadata },
    content: { stores: content },
    shares: served.map(({ share, exportPath, smbName }) => ({
      name: exportPath,
      metadata_store: smbName,
      content_store: smbName,
      // The desktop's mounts come from this user only: files belong to them, as on a local disk.
      root_squash: false,
      root: { uid, gid, mode: "0755" },
      // NFS has no password: only the kernel's client (macOS mounts from a reserved port) may use
      // the share, not any other local process claiming this user's uid.
      require_privileged_port: true,
      protocols: share.protocol === "both" ? ["nfs", "smb"] : [share.protocol],
      // Finder's and Explorer's own files stay on this computer, out of the bucket.
      litter: share.litter,
      smb: { name: smbName },
    })),
  };
}

function contentStoreOf(share: AppShare, dir: string): Record<string, unknown> {
  switch (share.kind) {
    case "memory":
      return { type: "memory" };
    case "folder":
      return { type: "fs", fs: { layout: "folder", path: share.folder!.path, index: join(dir, "folder-index.db") } };
    case "s3": {
      const s3 = share.s3!;
      return {
        type: "s3",
        s3: {
          layout: s3.layout,
          bucket: s3.bucket,
          prefix: s3.prefix,
          endpoint: s3.endpoint,
          region: s3.region,
          access_key_id: s3.accessKeyId,
          secret_access_key: secretOf(s3.secretKey),
        },
        cache: { path: join(dir, "cache"), max_size: share.cacheBytes },
      };
    }
  }
}
