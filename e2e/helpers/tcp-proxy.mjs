/* global setTimeout */
/**
 * A TCP proxy on 127.0.0.1 in front of a local server (s3rver), for tests of a slow or
 * unreachable peer: every chunk can be held back `delayMs` in each direction, and "down" resets
 * every connection and refuses new ones. Bounded: at most MAX_CONNECTIONS at once, and a side
 * is paused while a chunk of it waits, so nothing piles up in memory.
 */
import { connect, createServer } from "node:net";

const MAX_CONNECTIONS = 64;

export async function start(targetPort) {
  let delayMs = 0;
  let down = false;
  const connections = new Set();

  const server = createServer((client) => {
    if (down || connections.size >= MAX_CONNECTIONS) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, "127.0.0.1");
    const pair = { client, upstream };
    connections.add(pair);
    const close = () => {
      connections.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) socket.on("error", close).on("close", close);
    forward(client, upstream, () => delayMs);
    forward(upstream, client, () => delayMs);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });

  return {
    port: server.address().port,
    setDelay(ms) {
      delayMs = ms;
    },
    setDown(value) {
      down = value;
      if (!down) return;
      for (const { client, upstream } of connections) {
        client.resetAndDestroy();
        upstream.destroy();
      }
      connections.clear();
    },
    async close() {
      this.setDown(true);
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Copies `from` to `to` in order, each chunk after the current delay, with backpressure. */
function forward(from, to, delay) {
  from.on("data", (chunk) => {
    from.pause();
    const send = () => {
      if (to.destroyed) return;
      if (to.write(chunk)) from.resume();
      else to.once("drain", () => from.resume());
    };
    const ms = delay();
    if (ms > 0) setTimeout(send, ms).unref();
    else send();
  });
  from.on("end", () => to.end());
}
