import type { ListenerInfo, ServerStatus } from "../../core/control/contract.js";
import { localTime } from "../format.js";

/** The server itself: its version, since when it runs, and where it listens. */
export function GeneralView({ status }: { status: ServerStatus }) {
  const { nfs, smb, portmap } = status.listeners;
  return (
    <dl className="card">
      <dt>Version</dt>
      <dd>{status.version}</dd>
      <dt>Running since</dt>
      <dd>{localTime(status.startedAt)}</dd>
      <dt>NFS</dt>
      <dd>{nfs ? `${address(nfs)}${nfs.mountPort !== nfs.port ? `, MOUNT on port ${nfs.mountPort}` : " (MOUNT on the same port)"}` : "Off"}</dd>
      <dt>SMB</dt>
      <dd>{smb ? address(smb) : "Off"}</dd>
      <dt>Portmapper</dt>
      <dd>{portmap ? address(portmap) : "Off"}</dd>
    </dl>
  );
}

function address({ bind, port }: ListenerInfo): string {
  return `${bind.includes(":") ? `[${bind}]` : bind} port ${port}`;
}
