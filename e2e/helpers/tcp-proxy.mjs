/* global setTimeout, clearTimeout */
/**
 * A small TCP proxy on 127.0.0.1 in front of a loopback server (s3rver, PostgreSQL), for tests of
 * a slow or unreachable peer: every chunk is held back `delayMs` (plus up to `jitterMs`, at
 * random) in each direction, in order within a connection, so requests on different connections
 * can overtake each other as they do on a real network. setOffline(true) resets every connection
 * and every new one until setOffline(false). Bounded: at most `maxConnections`, at most
 * `maxBufferedBytes` held per direction (the sender is paused beyond that), and it closes itself
 * after `lifetimeMs`.
 */
import net from "node:net";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export async function startTcpProxy({
  targetHost = "127.0.0.1",
  targetPort,
  delayMs = 0,
  jitterMs = 0,
  maxConnections = 256,
  maxBufferedBytes = 8 * 1024 * 1024,
  lifetimeMs = 10 * 60_000,
} = {}) {
  if (!LOOPBACK.has(targetHost)) throw new Error(`the TCP proxy forwards to loopback only, not ${targetHost}`);
  if (!Number.isInteger(targetPort)) throw new Error("the TCP proxy needs a targetPort");
  const proxy = new TcpProxy({ targetHost, targetPort, delayMs, jitterMs, maxConnections, maxBufferedBytes, lifetimeMs });
  await proxy.listen();
  return proxy;
}

export class TcpProxy {
  constructor(options) {
    this.options = options;
    this.delayMs = options.delayMs;
    this.jitterMs = options.jitterMs;
    this.offline = false;
    this.sockets = new Set();
    this.server = net.createServer((client) => this.accept(client));
    this.server.maxConnections = options.maxConnections;
    this.lifetime = setTimeout(() => void this.close(), options.lifetimeMs);
    this.lifetime.unref();
    this.port = 0;
    this.endpoint = "";
  }

  listen() {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.port = this.server.address().port;
        this.endpoint = `http://127.0.0.1:${this.port}`;
        resolve();
      });
    });
  }

  /** Changes the delay of chunks that arrive from now on. */
  setDelay(delayMs, jitterMs = this.jitterMs) {
    this.delayMs = delayMs;
    this.jitterMs = jitterMs;
  }

  /** Offline: every open connection is reset and new ones are reset at once. */
  setOffline(offline) {
    this.offline = offline;
    if (offline) for (const socket of this.sockets) socket.resetAndDestroy();
  }

  accept(client) {
    if (this.offline) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.options.targetPort, this.options.targetHost);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  /** Forwards `from` to `to`, each chunk after the delay, never before an earlier chunk. */
  pipe(from, to) {
    let lastAt = 0;
    let held = 0;
    const timers = new Set();
    const later = (at, action) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        action();
      }, Math.max(0, at - Date.now()));
      timers.add(timer);
    };
    const deliverAt = () => {
      lastAt = Math.max(lastAt, Date.now() + this.delayMs + Math.random() * this.jitterMs);
      return lastAt;
    };
    from.on("data", (chunk) => {
      held += chunk.length;
      if (held > this.options.maxBufferedBytes) from.pause();
      later(deliverAt(), () => {
        held -= chunk.length;
        if (!to.destroyed) to.write(chunk);
        if (held <= this.options.maxBufferedBytes) from.resume();
      });
    });
    from.on("end", () => later(deliverAt(), () => to.end()));
    from.on("close", () => {
      // A cut connection is cut at once on the other side too.
      if (from.destroyed && !from.readableEnded) {
        for (const timer of timers) clearTimeout(timer);
        to.destroy();
      }
    });
  }

  async close() {
    clearTimeout(this.lifetime);
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }
}
