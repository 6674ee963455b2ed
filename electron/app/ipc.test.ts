/** The settings window's contract over IPC: the preload's window.dittofs through the fake ipc to registerControlIpc. */
import { describe, expect, it } from "vitest";
import { ControlError, isControlError, type AppControlApi, type ControlEvent, type ServerStatus, type ShareStatus } from "../../core/control/contract.js";
import { registerControlIpc } from "./ipc.js";
import { CONTROL_CHANNELS, EVENT_CHANNEL } from "./ipc-channels.js";
import { exposeControlApi } from "./preload-api.js";
import { SETTINGS_URL, isAppPage } from "./settings-window.js";
import { FakeContextBridge, FakeIpc } from "./testing/fake-electron.js";

const STATUS: ServerStatus = {
  version: "1.2.3",
  managed: true,
  startedAt: "2026-01-01T00:00:00.000Z",
  listeners: { nfs: { bind: "127.0.0.1", port: 12049, mountPort: 12049 }, smb: null, portmap: null },
  shares: [],
  unserved: [],
  problem: null,
};

const CALLS = ["status", "retryUploads", "refreshListing", "testS3", "listShares", "saveShare", "removeShare", "previewFolder", "mount", "unmount", "preferences", "setPreferences", "openLogs"];

/**
 * An AppControlApi that records its calls and answers each with its name and arguments; it fails
 * for an unknown share as the core does, and refuses a bad bucket naming the field as DesktopControl does.
 */
function recordingControl() {
  const calls: Array<[string, unknown[]]> = [];
  const answer = (method: string) =>
    async (...args: unknown[]) => {
      calls.push([method, args]);
      return { method, args } as never;
    };
  const control: AppControlApi = {
    status: async () => (calls.push(["status", []]), STATUS),
    retryUploads: async (share) => {
      calls.push(["retryUploads", [share]]);
      if (share !== "/photos") throw new ControlError("NotFound", `no share named "${share}"`);
      return 3;
    },
    refreshListing: answer("refreshListing"),
    testS3: answer("testS3"),
    listShares: answer("listShares"),
    saveShare: async (request) => {
      calls.push(["saveShare", [request]]);
      if (request.share.s3?.bucket === "No_Bucket") throw new ControlError("Invalid", "expected an S3 bucket name", "s3.bucket");
      return { definition: request.share } as never;
    },
    removeShare: answer("removeShare"),
    previewFolder: answer("previewFolder"),
    mount: answer("mount"),
    unmount: answer("unmount"),
    preferences: answer("preferences"),
    setPreferences: answer("setPreferences"),
    openLogs: answer("openLogs"),
    subscribe: () => () => {},
  };
  return { control, calls };
}

function windowApi(ipc: FakeIpc, pageUrl = SETTINGS_URL) {
  const bridge = new FakeContextBridge();
  exposeControlApi(bridge, ipc.renderer(pageUrl));
  return bridge.exposed.get("dittofs") as unknown as AppControlApi;
}

const s3Share = (bucket: string) => ({
  name: "Photos",
  kind: "s3" as const,
  s3: { endpoint: "http://127.0.0.1:9000", region: "us-east-1", bucket, accessKeyId: "AKID", secretKey: "keychain:dittofs/s3-photos" },
});

describe("window.dittofs over IPC", () => {
  it("exposes the whole AppControlApi and nothing else, a channel per call", () => {
    const bridge = new FakeContextBridge();
    exposeControlApi(bridge, new FakeIpc().renderer(SETTINGS_URL));
    expect([...bridge.exposed.keys()]).toEqual(["dittofs"]);
    const api = bridge.exposed.get("dittofs")!;
    expect(Object.keys(api).sort()).toEqual([...CALLS, "subscribe"].sort());
    expect(Object.values(api).every((value) => typeof value === "function")).toBe(true);
    expect(Object.keys(CONTROL_CHANNELS).sort()).toEqual([...CALLS].sort());
    expect(new Set(Object.values(CONTROL_CHANNELS)).size).toBe(CALLS.length);
  });

  it("forwards each call with its arguments and returns the answer", async () => {
    const ipc = new FakeIpc();
    const { control, calls } = recordingControl();
    registerControlIpc(ipc.main, control, isAppPage);
    const api = windowApi(ipc);
    expect(await api.status()).toEqual(STATUS);
    expect(await api.retryUploads("/photos")).toBe(3);
    const probe = { endpoint: "http://127.0.0.1:9000", region: "us-east-1", accessKeyId: "a", secretAccessKey: "s" };
    const save = { share: s3Share("photos"), replacing: "Old photos", secretAccessKey: "the secret" };
    const sent: Array<[string, unknown[]]> = [
      ["refreshListing", ["/photos"]],
      ["testS3", [probe]],
      ["listShares", []],
      ["removeShare", ["Photos"]],
      ["previewFolder", ["/home/ana/Documents"]],
      ["mount", ["Photos"]],
      ["unmount", ["Photos"]],
      ["preferences", []],
      ["setPreferences", [{ nfsPort: 12049, logLevel: "debug" }]],
      ["openLogs", []],
    ];
    for (const [method, args] of sent) {
      expect(await (api[method as keyof AppControlApi] as (...a: unknown[]) => Promise<unknown>)(...args)).toEqual({ method, args });
    }
    expect(await api.saveShare(save)).toEqual({ definition: save.share });
    expect(calls).toEqual([["status", []], ["retryUploads", ["/photos"]], ...sent, ["saveShare", [save]]]);
  });

  it("rejects with the contract's code, message and field, as an error isControlError knows", async () => {
    const ipc = new FakeIpc();
    registerControlIpc(ipc.main, recordingControl().control, isAppPage);
    const api = windowApi(ipc);
    await expect(api.retryUploads("/nope")).rejects.toMatchObject({ name: "ControlError", code: "NotFound", message: 'no share named "/nope"', field: null });
    const refused = await api.saveShare({ share: s3Share("No_Bucket") }).catch((err: unknown) => err);
    expect(isControlError(refused)).toBe(true);
    expect(refused).toMatchObject({ code: "Invalid", field: "s3.bucket", message: "expected an S3 bucket name" });
    // What contextBridge keeps of an error: its own plain properties.
    expect(Object.getOwnPropertyNames(refused)).toEqual(expect.arrayContaining(["name", "code", "field", "message"]));
  });

  it("refuses calls from pages that are not the app's own", async () => {
    const ipc = new FakeIpc();
    const { control, calls } = recordingControl();
    registerControlIpc(ipc.main, control, isAppPage);
    await expect(windowApi(ipc, "https://example.com/").status()).rejects.toMatchObject({ code: "Forbidden" });
    await expect(windowApi(ipc, "file:///tmp/index.html").saveShare({ share: { name: "x", kind: "memory" } })).rejects.toMatchObject({ code: "Forbidden" });
    await expect(windowApi(ipc, "app://evil/index.html").openLogs()).rejects.toMatchObject({ code: "Forbidden" });
    expect(calls).toEqual([]);
  });

  it("refuses arguments of the wrong shape as Invalid, before they reach the control", async () => {
    const ipc = new FakeIpc();
    const { control, calls } = recordingControl();
    registerControlIpc(ipc.main, control, isAppPage);
    const raw = ipc.renderer(SETTINGS_URL);
    const long = "x".repeat(5000);
    const refused: Array<[string, unknown[]]> = [
      ["dittofs:status", ["extra"]],
      ["dittofs:retry-uploads", [{ share: "/photos" }]],
      ["dittofs:retry-uploads", [long]],
      ["dittofs:test-s3", ["http://127.0.0.1"]],
      ["dittofs:list-shares", [1]],
      ["dittofs:save-share", []],
      ["dittofs:save-share", ["Photos"]],
      ["dittofs:save-share", [[{ share: {} }]]],
      ["dittofs:save-share", [{ share: "Photos" }]],
      ["dittofs:save-share", [{ share: null }]],
      ["dittofs:save-share", [{ share: [] }]],
      ["dittofs:save-share", [{ share: {}, replacing: 3 }]],
      ["dittofs:save-share", [{ share: {}, replacing: long }]],
      ["dittofs:save-share", [{ share: {}, secretAccessKey: { value: "s" } }]],
      ["dittofs:save-share", [{ share: {}, secretAccessKey: long }]],
      ["dittofs:save-share", [{ share: {}, extra: true }]],
      ["dittofs:save-share", [{ share: {} }, "more"]],
      ["dittofs:save-share", [{ share: new Date(0) }]],
      ["dittofs:remove-share", [7]],
      ["dittofs:remove-share", [long]],
      ["dittofs:remove-share", []],
      ["dittofs:preview-folder", [null]],
      ["dittofs:preview-folder", ["/".repeat(5000)]],
      ["dittofs:mount", [["Photos"]]],
      ["dittofs:unmount", ["Photos", "now"]],
      ["dittofs:preferences", [{}]],
      ["dittofs:set-preferences", [null]],
      ["dittofs:set-preferences", [[]]],
      ["dittofs:set-preferences", ["nfsPort=1"]],
      ["dittofs:set-preferences", [new Map()]],
      ["dittofs:open-logs", ["/etc"]],
    ];
    for (const [channel, args] of refused) {
      expect([channel, await raw.invoke(channel, ...args)]).toEqual([channel, { ok: false, error: { code: "Invalid", message: expect.any(String), field: null } }]);
    }
    expect(calls).toEqual([]);
    // The shapes it takes still pass: a share name of 1024 characters, an empty preferences change.
    expect(await raw.invoke("dittofs:mount", "x".repeat(1024))).toMatchObject({ ok: true });
    expect(await raw.invoke("dittofs:set-preferences", {})).toMatchObject({ ok: true });
  });

  it("turns an unexpected failure into Internal with its message", async () => {
    const ipc = new FakeIpc();
    const control = { ...recordingControl().control, status: () => Promise.reject(new TypeError("boom")) };
    registerControlIpc(ipc.main, control, isAppPage);
    await expect(windowApi(ipc).status()).rejects.toMatchObject({ code: "Internal", message: "boom", field: null });
  });

  it("removes its handlers when asked", async () => {
    const ipc = new FakeIpc();
    const unregister = registerControlIpc(ipc.main, recordingControl().control, isAppPage);
    expect(ipc.handlers.size).toBe(CALLS.length);
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
