/**
 * Typed file-system errors shared by stores and services. Stores and services throw these;
 * each protocol adapter maps them to its wire codes in exactly one place.
 */
export type FsErrorCode =
  | "NotFound"
  | "Exists"
  | "NotEmpty"
  | "NotDir"
  | "IsDir"
  | "Stale"
  | "BadHandle"
  | "NoSpace"
  | "ReadOnly"
  | "Access"
  | "Perm"
  | "NameTooLong"
  | "Invalid"
  | "FileTooBig"
  | "NotSupported"
  | "NotSync"
  | "XDev"
  | "MLink"
  | "Io"
  /** Not now, but likely later: the caller should retry (a cache full of changes S3 has not taken yet). */
  | "TryLater";

/**
 * FsErrors are mostly answers (a LOOKUP of a missing name, a CREATE of a taken one), thrown on
 * hot paths where capturing a stack trace would cost more than the rest of the call. Only Io
 * errors, which mean something went wrong in the server, carry a stack.
 */
export class FsError extends Error {
  constructor(
    readonly code: FsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    const stackLimit = Error.stackTraceLimit;
    if (code !== "Io") Error.stackTraceLimit = 0;
    super(message, options);
    Error.stackTraceLimit = stackLimit;
    this.name = `FsError(${code})`;
  }
}

export function isFsError(err: unknown, code?: FsErrorCode): err is FsError {
  return err instanceof FsError && (code === undefined || err.code === code);
}

/** Shorthand used by stores and services: `throw fsError("NotFound", "no entry 'a' in dir 7")`. */
export function fsError(code: FsErrorCode, message: string, cause?: unknown): FsError {
  return new FsError(code, message, cause === undefined ? undefined : { cause });
}
