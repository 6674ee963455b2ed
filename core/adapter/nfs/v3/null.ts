/** RFC 1813 §3.3.0 NULL: no arguments, no results; clients ping the server with it. */
export function nfsNull(): void {}
