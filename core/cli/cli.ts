import { parseArgs } from "node:util";
import { ConfigError } from "../config/errors.js";
import { defaultConfig } from "../config/defaults.js";
import { loadConfig } from "../config/load.js";
import { isLogLevel, LOG_LEVELS, type DittoConfig, type LogLevel } from "../config/types.js";
import { startControlHttp, type ControlHttp } from "../control/http.js";
import { ServerControl } from "../control/server-control.js";
import { buildServer } from "../server/build.js";
import { isLogFormat, LOG_FORMATS, type LogFormat, type Logger } from "../util/logger.js";
import { packageVersion } from "../util/package-version.js";
import { hostPort, listeningLines } from "./output.js";

/** Everything the CLI touches outside itself, so that it runs in-process in tests. */
export interface CliIo {
  /** One line to stdout (what people and scripts read). */
  stdout(line: string): void;
  /** One line to stderr (errors and usage). */
  stderr(line: string): void;
  env: NodeJS.ProcessEnv;
  /** Whether stderr, where the logs go, is a terminal: then they are readable lines by default. */
  stderrIsTTY: boolean;
  /** Opens the structured logs (stderr in the real binary); serve calls it once, after the config. */
  openLogger(level: LogLevel, format: LogFormat): Logger;
  /** Calls `handler` on every shutdown signal (SIGINT, SIGTERM); returns an unsubscribe function. */
  onSignal(handler: (signal: string) => void): () => void;
  /** Ends the process at once: a second signal while stopping. */
  forceExit(code: number): void;
}

/** Exit codes: 0 success, 1 failure (bad config, cannot start, failed stop), 2 bad usage. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const USAGE = `Usage:
  dittofs serve [--config FILE] [--log-format json|pretty]
                                   run the file server (default: built-in config, data in the user's data dir);
                                   logs go to stderr, readable on a terminal and JSON otherwise
  dittofs check-config FILE        validate a config file and summarize it
  dittofs --help                   show this help
  dittofs --version                show the version

Environment:
  DITTOFS_DATA_DIR     data directory of the built-in config
  DITTOFS_NFS_PORT     NFS/MOUNT port of the built-in config
  DITTOFS_LOG_LEVEL    log level (overrides logging.level)`;

/** Runs one CLI invocation and resolves with its exit code (serve: after a graceful stop). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      io.stderr(USAGE);
      return EXIT_USAGE;
    case "--help":
    case "-h":
    case "help":
      io.stdout(USAGE);
      return EXIT_OK;
    case "--version":
    case "-V":
    case "-v":
      io.stdout(`dittofs ${packageVersion()}`);
      return EXIT_OK;
    case "serve":
      return serveCommand(rest, io);
    case "check-config":
      return checkConfigCommand(rest, io);
    default:
      return usageError(io, `unknown command ${JSON.stringify(command)}`);
  }
}

function usageError(io: CliIo, message: string): number {
  io.stderr(`dittofs: ${message}`);
  io.stderr(USAGE);
  return EXIT_USAGE;
}

type Parsed<T> = { ok: true; values: T; positionals: string[] } | { ok: false; code: number };

function parse<T>(args: readonly string[], io: CliIo, options: NonNullable<Parameters<typeof parseArgs>[0]>["options"], positionals: boolean): Parsed<T> {
  try {
    const result = parseArgs({ args: [...args], options, allowPositionals: positionals, strict: true });
    return { ok: true, values: result.values as T, positionals: result.positionals };
  } catch (err) {
    return { ok: false, code: usageError(io, (err as Error).message) };
  }
}

async function checkConfigCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parse<{ help?: boolean }>(args, io, { help: { type: "boolean", short: "h" } }, true);
  if (!parsed.ok) return parsed.code;
  if (parsed.values.help) {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  if (parsed.positionals.length !== 1) return usageError(io, "check-config takes exactly one FILE");
  const config = await readConfig(parsed.positionals[0]!, io);
  if (!config) return EXIT_FAILURE;
  io.stdout(`config OK: ${summary(config)}`);
  return EXIT_OK;
}

/** "2 shares, 1 metadata store, 1 content store, NFS on 127.0.0.1:12049" */
function summary(config: DittoConfig): string {
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const parts = [
    count(config.shares.length, "share"),
    count(Object.keys(config.metadata.stores).length, "metadata store"),
    count(Object.keys(config.content.stores).length, "content store"),
  ];
  const { nfs, portmap } = config.adapters;
  if (nfs.enabled) parts.push(`NFS on ${hostPort(nfs.bind, nfs.port)}`);
  if (nfs.enabled && nfs.mountPort !== null) parts.push(`MOUNT on ${hostPort(nfs.bind, nfs.mountPort)}`);
  if (portmap.enabled) parts.push(`portmap on ${hostPort(portmap.bind, portmap.port)}`);
  return parts.join(", ");
}

/** The config, or undefined after printing why it cannot be used. */
async function readConfig(file: string | undefined, io: CliIo): Promise<DittoConfig | undefined> {
  try {
    return file === undefined ? defaultConfig(io.env) : await loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) io.stderr(err.message);
    else io.stderr(`dittofs: cannot load the config: ${(err as Error).message}`);
    return undefined;
  }
}

async function serveCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parse<{ config?: string; help?: boolean; "log-format"?: string }>(
    args,
    io,
    { config: { type: "string", short: "c" }, help: { type: "boolean", short: "h" }, "log-format": { type: "string" } },
    false,
  );
  if (!parsed.ok) return parsed.code;
  if (parsed.values.help) {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  const format = parsed.values["log-format"] ?? (io.stderrIsTTY ? "pretty" : "json");
  if (!isLogFormat(format)) {
    return usageError(io, `--log-format: expected one of: ${LOG_FORMATS.join(", ")}, got ${JSON.stringify(format)}`);
  }
  const config = await readConfig(parsed.values.config, io);
  if (!config) return EXIT_FAILURE;

  const envLevel = io.env.DITTOFS_LOG_LEVEL;
  if (envLevel && !isLogLevel(envLevel)) {
    io.stderr(`dittofs: DITTOFS_LOG_LEVEL: expected one of: ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(envLevel)}`);
    return EXIT_FAILURE;
  }
  const logger = io.openLogger(isLogLevel(envLevel) ? envLevel : config.logging.level, format);

  // Signals are taken from the start, so that one arriving during startup still stops cleanly.
  let requestStop: (signal: string) => void = () => {};
  const stopRequested = new Promise<string>((resolve) => (requestStop = resolve));
  let signals = 0;
  const unsubscribe = io.onSignal((signal) => {
    signals++;
    if (signals === 1) {
      logger.info({ signal }, "shutting down gracefully (send the signal again to force)");
      requestStop(signal);
    } else {
      logger.warn({ signal }, "second signal: forcing exit");
      io.forceExit(EXIT_FAILURE);
    }
  });

  try {
    let built;
    try {
      built = await buildServer(config, logger);
    } catch (err) {
      logger.error({ err }, "cannot open the stores");
      io.stderr(`dittofs: ${(err as Error).message}`);
      return EXIT_FAILURE;
    }
    const { server, nfs, portmap } = built;
    const control = new ServerControl(built, config, { version: packageVersion(), startedAt: new Date() });
    let controlHttp: ControlHttp | null = null;
    const stopAll = async () => {
      control.close();
      await controlHttp?.close();
      await server.stop();
    };
    try {
      await server.start();
      if (config.control.enabled) {
        controlHttp = await startControlHttp({ api: control, logger, bind: config.control.bind, port: config.control.port });
      }
    } catch (err) {
      io.stderr(`dittofs: cannot start: ${(err as Error).message}`);
      await stopAll().catch((stopErr: unknown) => logger.error({ err: stopErr }, "cleanup after a failed start failed"));
      return EXIT_FAILURE;
    }

    if (signals === 0) {
      // The startup logs first, so that the mount commands end what a terminal shows.
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      const lines = listeningLines({
        nfs: nfs ? { bind: config.adapters.nfs.bind, port: nfs.port(), mountPort: nfs.mountPort() } : null,
        separateMountPort: nfs && config.adapters.nfs.mountPort !== null ? nfs.mountPort() : null,
        portmap: portmap ? { bind: config.adapters.portmap.bind, port: portmap.port() } : null,
        shares: server.registry.shares().map((share) => share.name),
      });
      for (const line of lines) io.stdout(line);
      // The token goes to standard output only, never to the logs.
      if (controlHttp) io.stdout(`Control API on ${controlHttp.url} with bearer token ${controlHttp.token}`);
      if (controlHttp?.settingsUrl) io.stdout(`Settings on ${controlHttp.settingsUrl}`);
      io.stdout("ready");
    }

    await stopRequested;
    try {
      await stopAll();
    } catch (err) {
      logger.error({ err }, "graceful stop failed");
      io.stderr(`dittofs: stop failed: ${(err as Error).message}`);
      return EXIT_FAILURE;
    }
    logger.info("stopped");
    return EXIT_OK;
  } finally {
    unsubscribe();
  }
}

