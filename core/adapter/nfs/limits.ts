/** The limits this server advertises in FSINFO and PATHCONF (RFC 1813 §3.3.19, §3.3.20). */

/** Largest READ and WRITE payload: 1 MiB, also the preferred size. */
export const MAX_IO_BYTES = 1024 * 1024;
/** Suggested multiple for READ and WRITE sizes. */
export const IO_MULTIPLE = 4096;
/** Preferred READDIR request size. */
export const PREFERRED_READDIR_BYTES = 64 * 1024;
/**
 * Largest file size: offsets and sizes travel through the services as JavaScript numbers, which
 * are exact only up to 2^53 - 1; anything beyond is answered with NFS3ERR_FBIG.
 */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;
/** Longest file name component in bytes (PATHCONF name_max). */
export const NAME_MAX = 255;
/** Longest symlink target in bytes. */
export const PATH_MAX = 4096;
/** Most hard links to one file (PATHCONF linkmax). */
export const LINK_MAX = 65535;
