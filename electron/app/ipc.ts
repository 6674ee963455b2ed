/**
 * The main side of the settings window's IPC: each AppControlApi call on its channel, forwarded
 * to the app's control (DesktopControl), answered as an IpcAnswer; calls from any page but the
 * app's own, and arguments of the wrong shape, are refused before they reach it.
 */
import type { AppControlApi, ControlErrorCode } from "../../core/control/contract.js";
import type { IpcMainLike } from "./electron-types.js";
import { CONTROL_CHANNELS, type ControlCall, type IpcAnswer } from "./ipc-channels.js";

const CODES: ReadonlySet<string> = new Set<ControlErrorCode>(["NotFound", "Invalid", "Unauthorized", "Forbidden", "Unavailable", "Internal"]);
/** Share names are short; anything longer is not a share. */
const MAX_NAME = 1024;
/** A folder's full path: longer than any the OSes allow (PATH_MAX is 4096 on Linux). */
const MAX_PATH = 4096;
/** An S3 secret key is 40 characters at AWS; a typed one is never this long. */
const MAX_SECRET = 1024;
const SAVE_SHARE_KEYS: ReadonlySet<string> = new Set(["share", "replacing", "secretAccessKey"]);

type Check = (args: unknown[]) => string | null;

/**
 * Checks a call's arguments: the window is trusted code, but a compromised page is not. Shapes
 * only: what a definition or a preference may hold is checked (naming the field) behind the call.
 */
const ARGUMENTS: Readonly<Record<ControlCall, Check>> = {
  status: none("status"),
  retryUploads: name,
  refreshListing: name,
  testS3: oneObject("testS3 takes one request object"),
  listShares: none("listShares"),
  saveShare: (args) => (args.length === 1 && isSaveShareRequest(args[0]) ? null : "saveShare takes one request: { share, replacing?, secretAccessKey? }"),
  removeShare: name,
  previewFolder: (args) => (args.length === 1 && isString(args[0], MAX_PATH) ? null : "expected one folder path"),
  mount: name,
  unmount: name,
  preferences: none("preferences"),
  setPreferences: oneObject("setPreferences takes one object of the preferences to change"),
  openLogs: none("openLogs"),
};

function none(call: string): Check {
  return (args) => (args.length === 0 ? null : `${call} takes no arguments`);
}

function name(args: unknown[]): string | null {
  return args.length === 1 && isString(args[0], MAX_NAME) ? null : "expected one share name";
}

function oneObject(problem: string): Check {
  return (args) => (args.length === 1 && isPlainObject(args[0]) ? null : problem);
}

function isString(value: unknown, maxLength: number): value is string {
  return typeof value === "string" && value.length <= maxLength;
}

/** A plain object, as structured cloning delivers one: no array, no class instance, no null. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function isSaveShareRequest(value: unknown): boolean {
  if (!isPlainObject(value) || !isPlainObject(value.share)) return false;
  if (Object.keys(value).some((key) => !SAVE_SHARE_KEYS.has(key))) return false;
  if (value.replacing !== undefined && !isString(value.replacing, MAX_NAME)) return false;
  return value.secretAccessKey === undefined || isString(value.secretAccessKey, MAX_SECRET);
}

/**
 * Registers a handler per call; `isAppPage` says whether a frame URL is one of the app's own pages.
 * Returns a function that removes the handlers.
 */
export function registerControlIpc(ipcMain: IpcMainLike, control: AppControlApi, isAppPage: (url: string) => boolean): () => void {
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
        const { code, field } = err as { code?: unknown; field?: unknown };
        return failed(
          typeof code === "string" && CODES.has(code) ? (code as ControlErrorCode) : "Internal",
          errorMessage(err),
          typeof field === "string" ? field : null,
        );
      }
    });
  }
  return () => calls.forEach((call) => ipcMain.removeHandler(CONTROL_CHANNELS[call]));
}

function failed(code: ControlErrorCode, message: string, field: string | null = null): IpcAnswer {
  return { ok: false, error: { code, message, field } };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
