/**
 * The main side of the settings window's IPC: each ControlApi call on its channel, forwarded to
 * the supervisor, answered as an IpcAnswer; calls from any page but the app's own are refused.
 */
import type { ControlApi, ControlErrorCode } from "../../core/index.js";
import type { IpcMainLike } from "./electron-types.js";
import { CONTROL_CHANNELS, type ControlCall, type IpcAnswer } from "./ipc-channels.js";

const CODES: ReadonlySet<string> = new Set<ControlErrorCode>(["NotFound", "Invalid", "Unauthorized", "Forbidden", "Unavailable", "Internal"]);
/** Share names are short; anything longer is not a share. */
const MAX_SHARE_NAME = 1024;

/** Checks a call's arguments: the window is trusted code, but a compromised page is not. */
const ARGUMENTS: Readonly<Record<ControlCall, (args: unknown[]) => string | null>> = {
  status: (args) => (args.length === 0 ? null : "status takes no arguments"),
  retryUploads: shareArgument,
  refreshListing: shareArgument,
  testS3: (args) =>
    args.length === 1 && typeof args[0] === "object" && args[0] !== null && !Array.isArray(args[0]) ? null : "testS3 takes one request object",
};

function shareArgument(args: unknown[]): string | null {
  return args.length === 1 && typeof args[0] === "string" && args[0].length <= MAX_SHARE_NAME ? null : "expected one share name";
}

/**
 * Registers a handler per call; `isAppPage` says whether a frame URL is one of the app's own pages.
 * Returns a function that removes the handlers.
 */
export function registerControlIpc(ipcMain: IpcMainLike, control: ControlApi, isAppPage: (url: string) => boolean): () => void {
  const calls = Object.keys(CONTROL_CHANNELS) as ControlCall[];
  for (const call of calls) {
    ipcMain.handle(CONTROL_CHANNELS[call], async (event, ...args): Promise<IpcAnswer> => {
      if (event.senderFrame === null || !isAppPage(event.senderFrame.url)) {
        return failed("Forbidden", "only the DittoFS settings window may use the control API");
      }
      const invalid = ARGUMENTS[call](args);
      if (invalid !== null) return failed("Invalid", invalid);
      try {
        const method = control[call] as (...a: unknown[]) => Promise<unknown>;
        return { ok: true, value: await method.apply(control, args) };
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        return failed(typeof code === "string" && CODES.has(code) ? (code as ControlErrorCode) : "Internal", errorMessage(err));
      }
    });
  }
  return () => calls.forEach((call) => ipcMain.removeHandler(CONTROL_CHANNELS[call]));
}

function failed(code: ControlErrorCode, message: string): IpcAnswer {
  return { ok: false, error: { code, message } };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
