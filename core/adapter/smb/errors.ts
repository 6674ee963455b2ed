import { isFsError, type FsErrorCode } from "../../errors.js";
import { SmbDecodeError } from "../../protocol/smb2/buffer.js";
import { PipeError } from "./pipes/srvsvc.js";
import {
  STATUS_ACCESS_DENIED,
  STATUS_CANNOT_DELETE,
  STATUS_DIRECTORY_NOT_EMPTY,
  STATUS_DISK_FULL,
  STATUS_FILE_IS_A_DIRECTORY,
  STATUS_FILE_TOO_LARGE,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INTERNAL_ERROR,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_MEDIA_WRITE_PROTECTED,
  STATUS_NAME_TOO_LONG,
  STATUS_NOT_A_DIRECTORY,
  STATUS_NOT_SAME_DEVICE,
  STATUS_NOT_SUPPORTED,
  STATUS_OBJECT_NAME_COLLISION,
  STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_FILE_CLOSED,
} from "../../protocol/smb2/constants.js";

/**
 * An answer a command gives on purpose, with its NTSTATUS (a missing session, a bad FileId):
 * expected, logged at debug like FsErrors.
 */
export class SmbStatusError extends Error {
  override name = "SmbStatusError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function smbError(status: number, message: string): SmbStatusError {
  return new SmbStatusError(status, message);
}

/** FsError codes → NTSTATUS (MS-ERREF §2.3.1), as Samba maps the errno values behind them. */
const STATUS_OF: Readonly<Record<FsErrorCode, number>> = {
  NotFound: STATUS_OBJECT_NAME_NOT_FOUND,
  Exists: STATUS_OBJECT_NAME_COLLISION,
  NotEmpty: STATUS_DIRECTORY_NOT_EMPTY,
  NotDir: STATUS_NOT_A_DIRECTORY,
  IsDir: STATUS_FILE_IS_A_DIRECTORY,
  // A handle whose file went: the open is no longer usable.
  Stale: STATUS_FILE_CLOSED,
  BadHandle: STATUS_INVALID_HANDLE,
  NoSpace: STATUS_DISK_FULL,
  ReadOnly: STATUS_MEDIA_WRITE_PROTECTED,
  Access: STATUS_ACCESS_DENIED,
  Perm: STATUS_ACCESS_DENIED,
  NameTooLong: STATUS_NAME_TOO_LONG,
  Invalid: STATUS_INVALID_PARAMETER,
  FileTooBig: STATUS_FILE_TOO_LARGE,
  NotSupported: STATUS_NOT_SUPPORTED,
  NotSync: STATUS_INVALID_PARAMETER,
  XDev: STATUS_NOT_SAME_DEVICE,
  MLink: STATUS_CANNOT_DELETE,
  Io: STATUS_INTERNAL_ERROR,
  // Windows clients retry a request answered with this; the cache is full of unsent changes.
  TryLater: STATUS_INSUFFICIENT_RESOURCES,
};

/** Whether a failure is an answer (debug log) rather than a server bug (error log). */
export function isExpectedSmbError(err: unknown): boolean {
  return err instanceof SmbStatusError || err instanceof SmbDecodeError || err instanceof PipeError || (isFsError(err) && err.code !== "Io");
}

/** The NTSTATUS for any failure of a command: the one place FsErrors become wire codes. */
export function smbStatusOf(err: unknown): number {
  if (err instanceof SmbStatusError) return err.status;
  if (err instanceof SmbDecodeError || err instanceof PipeError) return STATUS_INVALID_PARAMETER;
  if (isFsError(err)) return STATUS_OF[err.code];
  return STATUS_INTERNAL_ERROR;
}
