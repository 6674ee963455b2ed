import { describe, expect, it } from "vitest";
import type { AppControlApi, AppPreferences, ControlEvent, DriveStatus, ManagedShare, ServerStatus, ShareStatus } from "../core/control/contract.js";
import { createSettingsStore, joinShares } from "./store.js";

const PREFERENCES: AppPreferences = { launchAtLogin: false, mountFolder: null, nfsPort: 12049, smbPort: 12445, logLevel: "info" };
const UNMOUNTED: DriveStatus = { mounted: false, mountPoint: null, error: null, mountCommand: "mount -t nfs …" };

function managedShare(name: string, exportPath = `/${name.toLowerCase()}`): ManagedShare {
  return {
    definition: { name, kind: "memory", cacheBytes: 0, protocol: "nfs", autoMount: true, litter: [] },
    exportPath,
    secretStored: true,
    serveError: null,
    drive: UNMOUNTED,
  };
}

function shareStatus(name: string, used = 0): ShareStatus {
  return { name, readOnly: false, metadataStore: "m", contentStore: "c", contentKind: "memory", space: { used, available: 1 }, remote: null };
}

/** An error as it arrives over Electron's contextBridge: a plain Error with the ControlError's properties, not its class. */
function bridged(code: string, message: string, field: string | null = null): Error {
  return Object.assign(new Error(message), { name: "ControlError", code, field });
}

/** A small server behind the contract: shares in a list, calls counted, events sent by the test. */
class FakeApi implements AppControlApi {
  shares: ManagedShare[] = [managedShare("Photos")];
  statuses: ShareStatus[] = [shareStatus("/photos", 42)];
  managed = true;
  calls: string[] = [];
  listener: ((event: ControlEvent) => void) | null = null;
  failSave: Error | null = null;
  mountGate: Promise<void> = Promise.resolve();

  async status(): Promise<ServerStatus> {
    this.calls.push("status");
    const listeners = { nfs: { bind: "127.0.0.1", port: 12049, mountPort: 12049 }, smb: null, portmap: null };
    return { version: "0.1.0", managed: this.managed, startedAt: "2025-01-01T00:00:00Z", listeners, shares: [...this.statuses], unserved: [], problem: null };
  }
  async retryUploads(): Promise<number> {
    return 0;
  }
  async refreshListing(): Promise<boolean> {
    return false;
  }
  async testS3() {
    return { ok: true as const, buckets: ["a"] };
  }
  subscribe(listener: (event: ControlEvent) => void): () => void {
    this.listener = listener;
    return () => (this.listener = null);
  }
  async listShares(): Promise<ManagedShare[]> {
    this.calls.push("listShares");
    return structuredClone(this.shares);
  }
  async saveShare(request: Parameters<AppControlApi["saveShare"]>[0]): Promise<ManagedShare> {
    this.calls.push("saveShare");
    if (this.failSave) throw this.failSave;
    const saved = managedShare(request.share.name);
    this.shares.push(saved);
    this.statuses.push(shareStatus(saved.exportPath));
    return saved;
  }
  async removeShare(name: string): Promise<boolean> {
    this.calls.push(`removeShare ${name}`);
    this.shares = this.shares.filter((share) => share.definition.name !== name);
    return true;
  }
  async previewFolder(path: string) {
    return { path, entries: [], total: 0 };
  }
  async mount(name: string): Promise<DriveStatus> {
    this.calls.push(`mount ${name}`);
    await this.mountGate;
    if (name === "Broken") throw bridged("Unavailable", "gio said no");
    const drive = { ...UNMOUNTED, mounted: true, mountPoint: `/mnt/${name}` };
    this.shares = this.shares.map((share) => (share.definition.name === name ? { ...share, drive } : share));
    return drive;
  }
  async unmount(): Promise<DriveStatus> {
    return UNMOUNTED;
  }
  async preferences(): Promise<AppPreferences> {
    this.calls.push("preferences");
    return PREFERENCES;
  }
  async setPreferences(changes: Partial<AppPreferences>): Promise<AppPreferences> {
    this.calls.push("setPreferences");
    return { ...PREFERENCES, ...changes };
  }
  async openLogs() {
    return { path: "/var/log/dittofs", opened: false };
  }
}

/** Lets the store's promise chains run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

async function started(api: FakeApi) {
  const store = createSettingsStore(api);
  store.getState().start();
  await settle();
  return store;
}

describe("joinShares", () => {
  it("gives each managed share, in its order, the live status of its export path", () => {
    const photos = managedShare("Photos");
    const docs = managedShare("Docs", "/docs-2");
    const joined = joinShares([photos, docs], [shareStatus("/docs-2", 7), shareStatus("/other"), shareStatus("/photos", 3)]);
    expect(joined.map(({ share, status }) => [share.definition.name, status?.name, status?.space?.used])).toEqual([
      ["Photos", "/photos", 3],
      ["Docs", "/docs-2", 7],
    ]);
    expect(joinShares([managedShare("New")], [])).toEqual([{ share: managedShare("New"), status: null }]);
  });
});

describe("the settings store against a managed server", () => {
  it("loads the shares and the preferences when the server manages them, and nothing more when it does not", async () => {
    const api = new FakeApi();
    const store = await started(api);
    expect(store.getState().managed?.map((share) => share.definition.name)).toEqual(["Photos"]);
    expect(store.getState().preferences).toEqual(PREFERENCES);

    const configured = new FakeApi();
    configured.managed = false;
    const readOnly = await started(configured);
    expect(configured.calls).toEqual(["status"]);
    expect(readOnly.getState().managed).toBeNull();
  });

  it("reloads the list when an event names a share it does not have, and shows that share's status", async () => {
    const api = new FakeApi();
    const store = await started(api);
    api.shares.push(managedShare("Docs"));
    api.calls = [];
    api.listener!({ type: "share", share: shareStatus("/photos", 50) });
    await settle();
    expect(api.calls).toEqual([]);

    api.listener!({ type: "share", share: shareStatus("/docs", 9) });
    await settle();
    expect(api.calls).toEqual(["listShares"]);
    const { managed, status } = store.getState();
    expect(joinShares(managed!, status!.shares).map(({ status }) => status?.space?.used)).toEqual([50, 9]);
  });

  it("saves a share, closes the form and loads the list and the status again", async () => {
    const api = new FakeApi();
    const store = await started(api);
    store.getState().openEditor({ mode: "add" });
    api.calls = [];
    const outcome = await store.getState().saveShare({ share: { name: "Docs", kind: "memory" } });
    expect(outcome.ok).toBe(true);
    expect(api.calls.sort()).toEqual(["listShares", "saveShare", "status"]);
    expect(store.getState().editor).toBeNull();
    expect(store.getState().managed?.map((share) => share.definition.name)).toEqual(["Photos", "Docs"]);
    expect(store.getState().status?.shares.map((share) => share.name)).toEqual(["/photos", "/docs"]);
  });

  it("keeps the form open with a refusal's field and message, also for an error that lost its class crossing the bridge", async () => {
    const api = new FakeApi();
    const store = await started(api);
    store.getState().openEditor({ mode: "add" });
    api.failSave = bridged("Invalid", "s3.bucket: expected an S3 bucket name", "s3.bucket");
    expect(await store.getState().saveShare({ share: { name: "X", kind: "memory" } })).toEqual({ ok: false, field: "s3.bucket", message: "s3.bucket: expected an S3 bucket name" });
    expect(store.getState().editor).toEqual({ mode: "add" });
  });

  it("shows a mount as busy on its card, then the drive mounted; a failure stays on the card", async () => {
    const api = new FakeApi();
    api.shares.push(managedShare("Broken"));
    const store = await started(api);
    let open!: () => void;
    api.mountGate = new Promise((resolve) => (open = resolve));
    const mounting = store.getState().mount("Photos");
    expect(store.getState().cards["Photos"]).toEqual({ busy: "mount", error: null });
    open();
    await mounting;
    expect(store.getState().cards["Photos"]).toEqual({ busy: null, error: null });
    expect(store.getState().managed?.[0]?.drive).toMatchObject({ mounted: true, mountPoint: "/mnt/Photos" });

    await store.getState().mount("Broken");
    expect(store.getState().cards["Broken"]).toEqual({ busy: null, error: "Could not mount it: gio said no" });
  });

  it("removes a share and loads the list again", async () => {
    const api = new FakeApi();
    const store = await started(api);
    await store.getState().removeShare("Photos");
    expect(api.calls).toContain("removeShare Photos");
    expect(store.getState().managed).toEqual([]);
  });

  it("saves preferences and loads the status again (the ports may have changed)", async () => {
    const api = new FakeApi();
    const store = await started(api);
    api.calls = [];
    expect(await store.getState().savePreferences({ nfsPort: 2049 })).toEqual({ ok: true, value: { ...PREFERENCES, nfsPort: 2049 } });
    expect(api.calls).toEqual(["setPreferences", "status"]);
    expect(store.getState().preferences?.nfsPort).toBe(2049);
  });

  it("forgets a refused token, known by its code though the error lost its class", async () => {
    const api = new FakeApi();
    api.status = () => Promise.reject(bridged("Unauthorized", "bad token"));
    let forgotten = 0;
    const store = createSettingsStore(api, () => forgotten++);
    store.getState().start();
    await settle();
    expect(forgotten).toBe(1);
    expect(store.getState().error).toMatch(/refused the access token/);
  });
});
