import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3rver, type S3rverServer } from "../../e2e/helpers/s3rver.mjs";
import { validateConfig } from "../config/validate.js";
import { newContentId } from "../content/store.js";
import { buildServer, type BuiltServer } from "../server/build.js";
import { silentLogger } from "../util/logger.js";
import {
  ControlError,
  type AppPreferences,
  type ControlEvent,
  type DriveStatus,
  type ManageApi,
  type ManagedShare,
  type SaveShareRequest,
  type ShareDefinition,
} from "./contract.js";
import { HttpControlClient } from "./http-client.js";
import { startControlHttp, type ControlHttp } from "./http.js";
import { ServerControl } from "./server-control.js";

let built: BuiltServer;
let control: ServerControl;
let http: ControlHttp;
let client: HttpControlClient;
/** A built settings UI as vite lays it out, with a secret beside it that must never be served. */
let uiRoot: string;

beforeAll(async () => {
  uiRoot = mkdtempSync(join(tmpdir(), "dittofs-ui-"));
  mkdirSync(join(uiRoot, "renderer", "assets"), { recursive: true });
  writeFileSync(join(uiRoot, "renderer", "index.html"), "<!doctype html><title>DittoFS</title>");
  writeFileSync(join(uiRoot, "renderer", "assets", "index-1a2b.js"), "console.log(1)");
  writeFileSync(join(uiRoot, "renderer", "assets", "index-3c4d.css"), "body{}");
  writeFileSync(join(uiRoot, "secret.txt"), "do not serve");
  const config = validateConfig(
    {
      server: { shutdown_timeout: "250ms" },
      adapters: { nfs: { port: 0 } },
      metadata: { stores: { meta: { type: "memory" } } },
      content: { stores: { data: { type: "memory" } } },
      shares: [
        { name: "/photos", metadata_store: "meta", content_store: "data" },
        { name: "/docs", metadata_store: "meta", content_store: "data", read_only: true },
      ],
    },
    "test",
  );
  built = await buildServer(config, silentLogger);
  await built.server.start();
  control = new ServerControl(built, config, { version: "1.2.3", startedAt: new Date("2026-12-06T10:00:00Z") });
  http = await startControlHttp({ api: control, logger: silentLogger, bind: "127.0.0.1", port: 0, rendererDir: join(uiRoot, "renderer") });
  client = new HttpControlClient(http.url, http.token);
});

afterAll(async () => {
  control?.close();
  await http?.close();
  await built?.server.stop();
  if (uiRoot) rmSync(uiRoot, { recursive: true, force: true });
});

/** A raw request, for what fetch will not send (another Host) and to see every header. */
function raw(
  path: string,
  { method = "GET", headers = {}, body }: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(http.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const bearer = () => ({ Authorization: `Bearer ${http.token}` });

describe("the control API over HTTP", () => {
  it("reports the server, its listeners and every share", async () => {
    const status = await client.status();
    expect(status).toMatchObject({ version: "1.2.3", startedAt: "2026-12-06T10:00:00.000Z" });
    expect(status.listeners.nfs).toEqual({ bind: "127.0.0.1", port: built.nfs!.port(), mountPort: built.nfs!.mountPort() });
    expect(status.listeners.smb).toBeNull();
    expect(status.shares.map((share) => [share.name, share.readOnly, share.contentStore, share.contentKind, share.remote])).toEqual([
      ["/photos", false, "data", "memory", null],
      ["/docs", true, "data", "memory", null],
    ]);
  });

  it("refuses a missing or wrong token, and names the share it does not know", async () => {
    await expect(new HttpControlClient(http.url, "wrong").status()).rejects.toMatchObject({ code: "Unauthorized" });
    const missing = await raw("/api/status");
    expect(missing.status).toBe(401);
    expect(missing.headers["www-authenticate"]).toBe('Bearer realm="dittofs"');
    // A token of another length, and the right token with one character changed.
    const changed = http.token.slice(0, -1) + (http.token.endsWith("A") ? "B" : "A");
    expect((await raw("/api/status", { headers: { Authorization: `Bearer ${changed}` } })).status).toBe(401);
    const unknown = client.retryUploads("/nope");
    await expect(unknown).rejects.toBeInstanceOf(ControlError);
    await expect(unknown).rejects.toMatchObject({ code: "NotFound", message: 'no share named "/nope"' });
    expect(await client.retryUploads("/photos")).toBe(0);
    expect(await client.refreshListing("/photos")).toBe(false);
  });

  it("refuses other origins and other hosts, and never answers with CORS headers", async () => {
    const port = new URL(http.url).port;
    const foreign = await raw("/api/status", { headers: { ...bearer(), Origin: "http://evil.example" } });
    expect(foreign.status).toBe(403);
    const rebound = await raw("/api/status", { headers: { ...bearer(), Host: `evil.example:${port}` } });
    expect(rebound.status).toBe(403);
    const same = await raw("/api/status", { headers: { ...bearer(), Origin: `http://127.0.0.1:${port}` } });
    expect(same.status).toBe(200);
    const preflight = await raw("/api/status", { method: "OPTIONS", headers: { Origin: "http://evil.example", "Access-Control-Request-Method": "GET" } });
    for (const answer of [foreign, rebound, same, preflight]) {
      expect(Object.keys(answer.headers).filter((name) => name.startsWith("access-control-"))).toEqual([]);
    }
    expect(same.headers["cache-control"]).toBe("no-store");
  });

  it("answers wrong methods, unknown routes and oversized bodies with clear errors", async () => {
    const wrongMethod = await raw("/api/status", { method: "DELETE", headers: bearer() });
    expect([wrongMethod.status, wrongMethod.headers.allow]).toEqual([405, "GET"]);
    const unknown = await raw("/api/nothing", { headers: bearer() });
    expect([unknown.status, JSON.parse(unknown.body).error.code]).toEqual([404, "NotFound"]);
    const badName = await raw("/api/shares/%E0%A4%A/refresh", { method: "POST", headers: bearer() });
    expect([badName.status, JSON.parse(badName.body).error.code]).toEqual([400, "Invalid"]);
    const big = await raw("/api/shares/%2Fphotos/refresh", { method: "POST", headers: bearer(), body: Buffer.alloc(64 * 1024) });
    expect(big.status).toBe(400);
    // A small body ("{}") is ignored.
    const small = await raw("/api/shares/%2Fphotos/refresh", { method: "POST", headers: { ...bearer(), "Content-Type": "application/json" }, body: Buffer.from("{}") });
    expect([small.status, JSON.parse(small.body)]).toEqual([200, { refreshed: false }]);
  });

  it("streams each share's status first and again when it changes", async () => {
    const events: ControlEvent[] = [];
    const unsubscribe = client.subscribe((event) => events.push(event));
    try {
      await expect.poll(() => events.map((event) => event.share.name).sort(), { timeout: 5_000 }).toEqual(["/docs", "/photos"]);
      const usedBefore = events.find((event) => event.share.name === "/photos")!.share.space!.used;
      await built.server.registry.content.write("/photos", newContentId(), 0, Buffer.alloc(100_000, 1), "file_sync");
      await expect
        .poll(() => events.filter((event) => event.share.name === "/photos").at(-1)!.share.space!.used, { timeout: 5_000 })
        .toBeGreaterThanOrEqual(usedBefore + 100_000);
    } finally {
      unsubscribe();
    }
  });

  it("holds at most 16 event streams open", async () => {
    const url = new URL(http.url);
    const open: Array<{ destroy(): void }> = [];
    const openStream = () =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, path: "/api/events", headers: bearer() }, (res) => {
          open.push(res);
          resolve(res.statusCode!);
        });
        req.on("error", reject);
        req.end();
      });
    try {
      const statuses = [];
      for (let i = 0; i < 17; i++) statuses.push(await openStream());
      expect(statuses.slice(0, 16).every((status) => status === 200)).toBe(true);
      expect(statuses[16]).toBe(503);
    } finally {
      for (const res of open) res.destroy();
    }
  });
});

describe("the settings UI's files", () => {
  const CSP =
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

  it("are served without a token under a strict CSP, with the settings URL carrying the token in its fragment", async () => {
    expect(http.settingsUrl).toBe(`${http.url}/#token=${http.token}`);
    const index = await raw("/");
    expect([index.status, index.body, index.headers["content-type"]]).toEqual([200, "<!doctype html><title>DittoFS</title>", "text/html; charset=utf-8"]);
    expect(index.headers["content-security-policy"]).toBe(CSP);
    expect(index.headers["x-content-type-options"]).toBe("nosniff");
    const script = await raw("/assets/index-1a2b.js?v=1");
    expect([script.status, script.body, script.headers["content-type"]]).toEqual([200, "console.log(1)", "text/javascript; charset=utf-8"]);
    expect(script.headers["content-security-policy"]).toBe(CSP);
    expect((await raw("/assets/index-3c4d.css")).headers["content-type"]).toBe("text/css; charset=utf-8");
  });

  it("never reach outside the listed files, answer unknown files 404 and take GET only", async () => {
    for (const path of ["/../secret.txt", "/assets/../../secret.txt", "/assets/..%2F..%2Fsecret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "/secret.txt", "//etc/passwd"]) {
      const answer = await raw(path);
      expect([path, answer.status]).toEqual([path, 404]);
      expect(answer.body).not.toContain("do not serve");
    }
    const unknown = await raw("/assets/nope.js");
    expect([unknown.status, JSON.parse(unknown.body).error.code]).toEqual([404, "NotFound"]);
    const post = await raw("/", { method: "POST" });
    expect([post.status, post.headers.allow]).toEqual([405, "GET"]);
  });

  it("still check Host and Origin, and leave the API to token holders", async () => {
    const port = new URL(http.url).port;
    expect((await raw("/", { headers: { Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}` } })).status).toBe(200);
    expect((await raw("/", { headers: { Host: `evil.example:${port}` } })).status).toBe(403);
    expect((await raw("/", { headers: { Origin: "http://evil.example" } })).status).toBe(403);
    expect((await raw("/api/status")).status).toBe(401);
    expect((await raw("/api/events")).status).toBe(401);
  });

  it("are not served when the UI is not built, and then no settings URL is given", async () => {
    const bare = await startControlHttp({ api: control, logger: silentLogger, bind: "127.0.0.1", port: 0, rendererDir: join(uiRoot, "missing") });
    try {
      expect(bare.settingsUrl).toBeNull();
      const answer = await fetch(`${bare.url}/`);
      expect(answer.status).toBe(404);
      expect(((await answer.json()) as { error: { message: string } }).error.message).toContain("npm run build");
    } finally {
      await bare.close();
    }
  });
});

describe("Test connection over the control API", () => {
  let s3: S3rverServer;
  beforeAll(async () => {
    s3 = await startS3rver({ buckets: ["holiday-photos"] });
  });
  afterAll(async () => {
    await s3?.close();
  });

  it("lists the buckets for good keys and names the field for a wrong secret, never echoing it", async () => {
    const request = { endpoint: s3.endpoint, region: "us-east-1", accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, bucket: null };
    expect(await client.testS3(request)).toEqual({ ok: true, buckets: ["holiday-photos"] });
    const wrong = await client.testS3({ ...request, secretAccessKey: "typo-in-the-secret", bucket: "holiday-photos" });
    expect(wrong).toEqual({ ok: false, field: "secretAccessKey", message: "the secret key is wrong for this access key" });
    expect(JSON.stringify(wrong)).not.toContain("typo-in-the-secret");
  });

  it("refuses a malformed request, naming the field", async () => {
    const post = (body: string) => raw("/api/s3/test", { method: "POST", headers: { ...bearer(), "Content-Type": "application/json" }, body: Buffer.from(body) });
    const notJson = await post("{");
    expect([notJson.status, JSON.parse(notJson.body).error]).toEqual([400, { code: "Invalid", message: "expected a JSON object", field: null }]);
    const noRegion = await post(JSON.stringify({ endpoint: s3.endpoint, accessKeyId: "a", secretAccessKey: "b" }));
    expect(JSON.parse(noRegion.body).error).toMatchObject({ message: "region: expected a non-empty string", field: "s3.region" });
    const badEndpoint = await post(JSON.stringify({ endpoint: "file:///etc/passwd", region: "x", accessKeyId: "a", secretAccessKey: "b" }));
    expect(JSON.parse(badEndpoint.body).error.message).toBe("endpoint: expected an http or https URL");
    expect((await raw("/api/s3/test", { headers: bearer() })).status).toBe(405);
  });
});

/**
 * A ManageApi that keeps shares in a map, for the binding's own behaviour (routes, bodies, errors
 * with their field); the desktop's real one is exercised by e2e/desktop-app.test.ts.
 */
class MapManager implements ManageApi {
  readonly shares = new Map<string, ManagedShare>();
  readonly secrets = new Map<string, string>();
  prefs: AppPreferences = { launchAtLogin: false, mountFolder: null, nfsPort: 12049, smbPort: 12445, logLevel: "info" };

  async listShares(): Promise<ManagedShare[]> {
    return [...this.shares.values()];
  }
  async saveShare({ share, replacing, secretAccessKey }: SaveShareRequest): Promise<ManagedShare> {
    if (share.kind === "s3" && !share.s3?.bucket) throw new ControlError("Invalid", "choose a bucket", "s3.bucket");
    const definition: ShareDefinition = { cacheBytes: 1 << 30, protocol: "both", autoMount: false, litter: [], ...share } as ShareDefinition;
    if (replacing !== undefined) this.shares.delete(replacing);
    if (secretAccessKey !== undefined) this.secrets.set(share.name, secretAccessKey);
    const managed: ManagedShare = { definition, exportPath: `/${share.name.toLowerCase()}`, secretStored: true, serveError: null, drive: this.drive(false) };
    this.shares.set(share.name, managed);
    return managed;
  }
  async removeShare(name: string): Promise<boolean> {
    return this.shares.delete(name);
  }
  async previewFolder(path: string) {
    return { path, entries: [{ name: "a.txt", directory: false, size: 1 }], total: 1 };
  }
  async mount(name: string): Promise<DriveStatus> {
    if (!this.shares.has(name)) throw new ControlError("NotFound", `no share named ${name}`);
    return this.drive(true);
  }
  async unmount(name: string): Promise<DriveStatus> {
    if (!this.shares.has(name)) throw new ControlError("NotFound", `no share named ${name}`);
    return this.drive(false);
  }
  async preferences(): Promise<AppPreferences> {
    return this.prefs;
  }
  async setPreferences(changes: Partial<AppPreferences>): Promise<AppPreferences> {
    if (changes.nfsPort !== undefined && (changes.nfsPort as unknown) === "x") throw new ControlError("Invalid", "expected a port", "nfsPort");
    return (this.prefs = { ...this.prefs, ...changes });
  }
  async openLogs() {
    return { path: "/var/log/dittofs", opened: false };
  }
  private drive(mounted: boolean): DriveStatus {
    return { mounted, mountPoint: mounted ? "/mnt/x" : null, error: null, mountCommand: "gio mount smb://127.0.0.1/x" };
  }
}

describe("share management over HTTP", () => {
  let managed: ControlHttp;
  let manager: MapManager;
  let app: HttpControlClient;

  beforeAll(async () => {
    manager = new MapManager();
    managed = await startControlHttp({ api: control, manage: manager, logger: silentLogger, bind: "127.0.0.1", port: 0, rendererDir: null });
    app = new HttpControlClient(managed.url, managed.token);
  });

  afterAll(async () => {
    await managed?.close();
  });

  it("adds, lists, mounts, unmounts and removes shares by their defined names, the secret going in and never out", async () => {
    const share = { name: "My Photos", kind: "s3" as const, s3: { endpoint: "http://127.0.0.1:9", region: "r", bucket: "b", accessKeyId: "a", secretKey: "keychain:dittofs/s3-my-photos" } };
    const saved = await app.saveShare({ share, secretAccessKey: "the secret" });
    expect(saved).toMatchObject({ definition: share, exportPath: "/my photos" });
    expect(manager.secrets.get("My Photos")).toBe("the secret");
    expect(JSON.stringify(await app.listShares())).not.toContain("the secret");
    expect(await app.mount("My Photos")).toMatchObject({ mounted: true, mountPoint: "/mnt/x" });
    expect(await app.unmount("My Photos")).toMatchObject({ mounted: false });
    await expect(app.mount("Nope")).rejects.toMatchObject({ code: "NotFound" });
    await app.saveShare({ share: { ...share, name: "Pictures" }, replacing: "My Photos" });
    expect((await app.listShares()).map((one) => one.definition.name)).toEqual(["Pictures"]);
    expect(await app.removeShare("Pictures")).toBe(true);
    expect(await app.removeShare("Pictures")).toBe(false);
    expect(await app.previewFolder("/srv")).toEqual({ path: "/srv", entries: [{ name: "a.txt", directory: false, size: 1 }], total: 1 });
    expect(await app.openLogs()).toEqual({ path: "/var/log/dittofs", opened: false });
    expect(await app.setPreferences({ logLevel: "debug" })).toMatchObject({ logLevel: "debug", nfsPort: 12049 });
    expect((await app.preferences()).logLevel).toBe("debug");
  });

  it("carries the field an error is about to the client", async () => {
    const noBucket = app.saveShare({ share: { name: "X", kind: "s3", s3: { endpoint: "http://h", region: "r", bucket: "", accessKeyId: "a", secretKey: "keychain:d/x" } } });
    await expect(noBucket).rejects.toMatchObject({ name: "ControlError", code: "Invalid", field: "s3.bucket", message: "choose a bucket" });
    await expect(app.setPreferences({ nfsPort: "x" as unknown as number })).rejects.toMatchObject({ field: "nfsPort" });
  });

  it("refuses malformed bodies and wrong methods before the manager sees them", async () => {
    const url = new URL(managed.url);
    const send = (path: string, method: string, body?: string) =>
      new Promise<{ status: number; error: { code: string; field: string | null } }>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, path, method, headers: { Authorization: `Bearer ${managed.token}` } }, (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => (text += chunk.toString()));
          res.on("end", () => resolve({ status: res.statusCode!, error: (JSON.parse(text) as { error: { code: string; field: string | null } }).error }));
        });
        req.on("error", reject);
        req.end(body);
      });
    expect(await send("/api/shares", "POST", "[1]")).toMatchObject({ status: 400, error: { code: "Invalid" } });
    expect(await send("/api/shares", "POST", JSON.stringify({ share: "x" }))).toMatchObject({ status: 400 });
    expect(await send("/api/shares", "POST", JSON.stringify({ share: {}, secretAccessKey: 7 }))).toMatchObject({ status: 400, error: { field: "secretAccessKey" } });
    expect(await send("/api/folders/preview", "POST", JSON.stringify({ path: "x".repeat(5000) }))).toMatchObject({ status: 400, error: { field: "path" } });
    expect(await send("/api/preferences", "PUT", "null")).toMatchObject({ status: 400 });
    expect(await send("/api/shares/x", "GET")).toMatchObject({ status: 405 });
    expect(await send("/api/shares", "POST", JSON.stringify({ share: { name: "x".repeat(20_000) } }))).toMatchObject({ status: 400 });
    expect(manager.shares.size).toBe(0);
  });

  it("answers 403 for management where the shares come from a config file, and says managed false", async () => {
    await expect(client.listShares()).rejects.toMatchObject({ code: "Forbidden", message: expect.stringContaining("config file") });
    await expect(client.mount("x")).rejects.toMatchObject({ code: "Forbidden" });
    expect((await client.status()).managed).toBe(false);
  });
});
