/**
 * What the preload puts on `window.dittofs`: the ControlApi and nothing else, each method one
 * invoke on its own channel, so the page never holds ipcRenderer or a generic "invoke anything".
 */
import type { ControlApi, ControlEvent, S3ProbeRequest } from "../../core/index.js";
import type { ContextBridgeLike, IpcRendererLike } from "./electron-types.js";
import { CONTROL_CHANNELS, EVENT_CHANNEL, type ControlCall, type IpcAnswer } from "./ipc-channels.js";

/** The error the window sees: the contract's code and message (contextBridge keeps the message). */
export class IpcControlError extends Error {
  override readonly name = "ControlError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function controlApiOverIpc(ipcRenderer: IpcRendererLike): ControlApi {
  const call = async (method: ControlCall, ...args: unknown[]) => {
    const answer = (await ipcRenderer.invoke(CONTROL_CHANNELS[method], ...args)) as IpcAnswer;
    if (!answer.ok) throw new IpcControlError(answer.error.code, answer.error.message);
    return answer.value;
  };
  return {
    status: () => call("status") as ReturnType<ControlApi["status"]>,
    retryUploads: (share: string) => call("retryUploads", share) as Promise<number>,
    refreshListing: (share: string) => call("refreshListing", share) as Promise<boolean>,
    testS3: (request: S3ProbeRequest) => call("testS3", request) as ReturnType<ControlApi["testS3"]>,
    subscribe(listener: (event: ControlEvent) => void) {
      // The page's listener gets the event only, never Electron's IpcRendererEvent (it holds `sender`).
      const onEvent = (_event: unknown, controlEvent: unknown) => listener(controlEvent as ControlEvent);
      ipcRenderer.on(EVENT_CHANNEL, onEvent);
      return () => void ipcRenderer.removeListener(EVENT_CHANNEL, onEvent);
    },
  };
}

export function exposeControlApi(contextBridge: ContextBridgeLike, ipcRenderer: IpcRendererLike): void {
  const api = controlApiOverIpc(ipcRenderer);
  contextBridge.exposeInMainWorld("dittofs", {
    status: api.status,
    retryUploads: api.retryUploads,
    refreshListing: api.refreshListing,
    testS3: api.testS3,
    subscribe: api.subscribe,
  });
}
