/**
 * The settings window's preload (sandboxed, bundled into dist/electron/preload.cjs): the control
 * contract on `window.dittofs`, nothing more.
 */
import { contextBridge, ipcRenderer } from "electron";
import { exposeControlApi } from "./app/preload-api.js";

exposeControlApi(contextBridge, ipcRenderer);
