import { isIP } from "node:net";

/** What `serve` prints once listening: stable wording that scripts and tests parse. */
export interface ListeningInfo {
  nfs: { bind: string; port: number; mountPort: number } | null;
  /** The separate MOUNT port, when one is configured. */
  separateMountPort: number | null;
  portmap: { bind: string; port: number } | null;
  shares: readonly string[];
}

/** "127.0.0.1:12049", "[::1]:12049". */
export function hostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The server's address as a client on this machine writes it (loopback for wildcard binds). */
function clientHost(bind: string, loopbackName: string): string {
  if (bind === "127.0.0.1" || bind === "0.0.0.0" || bind === "::") return loopbackName;
  return isIP(bind) === 6 ? `[${bind}]` : bind;
}

/** A mount point per share: the documented ones for one share, one folder per share for more. */
function mountPoint(base: string, share: string, shareCount: number): string {
  return shareCount === 1 ? base : `${base}/${share.slice(1).replaceAll("/", "-")}`;
}

/** Listening lines, then ready-to-paste mount commands for macOS and Linux. */
export function listeningLines(info: ListeningInfo): string[] {
  const lines: string[] = [];
  const { nfs, portmap } = info;
  if (nfs) {
    lines.push(`NFS listening on ${hostPort(nfs.bind, nfs.port)}`);
    if (info.separateMountPort !== null) lines.push(`MOUNT listening on ${hostPort(nfs.bind, info.separateMountPort)}`);
  }
  if (portmap) lines.push(`Portmap listening on ${hostPort(portmap.bind, portmap.port)}`);
  if (!nfs) return lines;

  const ports = `port=${nfs.port},mountport=${nfs.mountPort}`;
  const count = info.shares.length;
  lines.push("Mount on macOS:");
  for (const share of info.shares) {
    lines.push(`  mount_nfs -o vers=3,tcp,${ports} ${clientHost(nfs.bind, "localhost")}:${share} ${mountPoint("~/mnt", share, count)}`);
  }
  lines.push("Mount on Linux:");
  for (const share of info.shares) {
    lines.push(
      `  sudo mount -t nfs -o vers=3,tcp,${ports},nolock ${clientHost(nfs.bind, "127.0.0.1")}:${share} ${mountPoint("/mnt/dittofs", share, count)}`,
    );
  }
  return lines;
}
