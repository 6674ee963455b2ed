/**
 * The system notifications a state change deserves: an upload that stopped for good, a drive that
 * went away without the user unmounting it, a server that crashed or was given up on. A pure diff
 * of two states: what stays the same across updates is never told twice.
 */
import { clip, count, seconds } from "./format.js";
import type { ServerStatus, ShareState, TrayState } from "./state.js";

export interface TrayNotification {
  /** Stable per cause ("upload-stopped:photos"): main may replace a shown one with the same id. */
  id: string;
  title: string;
  body: string;
}

/** `previous` is null for the first state main sees (the app just started). */
export function notificationsFor(previous: TrayState | null, next: TrayState): TrayNotification[] {
  // Keyed by id: one notification per cause, even if a share is listed twice.
  const found = new Map<string, TrayNotification>();
  const add = (notification: TrayNotification | null) => {
    if (notification !== null) found.set(notification.id, notification);
  };
  add(serverNotification(previous?.server ?? null, next.server));
  const before = new Map(previous?.shares.map((share) => [share.name, share]));
  for (const share of next.shares) {
    const was = before.get(share.name);
    add(uploadStopped(was, share));
    add(mountDropped(was, share));
  }
  return [...found.values()];
}

function serverNotification(was: ServerStatus | null, now: ServerStatus): TrayNotification | null {
  // Attempt 2, 3… of one crash are the same story: only the first restart is told.
  if (now.state === "restarting" && was?.state !== "restarting") {
    return {
      id: "server",
      title: "DittoFS stopped unexpectedly",
      body: `Restarting it in ${seconds(now.retryInMs)}. ${clip(now.error)}`,
    };
  }
  if (now.state === "stopped" && now.error !== null) {
    const alreadyTold = was?.state === "stopped" && was.error === now.error;
    if (!alreadyTold) return { id: "server", title: "DittoFS is not running", body: clip(now.error) };
  }
  return null;
}

function uploadStopped(was: ShareState | undefined, now: ShareState): TrayNotification | null {
  if (now.stalled === null || (was?.stalled ?? null) !== null) return null;
  return {
    id: `upload-stopped:${now.name}`,
    title: `Uploads to ${now.name} stopped`,
    body: `${count(now.stalled.files, "file")} kept on this computer: ${clip(now.stalled.reason)}`,
  };
}

function mountDropped(was: ShareState | undefined, now: ShareState): TrayNotification | null {
  if (was === undefined || !was.mounted || now.mounted || !now.wantMounted) return null;
  const where = was.mountPoint === null ? "" : ` (${was.mountPoint})`;
  return {
    id: `mount-dropped:${now.name}`,
    title: `${now.name} was disconnected`,
    body: `The drive${where} is no longer mounted.`,
  };
}
