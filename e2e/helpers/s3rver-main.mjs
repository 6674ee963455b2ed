/* global process */
/**
 * The child process that runs s3rver for e2e/helpers/s3rver.mjs, so a test can kill S3 and
 * start it again. Usage: node s3rver-main.mjs '{"port":N,"dir":"...","buckets":["a"],"credentials":{"S3RVER":"S3RVER"}}'
 * Prints `ready PORT` once it listens on 127.0.0.1; exits on SIGTERM after closing the server.
 * Requests signed with a wrong secret get SignatureDoesNotMatch (see sigv4-check.mjs).
 * Needs NODE_OPTIONS=--openssl-legacy-provider (its continuation tokens use DES).
 */
import S3rver from "s3rver";
import { checkSigV4, signatureMismatch } from "./sigv4-check.mjs";

const { port, dir, buckets, credentials = { S3RVER: "S3RVER" } } = JSON.parse(process.argv[2] ?? "{}");

const server = new S3rver({
  address: "127.0.0.1",
  port,
  directory: dir,
  silent: true,
  configureBuckets: buckets.map((name) => ({ name })),
});

const { port: listening } = await server.run();
// s3rver accepts any secret (it does not check SigV4): check signatures in front of it, as S3 does.
const s3rverHandler = server.httpServer.listeners("request")[0];
server.httpServer.removeAllListeners("request");
server.httpServer.on("request", (req, res) => {
  if (checkSigV4(req, (accessKeyId) => (Object.hasOwn(credentials, accessKeyId) ? credentials[accessKeyId] : null)) === "ok") return s3rverHandler(req, res);
  // Drain the body first, as S3 does, so the client reads the answer instead of a reset.
  req.resume();
  req.on("end", () => signatureMismatch(res, req.method));
});
process.stdout.write(`ready ${listening}\n`);

process.once("SIGTERM", () => {
  // Idle keep-alive sockets would hold close() open; drop them so the port frees at once.
  server.httpServer.closeAllConnections();
  server.close().finally(() => process.exit(0));
});
