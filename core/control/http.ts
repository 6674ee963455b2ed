import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isIP } from "node:net";
import { isFsError } from "../errors.js";
import type { Logger } from "../util/logger.js";
import { ControlError, type ControlApi, type ControlErrorCode, type ControlEvent } from "./contract.js";

export interface ControlHttpOptions {
  api: ControlApi;
  logger: Logger;
  /** Default 127.0.0.1; anything else exposes the API beyond this machine (still token-only). */
  bind: string;
  /** 0 picks a free port. */
  port: number;
  /** Default: 32 random bytes, base64url. */
  token?: string;
}

export interface ControlHttp {
  /** "http://127.0.0.1:12080" */
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

/** Event streams open at once; more are refused (503) so that no client can hold unbounded memory. */
const MAX_EVENT_STREAMS = 16;
/** A comment line this often keeps idle event streams open through proxies and detects gone clients. */
const HEARTBEAT_MS = 15_000;
/** The API takes no request bodies; one sent anyway (a client's "{}") is read and ignored up to this size. */
const MAX_BODY_BYTES = 1024;

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
 *   GET  /api/events                         text/event-stream of ControlEvents ("share" events)
 * <share> is the share's name URL-encoded ("%2Fphotos").
 */
export async function startControlHttp(options: ControlHttpOptions): Promise<ControlHttp> {
  const token = options.token ?? randomBytes(32).toString("base64url");
  const expected = Buffer.from(`Bearer ${token}`);
  const streams = new Set<ServerResponse>();
  const log = options.logger.child({ component: "control" });
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
    const auth = Buffer.from(req.headers.authorization ?? "");
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="dittofs"');
      return fail(res, new ControlError("Unauthorized", "a valid bearer token is required"));
    }
    if (!(await bodyWithin(req, MAX_BODY_BYTES))) return fail(res, new ControlError("Invalid", "this API takes no request body"));

    const path = pathOf(req);
    const shareRoute = /^\/api\/shares\/([^/]+)\/(retry-uploads|refresh)$/.exec(path);
    try {
      if (path === "/api/status") {
        if (req.method !== "GET") return methodNotAllowed(res, "GET");
        return send(res, 200, await options.api.status());
      }
      if (path === "/api/events") {
        if (req.method !== "GET") return methodNotAllowed(res, "GET");
        return openStream(req, res);
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of streams) stream.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const SAFE_HEADERS = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" };

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SAFE_HEADERS, "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function fail(res: ServerResponse, err: ControlError): void {
  send(res, STATUS_OF[err.code], { error: { code: err.code, message: err.message } });
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

/** Reads the request body; false when it is longer than `limit` (the connection is then closed after the answer). */
async function bodyWithin(req: IncomingMessage, limit: number): Promise<boolean> {
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > limit) {
      req.socket.setTimeout(1000);
      return false;
    }
  }
  return true;
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
