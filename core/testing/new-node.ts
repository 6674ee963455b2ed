import type { NewNode } from "../metadata/types.js";

/** The instant every test node carries. */
export const T = { sec: 1_700_000_000, nsec: 1 };

/** A NewNode for store tests: owned by 1000:1000, 0755 or 0644, every time the same instant. */
export function newNode(type: NewNode["type"], over: Partial<NewNode> = {}): NewNode {
  return {
    type,
    mode: type === "dir" ? 0o755 : 0o644,
    uid: 1000,
    gid: 1000,
    size: 0,
    atime: T,
    mtime: T,
    ctime: T,
    contentId: type === "file" ? "c0ffee" : null,
    rdev: { major: 0, minor: 0 },
    ...over,
  };
}
