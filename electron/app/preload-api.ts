/**
 * What the preload puts on `window.dittofs`: the AppControlApi and nothing else, each method one
 * invoke on its own channel, so the page never holds ipcRenderer or a generic "invoke anything".
 */
import type { AppControlApi, ControlErrorCode, ControlEvent } from "../../core/control/contract.js";
import type { ContextBridgeLike, IpcRendererLike } from "./electron-types.js";
import { CONTROL_CHANNELS, EVENT_CHANNEL, type ControlCall, type IpcAnswer } from "./ipc-channels.js";

/**
 * The error the window sees: the contract's code, message and field. A plain Error named
 * "ControlError" (contextBridge keeps only an Error's message and own plain properties, never its
 * class), so that the contract's isControlError recognises it on the page.
 */
export class IpcControlError extends Error {
  override readonly name = "ControlError";
  constructor(
    readonly code: ControlErrorCode,
    message: string,
    readonly field: string | null,
  ) {
    super(message);
  }
}

export function controlApiOverIpc(ipcRenderer: IpcRendererLike): AppControlApi {
  const call = async (method: ControlCall, ...args: unknown[]) => {
    const answer = (await ipcRenderer.invoke(CONTROL_CHANNELS[method], ...args)) as IpcAnswer;
    if (!answer.ok) throw new IpcControlError(answer.error.code, answer.error.message, answer.error.field);
    return answer.value;
  };
  /** One method of the contract as one invoke on its channel. */
  const invoke =
    <K extends ControlCall>(method: K) =>
    (...args: Parameters<AppControlApi[K]>) =>
      call(method, ...args) as ReturnType<AppControlApi[K]>;
  return {
    status: invoke("status"),
    retryUploads: invoke("retryUploads"),
    refreshListing: invoke("refreshListing"),
    testS3: invoke("testS3"),
    listShares: invoke("listShares"),
    saveShare: invoke("saveShare"),
    removeShare: invoke("removeShare"),
    previewFolder: invoke("previewFolder"),
    mount: invoke("mount"),
    unmount: invoke("unmount"),
    preferences: invoke("preferences"),
    setPreferences: invoke("setPreferences"),
    openLogs: invoke("openLogs"),
    subscribe(listener: (event: ControlEvent) => void) {
      // The page's listener gets the event only, never Electron's IpcRendererEvent (it holds `sender`).
      const onEvent = (_event: unknown, controlEvent: unknown) => listener(controlEvent as ControlEvent);
      ipcRenderer.on(EVENT_CHANNEL, onEvent);
      return () => void ipcRenderer.removeListener(EVENT_CHANNEL, onEvent);
    },
  };
}

export function exposeControlApi(contextBridge: ContextBridgeLike, ipcRenderer: IpcRendererLike): void {
  // A copy of the methods as own properties: contextBridge copies an object's own properties only.
  contextBridge.exposeInMainWorld("dittofs", { ...controlApiOverIpc(ipcRenderer) });
}
