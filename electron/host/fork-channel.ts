/** The supervisor's HostChannel over a forked Node process (the headless app; the app itself uses Electron's utility process). */
import { fork, type ChildProcess, type StdioOptions } from "node:child_process";
import type { FromHost } from "./protocol.js";
import type { HostChannel } from "./supervisor.js";

export interface ForkedHostOptions {
  /** The host's stdin, stdout, stderr (the IPC channel is added); default: stdout and stderr are this process's. */
  stdio?: StdioOptions;
  env?: NodeJS.ProcessEnv;
  /** Told of each child forked (tests kill them all at the end). */
  onFork?: (child: ChildProcess) => void;
}

/** Forks `hostMain` with `args` each time the supervisor starts a host. */
export function forkedHostChannel(hostMain: string, args: readonly string[], options: ForkedHostOptions = {}): () => HostChannel {
  return () => {
    const child = fork(hostMain, args, { stdio: options.stdio ?? ["ignore", "inherit", "inherit", "ipc"], env: options.env ?? process.env });
    options.onFork?.(child);
    return {
      postMessage: (message) => {
        if (child.connected) child.send(message);
      },
      onMessage: (listener) => void child.on("message", (message) => listener(message as FromHost)),
      onExit: (listener) => void child.on("exit", (code) => listener(code)),
      kill: () => void child.kill("SIGKILL"),
    };
  };
}
