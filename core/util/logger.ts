import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Structured logs for the whole core. The level comes from the config (or DITTOFS_LOG_LEVEL);
 * logs go to stderr so that stdout stays free for what the CLI prints for people.
 * Secrets never reach a log: callers log names and ids, never credentials, and the
 * redaction list below is a second line of defence.
 */
export function createLogger(level: string = process.env.DITTOFS_LOG_LEVEL ?? "info"): Logger {
  return pino(
    {
      level,
      base: { app: "dittofs" },
      redact: { paths: ["*.password", "*.secret", "*.secretAccessKey", "*.token"], censor: "[redacted]" },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that drops everything, for unit tests and library use without logging. */
export const silentLogger: Logger = pino({ level: "silent" });
