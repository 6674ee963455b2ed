/** Free TCP ports on 127.0.0.1, chosen by the kernel (high, ephemeral range). */
import { createServer } from "node:net";

function listenOnAnyPort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

/** `count` distinct ports that were free a moment ago (all held at once, then released). */
export async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listenOnAnyPort());
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

export async function freePort() {
  const [port] = await freePorts(1);
  return port;
}
