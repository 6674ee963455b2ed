/**
 * Quitting: unmount the drives, let the core finish uploads within a bounded wait and stop, then
 * tell the user what is still waiting to upload. Electron's `before-quit` is held until that is
 * done; a second Quit meanwhile changes nothing.
 */
import { count } from "../tray/format.js";
import type { TrayNotification } from "../tray/notifications.js";
import type { TrayState } from "../tray/state.js";

export interface QuitSteps {
  /** Resolves with what could not be unmounted. */
  unmountAll(): Promise<string[]>;
  stopCore(timeoutMs: number): Promise<{ pendingFiles: number }>;
  /** The tray state before quitting: names the shares that were uploading. */
  trayState(): TrayState;
  notify(notification: TrayNotification): Promise<void>;
}

export interface QuitTimeouts {
  unmountMs: number;
  uploadsMs: number;
}

export const QUIT_TIMEOUTS: QuitTimeouts = { unmountMs: 10_000, uploadsMs: 15_000 };

/** Runs the steps; every one is bounded, so quitting always ends. */
export async function quitSequence(steps: QuitSteps, timeouts: QuitTimeouts = QUIT_TIMEOUTS): Promise<TrayNotification | null> {
  const uploading = steps.trayState().shares.filter((share) => share.pendingFiles > 0).map((share) => share.name);
  const unmountErrors = await bounded(steps.unmountAll(), timeouts.unmountMs, ["some drives did not unmount in time"]).catch((err: Error) => [err.message]);
  const { pendingFiles } = await steps.stopCore(timeouts.uploadsMs).catch(() => ({ pendingFiles: -1 }));
  const notification = quitNotification(pendingFiles, uploading, unmountErrors);
  if (notification !== null) await bounded(steps.notify(notification), 2_000, undefined).catch(() => {});
  return notification;
}

export function quitNotification(pendingFiles: number, uploading: string[], unmountErrors: string[]): TrayNotification | null {
  const lines: string[] = [];
  if (pendingFiles !== 0) {
    const what = pendingFiles < 0 ? "Some files" : count(pendingFiles, "file");
    const where = uploading.length > 0 ? ` (${uploading.join(", ")})` : "";
    lines.push(`${what}${where} still waiting to upload: they are kept on this computer and upload when DittoFS starts again.`);
  }
  if (unmountErrors.length > 0) lines.push(`Not unmounted: ${unmountErrors.join("; ")}`);
  if (lines.length === 0) return null;
  return { id: "quit", title: pendingFiles !== 0 ? "DittoFS quit before every upload finished" : "DittoFS quit", body: lines.join("\n") };
}

function bounded<T>(promise: Promise<T>, ms: number, onTimeout: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(onTimeout), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface QuittingApp {
  on(event: "before-quit", listener: (event: { preventDefault(): void }) => void): unknown;
  quit(): void;
}

/** Holds the first quit until `sequence` has run, then quits for real. */
export function holdQuitFor(app: QuittingApp, sequence: () => Promise<unknown>): void {
  let phase: "running" | "quitting" | "done" = "running";
  app.on("before-quit", (event) => {
    if (phase === "done") return;
    event.preventDefault();
    if (phase === "quitting") return;
    phase = "quitting";
    void sequence()
      .catch(() => {})
      .finally(() => {
        phase = "done";
        app.quit();
      });
  });
}
