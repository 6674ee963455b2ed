/**
 * The IPC between the settings window's preload and the main process, declared once: one invoke
 * channel per AppControlApi call and one channel main pushes the contract's events on. The
 * preload is bundled with this file, so it holds names and types only.
 */
import type { AppControlApi, ControlErrorCode } from "../../core/control/contract.js";

/** The AppControlApi calls the window may make (subscribe is the event channel below). */
export type ControlCall = Exclude<keyof AppControlApi, "subscribe">;

export const CONTROL_CHANNELS: Readonly<Record<ControlCall, string>> = {
  status: "dittofs:status",
  retryUploads: "dittofs:retry-uploads",
  refreshListing: "dittofs:refresh-listing",
  testS3: "dittofs:test-s3",
  listShares: "dittofs:list-shares",
  saveShare: "dittofs:save-share",
  removeShare: "dittofs:remove-share",
  previewFolder: "dittofs:preview-folder",
  mount: "dittofs:mount",
  unmount: "dittofs:unmount",
  preferences: "dittofs:preferences",
  setPreferences: "dittofs:set-preferences",
  openLogs: "dittofs:open-logs",
};

/** Main → window: a ControlEvent. */
export const EVENT_CHANNEL = "dittofs:event";

/**
 * What an invoke answers. A rejected ipcMain handler reaches the window as "Error invoking remote
 * method…" with the code lost, so failures travel as values and the preload throws them.
 */
export type IpcAnswer =
  | { ok: true; value: unknown }
  | { ok: false; error: { code: ControlErrorCode; message: string; field: string | null } };
