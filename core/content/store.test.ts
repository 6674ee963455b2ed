import { describe, expect, it } from "vitest";
import { isValidContentId, newContentId } from "./store.js";

describe("content ids", () => {
  it("accepts exactly [A-Za-z0-9_-]{1,128}", () => {
    for (const id of ["a", "Z9_-", "x".repeat(128)]) expect(isValidContentId(id)).toBe(true);
    for (const id of ["", "x".repeat(129), "../a", "a/b", "a.b", "a b", "é"]) expect(isValidContentId(id)).toBe(false);
  });

  it("makes fresh valid lower-case ids", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newContentId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });
});
