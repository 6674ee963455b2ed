/**
 * The messages between the app's main process and the core host (the process that runs the file
 * server beside the UI, an Electron utility process in the app and a forked Node process in
 * tests): the control contract's calls and answers, its events, and the host's lifecycle.
 * Plain JSON-able values only.
 */
import type { ControlEvent } from "../../core/control/contract.js";

/** Main → host. */
export type ToHost =
  /** Call a ControlApi method (not subscribe: events always flow). */
  | { kind: "call"; id: number; method: HostMethod; args: unknown[] }
  /** Finish uploads that can finish within `timeoutMs`, stop, then exit. */
  | { kind: "stop"; timeoutMs: number };

/** Host → main. */
export type FromHost =
  | { kind: "ready"; nfsPort: number; smbPort: number | null }
  | { kind: "answer"; id: number; ok: true; value: unknown }
  | { kind: "answer"; id: number; ok: false; error: { code: string; message: string } }
  | { kind: "event"; event: ControlEvent }
  /** The host could not start (a bad share, a port in use): the supervisor reports it and does not retry at once. */
  | { kind: "failed"; message: string }
  /** Stopping: what was still waiting to upload when the wait ended (0 when everything went up). */
  | { kind: "stopped"; pendingFiles: number };

export const HOST_METHODS = ["status", "retryUploads", "refreshListing", "testS3"] as const;
export type HostMethod = (typeof HOST_METHODS)[number];
