import { pino, type Logger } from "pino";

export type { Logger };

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
 * requests; colours only when `colour` says stderr is a terminal.
 */
export function createLogger(
  level: string = process.env.DITTOFS_LOG_LEVEL ?? "info",
  format: LogFormat = "json",
  colour = false,
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
  return pino(options, pino.destination({ fd: 2, sync: false }));
}

/** A logger that drops everything, for unit tests and library use without logging. */
export const silentLogger: Logger = pino({ level: "silent" });
