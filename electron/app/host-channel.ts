/** The supervisor's HostChannel over an Electron utility process. */
import type { HostChannel } from "../host/supervisor.js";
import type { FromHost } from "../host/protocol.js";

/** The part of Electron's UtilityProcess the channel uses. */
export interface UtilityProcessLike {
  postMessage(message: unknown): void;
  on(event: "message", listener: (message: unknown) => void): unknown;
  on(event: "exit", listener: (code: number) => void): unknown;
  kill(): boolean;
}

export function utilityHostChannel(child: UtilityProcessLike): HostChannel {
  return {
    postMessage: (message) => child.postMessage(message),
    onMessage: (listener) => void child.on("message", (message) => listener(message as FromHost)),
    onExit: (listener) => void child.on("exit", (code) => listener(code)),
    kill: () => void child.kill(),
  };
}
