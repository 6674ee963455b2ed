/** RFC 1813 §5.2.0 MOUNTPROC3_NULL: no arguments, no results; a ping. */
export function mountNull(): void {}
