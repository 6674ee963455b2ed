/** MOUNT version 3 protocol constants (RFC 1813 Appendix I), under their spec names. */

export const MOUNT_PROGRAM = 100005;
export const MOUNT_V3 = 3;

export const MNTPATHLEN = 1024;
export const MNTNAMLEN = 255;
export const FHSIZE3 = 64;

/** Procedure numbers (RFC 1813 §5.2). */
export const MOUNTPROC3_NULL = 0;
export const MOUNTPROC3_MNT = 1;
export const MOUNTPROC3_DUMP = 2;
export const MOUNTPROC3_UMNT = 3;
export const MOUNTPROC3_UMNTALL = 4;
export const MOUNTPROC3_EXPORT = 5;

/** mountstat3 (RFC 1813 §5.1.5). */
export const MNT3_OK = 0;
export const MNT3ERR_PERM = 1;
export const MNT3ERR_NOENT = 2;
export const MNT3ERR_IO = 5;
export const MNT3ERR_ACCES = 13;
export const MNT3ERR_NOTDIR = 20;
export const MNT3ERR_INVAL = 22;
export const MNT3ERR_NAMETOOLONG = 63;
export const MNT3ERR_NOTSUPP = 10004;
export const MNT3ERR_SERVERFAULT = 10006;

export type Mountstat3 = number;
