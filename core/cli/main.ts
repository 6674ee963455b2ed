#!/usr/bin/env node
/**
 * The `dittofs` executable: real process I/O around runCli. Errors that escape everything are
 * logged and end the process with 1 (the adapters make sure no client can cause one).
 */
import { isLogLevel, type LogLevel } from "../config/types.js";
import { createLogger, type LogFormat, type Logger } from "../util/logger.js";
import { runCli, type CliIo } from "./cli.js";

const stderrIsTTY = process.stderr.isTTY === true;
// Colours only for a person at a terminal who did not ask for none (https://no-color.org).
const colour = stderrIsTTY && !process.env.NO_COLOR;

/** Opened by serve with the format it chose; until then (or without serve) made on demand. */
let logger = null as Logger | null;

function openLogger(level: LogLevel, format: LogFormat): Logger {
  logger = createLogger(level, format, colour);
  return logger;
}

function currentLogger(): Logger {
  // An unknown DITTOFS_LOG_LEVEL is reported by `serve`; until then log at info.
  const envLevel = process.env.DITTOFS_LOG_LEVEL;
  return logger ?? openLogger(isLogLevel(envLevel) ? envLevel : "info", stderrIsTTY ? "pretty" : "json");
}

function die(what: string, err: unknown): void {
  process.exitCode = 1;
  const log = currentLogger();
  log.fatal({ err }, what);
  log.flush(() => process.exit(1));
  setTimeout(() => process.exit(1), 1000).unref();
}

process.on("uncaughtException", (err) => die("uncaught exception", err));
process.on("unhandledRejection", (reason) => die("unhandled promise rejection", reason));
// A closed stdout (e.g. piped into `head`) must not take the server down.
process.stdout.on("error", () => {});

const io: CliIo = {
  stdout: (line) => void process.stdout.write(`${line}\n`),
  stderr: (line) => void process.stderr.write(`${line}\n`),
  env: process.env,
  stderrIsTTY,
  openLogger,
  onSignal(handler) {
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
    return () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    };
  },
  forceExit(code) {
    if (logger) logger.flush(() => process.exit(code));
    setTimeout(() => process.exit(code), 500).unref();
  },
};

const code = await runCli(process.argv.slice(2), io);
process.exitCode = code;
logger?.flush();
// Normally the event loop is empty now; should anything linger, do not hang after a clean stop.
setTimeout(() => process.exit(code), 2000).unref();
