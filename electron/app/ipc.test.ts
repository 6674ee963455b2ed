/** The settings window's contract over IPC: the preload's window.dittofs through the fake ipc to registerControlIpc. */
import { describe, expect, it } from "vitest";
import { ControlError, type ControlApi, type ControlEvent, type ServerStatus, type ShareStatus } from "../../core/index.js";
import { registerControlIpc } from "./ipc.js";
import { EVENT_CHANNEL } from "./ipc-channels.js";
import { exposeControlApi } from "./preload-api.js";
import { SETTINGS_URL, isAppPage } from "./settings-window.js";
import { FakeContextBridge, FakeIpc } from "./testing/fake-electron.js";

const STATUS: ServerStatus = {
  version: "1.2.3",
  managed: false,
  startedAt: "2026-01-01T00:00:00.000Z",
  listeners: { nfs: { bind: "127.0.0.1", port: 12049, mountPort: 12049 }, smb: null, portmap: null },
  shares: [],
  unserved: [],
  problem: null,
};

/** A ControlApi that records its calls and fails for an unknown share, as the core does. */
function recordingControl() {
  const calls: Array<[string, unknown[]]> = [];
  const control: ControlApi = {
    status: async () => (calls.push(["status", []]), STATUS),
    retryUploads: async (share) => {
      calls.push(["retryUploads", [share]]);
      if (share !== "/photos") throw new ControlError("NotFound", `no share named "${share}"`);
      return 3;
    },
    refreshListing: async (share) => (calls.push(["refreshListing", [share]]), true),
    testS3: async (request) => (calls.push(["testS3", [request]]), { ok: true, buckets: ["photos"] }) as never,
    subscribe: () => () => {},
  };
  return { control, calls };
}

function windowApi(ipc: FakeIpc, pageUrl = SETTINGS_URL) {
  const bridge = new FakeContextBridge();
  exposeControlApi(bridge, ipc.renderer(pageUrl));
  return bridge.exposed.get("dittofs") as unknown as ControlApi;
}

describe("window.dittofs over IPC", () => {
  it("exposes the ControlApi methods and nothing else", () => {
    const bridge = new FakeContextBridge();
    exposeControlApi(bridge, new FakeIpc().renderer(SETTINGS_URL));
    expect([...bridge.exposed.keys()]).toEqual(["dittofs"]);
    const api = bridge.exposed.get("dittofs")!;
    expect(Object.keys(api).sort()).toEqual(["refreshListing", "retryUploads", "status", "subscribe", "testS3"]);
    expect(Object.values(api).every((value) => typeof value === "function")).toBe(true);
  });

  it("forwards each call with its arguments and returns the answer", async () => {
    const ipc = new FakeIpc();
    const { control, calls } = recordingControl();
    registerControlIpc(ipc.main, control, isAppPage);
    const api = windowApi(ipc);
    expect(await api.status()).toEqual(STATUS);
    expect(await api.retryUploads("/photos")).toBe(3);
    expect(await api.refreshListing("/photos")).toBe(true);
    const probe = { endpoint: "http://127.0.0.1:9000", region: "us-east-1", accessKeyId: "a", secretKey: "s" };
    await api.testS3(probe as never);
    expect(calls).toEqual([
      ["status", []],
      ["retryUploads", ["/photos"]],
      ["refreshListing", ["/photos"]],
      ["testS3", [probe]],
    ]);
  });

  it("rejects with the contract's code and message", async () => {
    const ipc = new FakeIpc();
    registerControlIpc(ipc.main, recordingControl().control, isAppPage);
    await expect(windowApi(ipc).retryUploads("/nope")).rejects.toMatchObject({ code: "NotFound", message: 'no share named "/nope"' });
  });

  it("refuses calls from pages that are not the app's own, and arguments of the wrong shape", async () => {
    const ipc = new FakeIpc();
    const { control, calls } = recordingControl();
    registerControlIpc(ipc.main, control, isAppPage);
    await expect(windowApi(ipc, "https://example.com/").status()).rejects.toMatchObject({ code: "Forbidden" });
    await expect(windowApi(ipc, "file:///tmp/index.html").status()).rejects.toMatchObject({ code: "Forbidden" });
    const raw = ipc.renderer(SETTINGS_URL);
    expect(await raw.invoke("dittofs:retry-uploads", { share: "/photos" })).toMatchObject({ ok: false, error: { code: "Invalid" } });
    expect(await raw.invoke("dittofs:retry-uploads", "x".repeat(5000))).toMatchObject({ ok: false, error: { code: "Invalid" } });
    expect(await raw.invoke("dittofs:test-s3", "http://127.0.0.1")).toMatchObject({ ok: false, error: { code: "Invalid" } });
    expect(await raw.invoke("dittofs:status", "extra")).toMatchObject({ ok: false, error: { code: "Invalid" } });
    expect(calls).toEqual([]);
  });

  it("turns an unexpected failure into Internal with its message", async () => {
    const ipc = new FakeIpc();
    const control = { ...recordingControl().control, status: () => Promise.reject(new TypeError("boom")) };
    registerControlIpc(ipc.main, control, isAppPage);
    await expect(windowApi(ipc).status()).rejects.toMatchObject({ code: "Internal", message: "boom" });
  });

  it("removes its handlers when asked", async () => {
    const ipc = new FakeIpc();
    const unregister = registerControlIpc(ipc.main, recordingControl().control, isAppPage);
    expect(ipc.handlers.size).toBe(4);
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });

  it("delivers pushed events to subscribers, the event only, until they unsubscribe", () => {
    const ipc = new FakeIpc();
    const api = windowApi(ipc);
    const heard: unknown[][] = [];
    const unsubscribe = api.subscribe((...args) => heard.push(args));
    const event: ControlEvent = { type: "share", share: { name: "/photos" } as ShareStatus };
    ipc.send(EVENT_CHANNEL, event);
    expect(heard).toEqual([[event]]);
    unsubscribe();
    ipc.send(EVENT_CHANNEL, event);
    expect(heard).toHaveLength(1);
    expect(ipc.listenerCount(EVENT_CHANNEL)).toBe(0);
  });
});
