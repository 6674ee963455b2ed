import { randomBytes, timingSafeEqual } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isIP } from "node:net";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isFsError } from "../errors.js";
import type { Logger } from "../util/logger.js";
import {
  ControlError,
  type AppPreferences,
  type ControlApi,
  type ControlErrorCode,
  type ControlEvent,
  type ManageApi,
  type S3ProbeRequest,
  type SaveShareRequest,
} from "./contract.js";

export interface ControlHttpOptions {
  api: ControlApi;
  /** Management of shares, drives and preferences (the desktop's); absent, those routes answer 403. */
  manage?: ManageApi;
  logger: Logger;
  /** Default 127.0.0.1; anything else exposes the API beyond this machine (still token-only). */
  bind: string;
  /** 0 picks a free port. */
  port: number;
  /** Default: 32 random bytes, base64url. */
  token?: string;
  /** The built settings UI to serve at `/`; default dist/renderer of this package, null for none. */
  rendererDir?: string | null;
}

export interface ControlHttp {
  /** "http://127.0.0.1:12080" */
  readonly url: string;
  readonly token: string;
  /** The settings UI with the token in the fragment (never sent to the server); null when it is not built. */
  readonly settingsUrl: string | null;
  close(): Promise<void>;
}

/** Event streams open at once; more are refused (503) so that no client can hold unbounded memory. */
const MAX_EVENT_STREAMS = 16;
/** A comment line this often keeps idle event streams open through proxies and detects gone clients. */
const HEARTBEAT_MS = 15_000;
/** Request bodies (JSON; most routes take none and ignore a client's "{}") are refused beyond this. */
const MAX_BODY_BYTES = 16 * 1024;
/** Longest share name, path, or secret a request may carry. */
const MAX_TEXT = 4096;

const STATUS_OF: Readonly<Record<ControlErrorCode, number>> = {
  Invalid: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Unavailable: 503,
  Internal: 500,
};

/**
 * The control contract over HTTP and server-sent events, for a headless `dittofs serve` (the
 * desktop app binds the same contract to IPC). Every request needs `Authorization: Bearer
 * <token>`; a request from a web page of another origin (its Origin header) or naming another
 * host (DNS rebinding; not checked on a wildcard bind, whose names are unknown) is refused, and
 * no CORS header is ever sent, so no other site can read an answer. Routes:
 *   GET  /api/status                         the server's status (ControlApi.status)
 *   POST /api/shares/<share>/retry-uploads   { retried: n }
 *   POST /api/shares/<share>/refresh         { refreshed: boolean }
 *   POST /api/s3/test                        ControlApi.testS3: JSON { endpoint, region, accessKeyId,
 *                                            secretAccessKey, bucket } → { ok, buckets } or { ok, field, message }
 *   GET  /api/events                         text/event-stream of ControlEvents ("share" events)
 * and, when the shares are managed through the API (ManageApi; otherwise 403):
 *   GET    /api/shares                       ManagedShare[]
 *   POST   /api/shares                       SaveShareRequest → ManagedShare
 *   DELETE /api/shares/<name>                { removed: boolean }
 *   POST   /api/shares/<name>/mount|unmount  DriveStatus
 *   POST   /api/folders/preview              { path } → FolderPreview
 *   GET    /api/preferences, PUT /api/preferences (some of them) → AppPreferences
 *   POST   /api/logs/open                    { path, opened }
 * <share> is the served share's export path URL-encoded ("%2Fphotos"); <name> is a managed
 * share's name as defined ("My%20Photos"). Errors are { error: { code, message, field } }.
 * Any other path is a file of the built settings UI (`/` is its index.html): GET only, no token
 * (the page takes it from the URL fragment), under a strict Content-Security-Policy.
 */
export async function startControlHttp(options: ControlHttpOptions): Promise<ControlHttp> {
  const token = options.token ?? randomBytes(32).toString("base64url");
  const expected = Buffer.from(`Bearer ${token}`);
  const streams = new Set<ServerResponse>();
  const log = options.logger.child({ component: "control" });
  const rendererDir = options.rendererDir === undefined ? defaultRendererDir() : options.rendererDir;
  const ui = rendererDir === null ? null : listStaticFiles(rendererDir);
  if (rendererDir !== null && !ui) log.warn({ dir: rendererDir }, "the settings UI is not built (npm run build): serving the API only");
  /** The Host headers this server answers to; null on a wildcard bind (any). */
  let hosts: ReadonlySet<string> | null = null;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err, method: req.method, path: pathOf(req) }, "control request failed");
      if (!res.headersSent) send(res, 500, { error: { code: "Internal", message: "internal error" } });
      else res.destroy();
    });
  });
  server.maxHeadersCount = 64;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = (req.headers.host ?? "").toLowerCase();
    if (hosts && !hosts.has(host)) return fail(res, new ControlError("Forbidden", "unexpected Host header"));
    const origin = req.headers.origin;
    if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) {
      return fail(res, new ControlError("Forbidden", "requests from other origins are refused"));
    }
    const path = pathOf(req);
    if (!path.startsWith("/api/")) return serveStatic(req, res, path);
    const auth = Buffer.from(req.headers.authorization ?? "");
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="dittofs"');
      return fail(res, new ControlError("Unauthorized", "a valid bearer token is required"));
    }
    const body = await bodyWithin(req, MAX_BODY_BYTES);
    if (body === null) return fail(res, new ControlError("Invalid", `request bodies are at most ${MAX_BODY_BYTES} bytes`));

    const shareRoute = /^\/api\/shares\/([^/]+)\/(retry-uploads|refresh)$/.exec(path);
    try {
      if (isManageRoute(path)) return await handleManage(req, res, path, body);
      if (path === "/api/status") {
        if (req.method !== "GET") return methodNotAllowed(res, "GET");
        return send(res, 200, await options.api.status());
      }
      if (path === "/api/events") {
        if (req.method !== "GET") return methodNotAllowed(res, "GET");
        return openStream(req, res);
      }
      if (path === "/api/s3/test") {
        if (req.method !== "POST") return methodNotAllowed(res, "POST");
        return send(res, 200, await options.api.testS3(s3ProbeRequestOf(body)));
      }
      if (shareRoute) {
        if (req.method !== "POST") return methodNotAllowed(res, "POST");
        const share = decodeShare(shareRoute[1]!);
        if (shareRoute[2] === "retry-uploads") return send(res, 200, { retried: await options.api.retryUploads(share) });
        return send(res, 200, { refreshed: await options.api.refreshListing(share) });
      }
      return fail(res, new ControlError("NotFound", `no route ${path}`));
    } catch (err) {
      if (err instanceof ControlError) return fail(res, err);
      if (isFsError(err)) return fail(res, new ControlError(err.code === "NotFound" ? "NotFound" : "Unavailable", err.message));
      throw err;
    }
  }

  async function handleManage(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer): Promise<void> {
    const manage = options.manage;
    if (!manage) throw new ControlError("Forbidden", "this server's shares come from its config file: edit it and restart dittofs serve");
    if (path === "/api/shares") {
      if (req.method === "GET") return send(res, 200, await manage.listShares());
      if (req.method === "POST") return send(res, 200, await manage.saveShare(saveShareRequestOf(jsonObject(body))));
      return methodNotAllowed(res, "GET, POST");
    }
    if (path === "/api/folders/preview") {
      if (req.method !== "POST") return methodNotAllowed(res, "POST");
      return send(res, 200, await manage.previewFolder(text(jsonObject(body), "path", "path")!));
    }
    if (path === "/api/preferences") {
      if (req.method === "GET") return send(res, 200, await manage.preferences());
      if (req.method === "PUT") return send(res, 200, await manage.setPreferences(jsonObject(body) as Partial<AppPreferences>));
      return methodNotAllowed(res, "GET, PUT");
    }
    if (path === "/api/logs/open") {
      if (req.method !== "POST") return methodNotAllowed(res, "POST");
      return send(res, 200, await manage.openLogs());
    }
    const drive = /^\/api\/shares\/([^/]+)\/(mount|unmount)$/.exec(path);
    if (drive) {
      if (req.method !== "POST") return methodNotAllowed(res, "POST");
      const name = decodeShare(drive[1]!);
      return send(res, 200, drive[2] === "mount" ? await manage.mount(name) : await manage.unmount(name));
    }
    const share = /^\/api\/shares\/([^/]+)$/.exec(path)!;
    if (req.method !== "DELETE") return methodNotAllowed(res, "DELETE");
    return send(res, 200, { removed: await manage.removeShare(decodeShare(share[1]!)) });
  }

  /** Only the files listed at start are ever read: a path is looked up, never joined to a directory. */
  function serveStatic(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (req.method !== "GET") return methodNotAllowed(res, "GET");
    const file = ui?.get(path === "/" ? "/index.html" : path);
    if (!file) {
      const message = ui ? `no file ${path}` : "the settings UI is not built (npm run build)";
      return fail(res, new ControlError("NotFound", message));
    }
    res.writeHead(200, { ...SAFE_HEADERS, ...UI_HEADERS, "Content-Type": file.type, "Content-Length": file.body.length });
    res.end(file.body);
  }

  function openStream(req: IncomingMessage, res: ServerResponse): void {
    if (streams.size >= MAX_EVENT_STREAMS) return fail(res, new ControlError("Unavailable", "too many event streams are open"));
    res.writeHead(200, { ...SAFE_HEADERS, "Content-Type": "text/event-stream; charset=utf-8", Connection: "keep-alive" });
    res.write(": dittofs events\n\n");
    streams.add(res);
    const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), HEARTBEAT_MS);
    const unsubscribe = options.api.subscribe((event: ControlEvent) => {
      // A client that does not read falls behind: its stream is closed rather than buffered without end.
      if (res.writableLength > 1024 * 1024) return res.destroy();
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const done = () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    };
    req.on("close", done);
    res.on("close", done);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.bind, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  if (!isWildcard(options.bind)) {
    const names = isLoopback(options.bind) ? ["127.0.0.1", "localhost", "[::1]"] : [hostName(options.bind)];
    hosts = new Set(names.map((name) => `${name}:${port}`));
  }
  const url = `http://${hostName(options.bind)}:${port}`;
  log.info({ url }, "control API listening");

  return {
    url,
    token,
    settingsUrl: ui ? `${url}/#token=${token}` : null,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of streams) stream.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const SAFE_HEADERS = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" };
/** The settings UI runs only its own files and talks only to this server. */
const UI_HEADERS = {
  "Content-Security-Policy":
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  "Referrer-Policy": "no-referrer",
};
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};

interface StaticFile {
  type: string;
  body: Buffer;
}

/** dist/renderer of the package this module belongs to (source tree or dist/), found like its package.json. */
function defaultRendererDir(): string | null {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; ) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "dittofs-desktop") return join(dir, "dist", "renderer");
    } catch {
      // No package.json here: keep walking up.
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * The built UI's index.html and assets/ files by URL path ("/index.html", "/assets/index-1a2b.js"),
 * read once (a few hundred KiB); null when there is no index.html.
 */
function listStaticFiles(dir: string): ReadonlyMap<string, StaticFile> | null {
  const files = new Map<string, StaticFile>();
  const add = (urlPath: string, file: string) =>
    files.set(urlPath, { type: CONTENT_TYPES[extname(file)] ?? "application/octet-stream", body: readFileSync(file) });
  try {
    add("/index.html", join(dir, "index.html"));
  } catch {
    return null;
  }
  let assets: string[] = [];
  try {
    assets = readdirSync(join(dir, "assets"), { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name);
  } catch {
    // An index.html without assets: nothing more to serve.
  }
  for (const name of assets) add(`/assets/${encodeURIComponent(name)}`, join(dir, "assets", name));
  return files;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SAFE_HEADERS, "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function fail(res: ServerResponse, err: ControlError): void {
  send(res, STATUS_OF[err.code], { error: { code: err.code, message: err.message, field: err.field } });
}

/** The routes of ManageApi. */
function isManageRoute(path: string): boolean {
  return (
    path === "/api/shares" ||
    path === "/api/folders/preview" ||
    path === "/api/preferences" ||
    path === "/api/logs/open" ||
    /^\/api\/shares\/[^/]+(\/(mount|unmount))?$/.test(path)
  );
}

function methodNotAllowed(res: ServerResponse, allowed: string): void {
  res.setHeader("Allow", allowed);
  send(res, 405, { error: { code: "Invalid", message: `only ${allowed} is allowed here` } });
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

function decodeShare(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new ControlError("Invalid", "the share name is not valid URL encoding");
  }
}

/** The request body; null when it is longer than `limit` (the connection is then closed after the answer). */
async function bodyWithin(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > limit) {
      req.socket.setTimeout(1000);
      return null;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A request's JSON body, which must be an object. */
function jsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw new ControlError("Invalid", "expected a JSON object");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ControlError("Invalid", "expected a JSON object");
  return value as Record<string, unknown>;
}

/** A string field of a request; null for an absent or empty optional one. A wrong one is named. */
function text(fields: Record<string, unknown>, name: string, field: string, optional = false): string | null {
  const value = fields[name];
  if (optional && (value === null || value === undefined || value === "")) return null;
  if (typeof value !== "string" || value === "" || value.length > MAX_TEXT) throw new ControlError("Invalid", `${name}: expected a non-empty string`, field);
  return value;
}

/** The JSON body of POST /api/s3/test, each field checked (a wrong one is named). */
function s3ProbeRequestOf(body: Buffer): S3ProbeRequest {
  const fields = jsonObject(body);
  const endpoint = text(fields, "endpoint", "s3.endpoint", true);
  if (endpoint !== null && !/^https?:\/\/[^\s]+$/.test(endpoint)) throw new ControlError("Invalid", "endpoint: expected an http or https URL", "s3.endpoint");
  return {
    endpoint,
    region: text(fields, "region", "s3.region")!,
    accessKeyId: text(fields, "accessKeyId", "s3.accessKeyId")!,
    secretAccessKey: text(fields, "secretAccessKey", "secretAccessKey")!,
    bucket: text(fields, "bucket", "s3.bucket", true),
  };
}

/** The body of POST /api/shares: the definition itself is checked by the manager, which names the field. */
function saveShareRequestOf(fields: Record<string, unknown>): SaveShareRequest {
  const share = fields.share;
  if (typeof share !== "object" || share === null || Array.isArray(share)) throw new ControlError("Invalid", "share: expected the share's definition");
  const request: SaveShareRequest = { share: share as SaveShareRequest["share"] };
  const replacing = text(fields, "replacing", "name", true);
  if (replacing !== null) request.replacing = replacing;
  const secret = text(fields, "secretAccessKey", "secretAccessKey", true);
  if (secret !== null) request.secretAccessKey = secret;
  return request;
}

/** How a client on this machine names the bind address in a URL. */
function hostName(bind: string): string {
  if (isWildcard(bind)) return "127.0.0.1";
  return isIP(bind) === 6 ? `[${bind}]` : bind.toLowerCase();
}

function isWildcard(bind: string): boolean {
  return bind === "0.0.0.0" || bind === "::";
}

function isLoopback(bind: string): boolean {
  return bind === "127.0.0.1" || bind === "::1" || bind === "localhost";
}
