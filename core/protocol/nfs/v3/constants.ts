/** NFS version 3 protocol constants (RFC 1813 §2), under their spec names. */

export const NFS_PROGRAM = 100003;
export const NFS_V3 = 3;

/** Sizes of fixed opaque types (RFC 1813 §2.4). */
export const NFS3_FHSIZE = 64;
export const NFS3_COOKIEVERFSIZE = 8;
export const NFS3_CREATEVERFSIZE = 8;
export const NFS3_WRITEVERFSIZE = 8;

/** Procedure numbers (RFC 1813 §3.3). */
export const NFSPROC3_NULL = 0;
export const NFSPROC3_GETATTR = 1;
export const NFSPROC3_SETATTR = 2;
export const NFSPROC3_LOOKUP = 3;
export const NFSPROC3_ACCESS = 4;
export const NFSPROC3_READLINK = 5;
export const NFSPROC3_READ = 6;
export const NFSPROC3_WRITE = 7;
export const NFSPROC3_CREATE = 8;
export const NFSPROC3_MKDIR = 9;
export const NFSPROC3_SYMLINK = 10;
export const NFSPROC3_MKNOD = 11;
export const NFSPROC3_REMOVE = 12;
export const NFSPROC3_RMDIR = 13;
export const NFSPROC3_RENAME = 14;
export const NFSPROC3_LINK = 15;
export const NFSPROC3_READDIR = 16;
export const NFSPROC3_READDIRPLUS = 17;
export const NFSPROC3_FSSTAT = 18;
export const NFSPROC3_FSINFO = 19;
export const NFSPROC3_PATHCONF = 20;
export const NFSPROC3_COMMIT = 21;

/** nfsstat3 (RFC 1813 §2.6). */
export const NFS3_OK = 0;
export const NFS3ERR_PERM = 1;
export const NFS3ERR_NOENT = 2;
export const NFS3ERR_IO = 5;
export const NFS3ERR_NXIO = 6;
export const NFS3ERR_ACCES = 13;
export const NFS3ERR_EXIST = 17;
export const NFS3ERR_XDEV = 18;
export const NFS3ERR_NODEV = 19;
export const NFS3ERR_NOTDIR = 20;
export const NFS3ERR_ISDIR = 21;
export const NFS3ERR_INVAL = 22;
export const NFS3ERR_FBIG = 27;
export const NFS3ERR_NOSPC = 28;
export const NFS3ERR_ROFS = 30;
export const NFS3ERR_MLINK = 31;
export const NFS3ERR_NAMETOOLONG = 63;
export const NFS3ERR_NOTEMPTY = 66;
export const NFS3ERR_DQUOT = 69;
export const NFS3ERR_STALE = 70;
export const NFS3ERR_REMOTE = 71;
export const NFS3ERR_BADHANDLE = 10001;
export const NFS3ERR_NOT_SYNC = 10002;
export const NFS3ERR_BAD_COOKIE = 10003;
export const NFS3ERR_NOTSUPP = 10004;
export const NFS3ERR_TOOSMALL = 10005;
export const NFS3ERR_SERVERFAULT = 10006;
export const NFS3ERR_BADTYPE = 10007;
export const NFS3ERR_JUKEBOX = 10008;

export type Nfsstat3 = number;

/** ftype3 (RFC 1813 §2.5). */
export const NF3REG = 1;
export const NF3DIR = 2;
export const NF3BLK = 3;
export const NF3CHR = 4;
export const NF3LNK = 5;
export const NF3SOCK = 6;
export const NF3FIFO = 7;

/** time_how (RFC 1813 §2.5, in sattr3). */
export const DONT_CHANGE = 0;
export const SET_TO_SERVER_TIME = 1;
export const SET_TO_CLIENT_TIME = 2;

/** stable_how (RFC 1813 §3.3.7). */
export const UNSTABLE = 0;
export const DATA_SYNC = 1;
export const FILE_SYNC = 2;

/** createmode3 (RFC 1813 §3.3.8). */
export const UNCHECKED = 0;
export const GUARDED = 1;
export const EXCLUSIVE = 2;

/** ACCESS3 bits (RFC 1813 §3.3.4). */
export const ACCESS3_READ = 0x0001;
export const ACCESS3_LOOKUP = 0x0002;
export const ACCESS3_MODIFY = 0x0004;
export const ACCESS3_EXTEND = 0x0008;
export const ACCESS3_DELETE = 0x0010;
export const ACCESS3_EXECUTE = 0x0020;

/** FSINFO properties (RFC 1813 §3.3.19). */
export const FSF3_LINK = 0x0001;
export const FSF3_SYMLINK = 0x0002;
export const FSF3_HOMOGENEOUS = 0x0008;
export const FSF3_CANSETTIME = 0x0010;
