/**
 * What the tray shows: the server's life and each share's mount and uploads. Main builds it from
 * the control contract's status and events; the menu and the notifications are pure functions of it.
 */

/** The server host process, as the supervisor that restarts it sees it. */
export type ServerStatus =
  | { state: "starting" }
  | { state: "running" }
  /**
   * It crashed and is started again after a back-off delay: `attempt` counts the restarts since it
   * last ran, `retryInMs` is the delay before this one, `error` how it ended (exit code, signal).
   */
  | { state: "restarting"; attempt: number; retryInMs: number; error: string }
  /** Stopped on purpose (error null) or given up on (error says why). */
  | { state: "stopped"; error: string | null };

export type ShareProtocol = "nfs" | "smb";

export interface ShareState {
  /** The share's name, unique among shares (the control contract's key). */
  name: string;
  protocol: ShareProtocol;
  mounted: boolean;
  /** Where the drive is mounted (a path, or a drive letter on Windows); null when not mounted. */
  mountPoint: string | null;
  /**
   * The user asked for this drive to be mounted (set by Mount, cleared by Unmount): a mount that
   * goes away while this holds was dropped, not unmounted.
   */
  wantMounted: boolean;
  /** Files and bytes written locally that are not in the remote store yet (0 for local stores). */
  pendingFiles: number;
  pendingBytes: number;
  /** Uploads stopped by a failure retrying does not fix (core's RemoteCacheStatus.stalled). */
  stalled: { files: number; reason: string } | null;
  /** The last failure talking to the remote store; null once an operation succeeds again. */
  lastError: string | null;
}

export interface TrayState {
  server: ServerStatus;
  shares: ShareState[];
  launchAtLogin: boolean;
}
