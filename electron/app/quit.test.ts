import { describe, expect, it } from "vitest";
import type { TrayNotification } from "../tray/notifications.js";
import type { ShareState, TrayState } from "../tray/state.js";
import { holdQuitFor, quitSequence, type QuitSteps } from "./quit.js";

function share(name: string, pendingFiles: number): ShareState {
  return { name, protocol: "nfs", mounted: true, mountPoint: `/d/${name}`, wantMounted: true, pendingFiles, pendingBytes: pendingFiles * 1000, stalled: null, lastError: null };
}
const tray: TrayState = { server: { state: "running" }, shares: [share("photos", 2), share("docs", 0), share("backup", 1)], launchAtLogin: false };

function steps(changes: Partial<QuitSteps> = {}) {
  const log: string[] = [];
  const shown: TrayNotification[] = [];
  const base: QuitSteps = {
    unmountAll: async () => (log.push("unmount"), []),
    stopCore: async (timeoutMs) => (log.push(`stop ${timeoutMs}`), { pendingFiles: 3 }),
    trayState: () => tray,
    notify: async (notification) => void (log.push("notify"), shown.push(notification)),
  };
  return { steps: { ...base, ...changes }, log, shown };
}

describe("quitSequence", () => {
  it("unmounts, then stops the core with the bounded wait, then names what is still uploading", async () => {
    const { steps: s, log, shown } = steps();
    await quitSequence(s, { unmountMs: 1_000, uploadsMs: 15_000 });
    expect(log).toEqual(["unmount", "stop 15000", "notify"]);
    expect(shown).toEqual([
      {
        id: "quit",
        title: "DittoFS quit before every upload finished",
        body: "3 files (photos, backup) still waiting to upload: they are kept on this computer and upload when DittoFS starts again.",
      },
    ]);
  });

  it("says nothing when everything was uploaded and unmounted", async () => {
    const { steps: s, shown } = steps({ stopCore: async () => ({ pendingFiles: 0 }) });
    expect(await quitSequence(s)).toBeNull();
    expect(shown).toEqual([]);
  });

  it("does not wait forever for an unmount, and says which drives stayed", async () => {
    const { steps: s, log, shown } = steps({ unmountAll: () => new Promise(() => {}), stopCore: async () => (log.push("stop"), { pendingFiles: 0 }) });
    await quitSequence(s, { unmountMs: 20, uploadsMs: 100 });
    expect(log).toEqual(["stop", "notify"]);
    expect(shown[0]?.body).toBe("Not unmounted: some drives did not unmount in time");
    const failing = steps({ unmountAll: async () => ["photos: resource busy"], stopCore: async () => ({ pendingFiles: 0 }) });
    await quitSequence(failing.steps);
    expect(failing.shown[0]).toMatchObject({ title: "DittoFS quit", body: "Not unmounted: photos: resource busy" });
  });

  it("still quits when the core cannot be stopped cleanly", async () => {
    const { steps: s, shown } = steps({ stopCore: () => Promise.reject(new Error("gone")) });
    await quitSequence(s);
    expect(shown[0]?.body).toMatch(/^Some files \(photos, backup\) still waiting to upload/);
  });
});

describe("holdQuitFor", () => {
  /** Electron's app: quit() emits before-quit, and quits unless a listener prevents it. */
  class FakeApp {
    quitted = 0;
    private listener: ((event: { preventDefault(): void }) => void) | null = null;
    on(_event: "before-quit", listener: (event: { preventDefault(): void }) => void) {
      this.listener = listener;
      return this;
    }
    quit() {
      let prevented = false;
      this.listener?.({ preventDefault: () => (prevented = true) });
      if (!prevented) this.quitted++;
    }
  }

  it("holds the first quit until the sequence ends, ignores quits meanwhile, then quits once", async () => {
    const app = new FakeApp();
    let finish: () => void = () => {};
    let runs = 0;
    holdQuitFor(app, () => (runs++, new Promise<void>((resolve) => (finish = resolve))));
    app.quit();
    app.quit();
    expect([runs, app.quitted]).toEqual([1, 0]);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect([runs, app.quitted]).toEqual([1, 1]);
  });

  it("quits even when the sequence fails", async () => {
    const app = new FakeApp();
    holdQuitFor(app, () => Promise.reject(new Error("no")));
    app.quit();
    await new Promise((resolve) => setImmediate(resolve));
    expect(app.quitted).toBe(1);
  });
});
