#!/usr/bin/env node
/**
 * The `dittofs` executable: real process I/O around runCli. Errors that escape everything are
 * logged and end the process with 1 (the adapters make sure no client can cause one).
 */
import { isLogLevel } from "../config/types.js";
import { createLogger } from "../util/logger.js";
import { runCli, type CliIo } from "./cli.js";

// An unknown DITTOFS_LOG_LEVEL is reported by `serve`; until then log at info.
const envLevel = process.env.DITTOFS_LOG_LEVEL;
const logger = createLogger(isLogLevel(envLevel) ? envLevel : "info");

function die(what: string, err: unknown): void {
  process.exitCode = 1;
  logger.fatal({ err }, what);
  logger.flush(() => process.exit(1));
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
  logger,
  onSignal(handler) {
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
    return () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    };
  },
  forceExit(code) {
    logger.flush(() => process.exit(code));
    setTimeout(() => process.exit(code), 500).unref();
  },
};

const code = await runCli(process.argv.slice(2), io);
process.exitCode = code;
logger.flush();
// Normally the event loop is empty now; should anything linger, do not hang after a clean stop.
setTimeout(() => process.exit(code), 2000).unref();
