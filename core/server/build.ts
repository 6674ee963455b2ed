import { NfsAdapter } from "../adapter/nfs/adapter.js";
import { PortmapAdapter } from "../adapter/portmap/adapter.js";
import { SmbAdapter } from "../adapter/smb/adapter.js";
import { resolveSmbUsers } from "../adapter/smb/users.js";
import type { DittoConfig } from "../config/types.js";
import { MOUNT_PROGRAM, MOUNT_V3 } from "../protocol/nfs/mount/constants.js";
import { NFS_PROGRAM, NFS_V3 } from "../protocol/nfs/v3/constants.js";
import { IPPROTO_TCP } from "../protocol/portmap/mapping.js";
import { Registry } from "../registry/registry.js";
import type { StoreOptions } from "../registry/stores.js";
import type { Logger } from "../util/logger.js";
import { DittoServer } from "./server.js";

export interface BuiltServer {
  server: DittoServer;
  /** Null when adapters.nfs.enabled is false. */
  nfs: NfsAdapter | null;
  /** Null when adapters.portmap.enabled is false. */
  portmap: PortmapAdapter | null;
  /** Null when adapters.smb.enabled is false. */
  smb: SmbAdapter | null;
}

/** Opens the config's stores and wires the enabled adapters into a server (not yet started). */
export async function buildServer(config: DittoConfig, logger: Logger, options: StoreOptions = {}): Promise<BuiltServer> {
  const { smb: smbConfig } = config.adapters;
  // Passwords are resolved before any store opens: a missing secret fails the start cleanly.
  const smbUsers = smbConfig.enabled ? await resolveSmbUsers(smbConfig.users, options.secrets ?? null) : [];
  const registry = await Registry.fromConfig(config, logger, options);
  const server = new DittoServer({ registry, logger, shutdownTimeout: config.server.shutdownTimeout });
  const { nfs: nfsConfig, portmap: portmapConfig } = config.adapters;

  const nfs = nfsConfig.enabled
    ? new NfsAdapter({
        logger,
        bind: nfsConfig.bind,
        port: nfsConfig.port,
        mountPort: nfsConfig.mountPort,
        maxRecordBytes: nfsConfig.maxRecordSize,
        limits: {
          idleTimeoutMs: nfsConfig.idleTimeout,
          maxConnections: nfsConfig.maxConnections,
          maxInflightBytes: nfsConfig.maxInflightBytes,
          drcEntries: nfsConfig.drcEntries,
        },
      })
    : null;
  if (nfs) server.addAdapter(nfs);
  const smb = smbConfig.enabled ? new SmbAdapter({ logger, config: smbConfig, users: smbUsers }) : null;
  if (smb) server.addAdapter(smb);

  if (portmapConfig.enabled) {
    const portmap = new PortmapAdapter({
      logger: logger.child({ component: "portmap" }),
      bind: portmapConfig.bind,
      port: portmapConfig.port,
      // Asked on every GETPORT, so ports chosen at listen time (port 0) are reported correctly.
      mappings: () =>
        nfs
          ? [
              { prog: NFS_PROGRAM, vers: NFS_V3, prot: IPPROTO_TCP, port: nfs.port() },
              { prog: MOUNT_PROGRAM, vers: MOUNT_V3, prot: IPPROTO_TCP, port: nfs.mountPort() },
            ]
          : [],
    });
    server.addAdapter(portmap);
    return { server, nfs, portmap, smb };
  }
  return { server, nfs, portmap: null, smb };
}
