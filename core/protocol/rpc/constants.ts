/** ONC RPC v2 protocol constants (RFC 5531 §9), under their spec names. */

export const RPC_VERSION = 2;

/** msg_type */
export const CALL = 0;
export const REPLY = 1;

/** reply_stat */
export const MSG_ACCEPTED = 0;
export const MSG_DENIED = 1;

/** accept_stat */
export const SUCCESS = 0;
export const PROG_UNAVAIL = 1;
export const PROG_MISMATCH = 2;
export const PROC_UNAVAIL = 3;
export const GARBAGE_ARGS = 4;
export const SYSTEM_ERR = 5;

/** reject_stat */
export const RPC_MISMATCH = 0;
export const AUTH_ERROR = 1;

/** auth_stat */
export const AUTH_OK = 0;
export const AUTH_BADCRED = 1;
export const AUTH_REJECTEDCRED = 2;
export const AUTH_BADVERF = 3;
export const AUTH_REJECTEDVERF = 4;
export const AUTH_TOOWEAK = 5;
export const AUTH_INVALIDRESP = 6;
export const AUTH_FAILED = 7;

/** opaque_auth body<400> (RFC 5531 §8.2). */
export const MAX_AUTH_BYTES = 400;
/** authsys_parms: machinename<255>, gids<16> (RFC 5531 Appendix A). */
export const MAX_MACHINE_NAME = 255;
export const MAX_AUTH_SYS_GIDS = 16;

/** Record marking (RFC 5531 §11): high bit of the fragment header flags the last fragment. */
export const LAST_FRAGMENT = 0x8000_0000;
export const MAX_FRAGMENT_BYTES = 0x7fff_ffff;
