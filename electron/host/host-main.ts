/**
 * The core host: the process that runs the file server beside the app's UI (an Electron utility
 * process; a forked Node process in tests). It builds the server from the app's settings, answers
 * the control contract's calls from the main process and sends it the events, and on "stop"
 * waits a bounded time for uploads before it stops the server and exits. Its JSON logs go to
 * `<logs>/dittofs.log` (bounded: see log-file.ts), or to stderr without --logs.
 *
 * Usage: host-main.js --settings <settings.db> --data <dir> [--logs <dir>]
 */
import { parseArgs } from "node:util";
import {
  closeLogFile,
  ControlError,
  createLogger,
  isFsError,
  openLogFile,
  ServerControl,
  testS3Connection,
  type ControlApi,
  type ServerStatus,
} from "../../core/index.js";
import { Keychain } from "../keychain.js";
import { AppSettings } from "../settings/app-settings.js";
import { prepareLogFile } from "./log-file.js";
import { HOST_METHODS, type FromHost, type ToHost } from "./protocol.js";
import { buildServing } from "./serving.js";

/** How long a host whose parent is gone waits for uploads before it stops. */
const ORPHAN_STOP_MS = 5_000;
/** The stop under way (a "stop" message and the parent going can both ask for it). */
let stopping: Promise<void> | null = null;

interface ParentChannel {
  send(message: FromHost): void;
  onMessage(listener: (message: ToHost) => void): void;
}

/** Electron's utility process talks through process.parentPort; a forked Node process through process.send. */
function parentChannel(): ParentChannel {
  const parentPort = (process as { parentPort?: { postMessage(m: unknown): void; on(e: "message", l: (e: { data: unknown }) => void): void } }).parentPort;
  if (parentPort) return { send: (m) => parentPort.postMessage(m), onMessage: (l) => parentPort.on("message", (e) => l(e.data as ToHost)) };
  if (process.send) {
    // A parent that is gone (it crashed, or was killed) stops its host too: the journal keeps what is not uploaded.
    process.once("disconnect", () => void stop(ORPHAN_STOP_MS));
    return {
      // A parent going away mid-send is an error to the callback (EPIPE), not a crash.
      send: (m) => {
        if (process.connected) process.send!(m, undefined, undefined, () => {});
      },
      onMessage: (l) => process.on("message", (m) => l(m as ToHost)),
    };
  }
  throw new Error("the core host runs as a child of the DittoFS app");
}

const { values } = parseArgs({ options: { settings: { type: "string" }, data: { type: "string" }, logs: { type: "string" } } });
if (!values.settings || !values.data) throw new Error("usage: host-main.js --settings <settings.db> --data <dir> [--logs <dir>]");
const parent = parentChannel();
const settings = new AppSettings(values.settings);
const prefs = settings.preferences();
const shares = settings.shares();
settings.close();
const logFile = values.logs ? openLogFile(prepareLogFile(values.logs)) : undefined;
const logger = createLogger(prefs.logLevel, "json", false, logFile);
const keychain = new Keychain();

let control: ControlApi & { close?(): void };
let stopServer: () => Promise<void> = async () => {};
let ports = { nfsPort: 0, smbPort: null as number | null };
try {
  const serving = await buildServing({
    shares,
    prefs,
    dataDir: values.data,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    logger,
    secrets: keychain.resolver(),
  });
  const { built, config, unserved } = serving;
  if (built && config) {
    await built.server.start();
    const server = new ServerControl(built, config, { version: process.env.DITTOFS_VERSION ?? "unknown", startedAt: new Date() });
    control = withUnserved(server, unserved);
    stopServer = () => built.server.stop();
    ports = { nfsPort: built.nfs?.port() ?? 0, smbPort: built.smb?.port() ?? null };
  } else {
    // Nothing to serve (yet): the settings window still asks for status and tests connections.
    control = emptyControl(unserved);
  }
} catch (err) {
  parent.send({ kind: "failed", message: (err as Error).message });
  logger.error({ err }, "the file server could not start");
  await exitAfterLogs(1);
}

control!.subscribe((event) => parent.send({ kind: "event", event }));
parent.onMessage((message) => void handle(message));
parent.send({ kind: "ready", ...ports });

async function handle(message: ToHost): Promise<void> {
  if (message.kind === "stop") return stop(message.timeoutMs);
  if (!(HOST_METHODS as readonly string[]).includes(message.method)) {
    return parent.send({ kind: "answer", id: message.id, ok: false, error: { code: "Invalid", message: `no method ${message.method}` } });
  }
  try {
    const method = control[message.method] as (...args: unknown[]) => Promise<unknown>;
    const value = await method.apply(control, message.args);
    parent.send({ kind: "answer", id: message.id, ok: true, value });
  } catch (err) {
    const code = err instanceof ControlError ? err.code : isFsError(err) ? "Unavailable" : "Internal";
    parent.send({ kind: "answer", id: message.id, ok: false, error: { code, message: (err as Error).message } });
  }
}

/** Waits up to `timeoutMs` for pending uploads, then stops the server (which flushes) and exits; once. */
function stop(timeoutMs: number): Promise<void> {
  return (stopping ??= stopNow(timeoutMs));
}

async function stopNow(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pendingFiles = await pendingUploads();
  while (pendingFiles > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    pendingFiles = await pendingUploads();
  }
  (control as typeof control | undefined)?.close?.();
  try {
    await stopServer();
  } catch (err) {
    logger.error({ err }, "stopping the file server failed");
  }
  parent.send({ kind: "stopped", pendingFiles });
  await exitAfterLogs(0);
}

/** Exits once every log line is written: the file's queue, or stderr's. */
async function exitAfterLogs(code: number): Promise<never> {
  if (logFile) await closeLogFile(logFile);
  else await new Promise<void>((resolve) => logger.flush(() => resolve()));
  process.exit(code);
}

async function pendingUploads(): Promise<number> {
  // Undefined while the server is still being built (a parent gone during the start).
  const status = await (control as typeof control | undefined)?.status().catch(() => null);
  return status?.shares.reduce((sum, share) => sum + (share.remote?.pendingFiles ?? 0), 0) ?? 0;
}

/** The server's control, whose status also names the shares left out. */
function withUnserved(server: ServerControl, unserved: ServerStatus["unserved"]): ControlApi & { close(): void } {
  return {
    status: async () => ({ ...(await server.status()), unserved }),
    retryUploads: (share) => server.retryUploads(share),
    refreshListing: (share) => server.refreshListing(share),
    testS3: (request) => server.testS3(request),
    subscribe: (listener) => server.subscribe(listener),
    close: () => server.close(),
  };
}

function emptyControl(unserved: ServerStatus["unserved"]): ControlApi {
  const startedAt = new Date().toISOString();
  return {
    status: async (): Promise<ServerStatus> => ({
      version: process.env.DITTOFS_VERSION ?? "unknown",
      managed: false,
      startedAt,
      listeners: { nfs: null, smb: null, portmap: null },
      shares: [],
      unserved,
      problem: null,
    }),
    retryUploads: async (share) => Promise.reject(new ControlError("NotFound", `no share named ${JSON.stringify(share)}`)),
    refreshListing: async (share) => Promise.reject(new ControlError("NotFound", `no share named ${JSON.stringify(share)}`)),
    testS3: testS3Connection,
    subscribe: () => () => {},
  };
}
