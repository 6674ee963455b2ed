import { describe, expect, it } from "vitest";
import { notificationsFor } from "./notifications.js";
import type { ServerStatus, ShareState, TrayState } from "./state.js";

function share(name: string, changes: Partial<ShareState> = {}): ShareState {
  return {
    name,
    protocol: "nfs",
    mounted: false,
    mountPoint: null,
    wantMounted: false,
    pendingFiles: 0,
    pendingBytes: 0,
    stalled: null,
    lastError: null,
    ...changes,
  };
}

function state(shares: ShareState[], server: ServerStatus = { state: "running" }): TrayState {
  return { server, shares, launchAtLogin: false };
}

const mounted = (name: string) => share(name, { mounted: true, mountPoint: `/Volumes/${name}`, wantMounted: true });
const crashed = (attempt: number): ServerStatus => ({ state: "restarting", attempt, retryInMs: 2000 * attempt, error: "killed by SIGSEGV" });
const ids = (previous: TrayState | null, next: TrayState) => notificationsFor(previous, next).map((n) => n.id);

describe("notificationsFor", () => {
  it("tells nothing when nothing changed", () => {
    const same = state([mounted("photos"), share("docs", { stalled: { files: 2, reason: "AccessDenied" } })], crashed(1));
    expect(notificationsFor(same, same)).toEqual([]);
  });

  it("tells when a mount drops that the user did not unmount", () => {
    expect(notificationsFor(state([mounted("photos")]), state([share("photos", { wantMounted: true })]))).toEqual([
      { id: "mount-dropped:photos", title: "photos was disconnected", body: "The drive (/Volumes/photos) is no longer mounted." },
    ]);
  });

  it("stays quiet when the user unmounted, the drive was never mounted, or the share was removed", () => {
    expect(ids(state([mounted("photos")]), state([share("photos", { wantMounted: false })]))).toEqual([]);
    expect(ids(state([share("photos", { wantMounted: true })]), state([share("photos", { wantMounted: true })]))).toEqual([]);
    expect(ids(state([mounted("photos")]), state([]))).toEqual([]);
    expect(ids(null, state([share("photos", { wantMounted: true })]))).toEqual([]);
  });

  it("tells once when uploads stop for good, not again while they stay stopped", () => {
    const before = state([share("backup", { pendingFiles: 3 })]);
    const stopped = state([share("backup", { pendingFiles: 3, stalled: { files: 3, reason: "InvalidAccessKeyId" } })]);
    expect(notificationsFor(before, stopped)).toEqual([
      { id: "upload-stopped:backup", title: "Uploads to backup stopped", body: "3 files kept on this computer: InvalidAccessKeyId" },
    ]);
    const more = state([share("backup", { pendingFiles: 5, stalled: { files: 5, reason: "InvalidAccessKeyId" } })]);
    expect(ids(stopped, more)).toEqual([]);
    // Resumed (nothing to tell), then stopped again: a new story.
    expect(ids(more, before)).toEqual([]);
    expect(ids(before, stopped)).toEqual(["upload-stopped:backup"]);
  });

  it("tells at start-up about uploads that are already stopped", () => {
    expect(ids(null, state([share("backup", { stalled: { files: 1, reason: "SignatureDoesNotMatch" } })]))).toEqual([
      "upload-stopped:backup",
    ]);
  });

  it("tells once when the server crashes, not for each restart attempt", () => {
    const running = state([]);
    expect(notificationsFor(running, state([], crashed(1)))).toEqual([
      { id: "server", title: "DittoFS stopped unexpectedly", body: "Restarting it in 2 s. killed by SIGSEGV" },
    ]);
    expect(ids(state([], crashed(1)), state([], crashed(2)))).toEqual([]);
    expect(ids(state([], crashed(2)), running)).toEqual([]);
    // Crashing again after it recovered is told again.
    expect(ids(running, state([], crashed(1)))).toEqual(["server"]);
  });

  it("tells when the server is given up on or fails to start, once per error", () => {
    const gaveUp = state([], { state: "stopped", error: "crashed 5 times in a row" });
    expect(notificationsFor(state([], crashed(5)), gaveUp)).toEqual([
      { id: "server", title: "DittoFS is not running", body: "crashed 5 times in a row" },
    ]);
    expect(ids(gaveUp, gaveUp)).toEqual([]);
    expect(ids(null, state([], { state: "stopped", error: "listen EADDRINUSE" }))).toEqual(["server"]);
    expect(ids(state([]), state([], { state: "stopped", error: null }))).toEqual([]);
    expect(ids(state([], { state: "starting" }), state([]))).toEqual([]);
  });

  it("reports each cause once even when several happen together", () => {
    const previous = state([mounted("a"), mounted("b"), share("c")]);
    const next = state(
      [
        share("a", { wantMounted: true }),
        share("b", { wantMounted: true }),
        share("c", { stalled: { files: 1, reason: "AccessDenied" } }),
        share("c", { stalled: { files: 1, reason: "AccessDenied" } }),
      ],
      crashed(1),
    );
    expect(ids(previous, next)).toEqual(["server", "mount-dropped:a", "mount-dropped:b", "upload-stopped:c"]);
  });
});
