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
  | "Io";

export class FsError extends Error {
  constructor(
    readonly code: FsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
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
