/* global process */
/**
 * The child process that runs s3rver for e2e/helpers/s3rver.mjs, so a test can kill S3 and
 * start it again. Usage: node s3rver-main.mjs '{"port":N,"dir":"...","buckets":["a"]}'
 * Prints `ready PORT` once it listens on 127.0.0.1; exits on SIGTERM after closing the server.
 * Needs NODE_OPTIONS=--openssl-legacy-provider (its continuation tokens use DES).
 */
import S3rver from "s3rver";

const { port, dir, buckets } = JSON.parse(process.argv[2] ?? "{}");

const server = new S3rver({
  address: "127.0.0.1",
  port,
  directory: dir,
  silent: true,
  configureBuckets: buckets.map((name) => ({ name })),
});

const { port: listening } = await server.run();
process.stdout.write(`ready ${listening}\n`);

process.once("SIGTERM", () => {
  // Idle keep-alive sockets would hold close() open; drop them so the port frees at once.
  server.httpServer.closeAllConnections();
  server.close().finally(() => process.exit(0));
});
