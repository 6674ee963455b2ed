import { isFsError, type FsError, type FsErrorCode } from "../../errors.js";
import {
  NFS3ERR_ACCES,
  NFS3ERR_BADHANDLE,
  NFS3ERR_EXIST,
  NFS3ERR_FBIG,
  NFS3ERR_INVAL,
  NFS3ERR_IO,
  NFS3ERR_ISDIR,
  NFS3ERR_JUKEBOX,
  NFS3ERR_MLINK,
  NFS3ERR_NAMETOOLONG,
  NFS3ERR_NOENT,
  NFS3ERR_NOSPC,
  NFS3ERR_NOT_SYNC,
  NFS3ERR_NOTDIR,
  NFS3ERR_NOTEMPTY,
  NFS3ERR_NOTSUPP,
  NFS3ERR_PERM,
  NFS3ERR_ROFS,
  NFS3ERR_SERVERFAULT,
  NFS3ERR_STALE,
  NFS3ERR_XDEV,
  type Nfsstat3,
} from "../../protocol/nfs/v3/constants.js";
import {
  MNT3ERR_ACCES,
  MNT3ERR_INVAL,
  MNT3ERR_IO,
  MNT3ERR_NAMETOOLONG,
  MNT3ERR_NOENT,
  MNT3ERR_NOTDIR,
  MNT3ERR_NOTSUPP,
  MNT3ERR_PERM,
  MNT3ERR_SERVERFAULT,
  type Mountstat3,
} from "../../protocol/nfs/mount/constants.js";

/**
 * The one place where typed file-system errors become NFS wire codes. Every FsError code has an
 * nfsstat3 (RFC 1813 §2.6); anything that is not an FsError is a server bug and becomes
 * NFS3ERR_SERVERFAULT.
 */
export const NFS3_STATUS_BY_CODE: Readonly<Record<FsErrorCode, Nfsstat3>> = {
  NotFound: NFS3ERR_NOENT,
  Exists: NFS3ERR_EXIST,
  NotEmpty: NFS3ERR_NOTEMPTY,
  NotDir: NFS3ERR_NOTDIR,
  IsDir: NFS3ERR_ISDIR,
  Stale: NFS3ERR_STALE,
  BadHandle: NFS3ERR_BADHANDLE,
  NoSpace: NFS3ERR_NOSPC,
  ReadOnly: NFS3ERR_ROFS,
  Access: NFS3ERR_ACCES,
  Perm: NFS3ERR_PERM,
  NameTooLong: NFS3ERR_NAMETOOLONG,
  Invalid: NFS3ERR_INVAL,
  FileTooBig: NFS3ERR_FBIG,
  NotSupported: NFS3ERR_NOTSUPP,
  NotSync: NFS3ERR_NOT_SYNC,
  XDev: NFS3ERR_XDEV,
  MLink: NFS3ERR_MLINK,
  Io: NFS3ERR_IO,
  // RFC 1813 §2.6: "the server initiated the request, but was not able to complete it in a
  // timely fashion"; the client retries later.
  TryLater: NFS3ERR_JUKEBOX,
};

/** mountstat3 (RFC 1813 §5.1.5) has fewer codes; the rest are server faults. */
export const MOUNT3_STATUS_BY_CODE: Readonly<Partial<Record<FsErrorCode, Mountstat3>>> = {
  NotFound: MNT3ERR_NOENT,
  Stale: MNT3ERR_NOENT,
  NotDir: MNT3ERR_NOTDIR,
  Access: MNT3ERR_ACCES,
  Perm: MNT3ERR_PERM,
  NameTooLong: MNT3ERR_NAMETOOLONG,
  Invalid: MNT3ERR_INVAL,
  NotSupported: MNT3ERR_NOTSUPP,
  Io: MNT3ERR_IO,
};

/**
 * An NFS outcome with no file-system meaning (NFS3ERR_BADTYPE, NFS3ERR_TOOSMALL): thrown by a
 * procedure and answered with exactly that status.
 */
export class NfsStatusError extends Error {
  override name = "NfsStatusError";

  constructor(
    readonly status: Nfsstat3,
    message: string,
  ) {
    super(message);
  }
}

/** Errors that are answers, not faults: logged quietly, never as server errors. */
export function isExpectedError(err: unknown): err is FsError | NfsStatusError {
  return isFsError(err) || err instanceof NfsStatusError;
}

/** The nfsstat3 for an error thrown while serving a call. */
export function nfsStatusOf(err: unknown): Nfsstat3 {
  if (isFsError(err)) return NFS3_STATUS_BY_CODE[err.code];
  if (err instanceof NfsStatusError) return err.status;
  return NFS3ERR_SERVERFAULT;
}

/** The mountstat3 for an error thrown while serving MNT. */
export function mountStatusOf(err: unknown): Mountstat3 {
  return (isFsError(err) && MOUNT3_STATUS_BY_CODE[err.code]) || MNT3ERR_SERVERFAULT;
}
