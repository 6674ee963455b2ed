import { pino, type Logger } from "pino";

export type { Logger };

/** Where JSON lines go instead of stderr: a log file (see openLogFile). */
export type LogDestination = ReturnType<typeof pino.destination>;

/** JSON lines for machines, or one readable line per entry for a person at a terminal. */
export type LogFormat = "json" | "pretty";
export const LOG_FORMATS: readonly LogFormat[] = ["json", "pretty"];

export function isLogFormat(value: unknown): value is LogFormat {
  return LOG_FORMATS.includes(value as LogFormat);
}

/**
 * Structured logs for the whole core. The level comes from the config (or DITTOFS_LOG_LEVEL);
 * logs go to stderr so that stdout stays free for what the CLI prints for people.
 * Secrets never reach a log: callers log names and ids, never credentials, and the
 * redaction list below is a second line of defence.
 *
 * `pretty` formats in pino's transport worker thread (pino-pretty), off the thread that serves
 * requests; colours only when `colour` says stderr is a terminal. `json` writes to `destination`
 * when one is given (an embedder's log file), else to stderr.
 */
export function createLogger(
  level: string = process.env.DITTOFS_LOG_LEVEL ?? "info",
  format: LogFormat = "json",
  colour = false,
  destination?: LogDestination,
): Logger {
  const options = {
    level,
    base: { app: "dittofs" },
    redact: { paths: ["*.password", "*.secret", "*.secretAccessKey", "*.token"], censor: "[redacted]" },
  };
  if (format === "pretty") {
    const transport = pino.transport({
      target: "pino-pretty",
      // One line per entry; sync writes block only the worker, and keep lines in order with stdout.
      options: { destination: 2, sync: true, singleLine: true, colorize: colour, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,app" },
    });
    return pino(options, transport);
  }
  return pino(options, destination ?? pino.destination({ fd: 2, sync: false }));
}

/**
 * A log file JSON lines are appended to, asynchronously (each line is written as soon as the
 * one before it is, off the caller's path); its folder is made if missing. closeLogFile writes
 * what is still queued.
 */
export function openLogFile(path: string): LogDestination {
  return pino.destination({ dest: path, sync: false, mkdir: true });
}

/** Writes the lines still queued and closes the file (once); resolves once they are on disk (or it failed). */
export function closeLogFile(destination: LogDestination): Promise<void> {
  return new Promise((resolve) => {
    destination.once("close", () => resolve());
    destination.once("error", () => resolve());
    destination.end();
  });
}

/** A logger that drops everything, for unit tests and library use without logging. */
export const silentLogger: Logger = pino({ level: "silent" });
