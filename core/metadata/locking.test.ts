import { beforeEach, describe, expect, it } from "vitest";
import { LockManager } from "./locking.js";

describe("LockManager", () => {
  let locks: LockManager;
  beforeEach(() => {
    locks = new LockManager();
  });

  describe("between owners", () => {
    it("lets shared locks overlap", () => {
      expect(locks.lock("f", "a", 0, 100, false)).toEqual({ ok: true });
      expect(locks.lock("f", "b", 50, 100, false)).toEqual({ ok: true });
      expect(locks.list("f")).toHaveLength(2);
    });

    it("reports the lock an exclusive request conflicts with", () => {
      locks.lock("f", "a", 10, 10, false);
      expect(locks.lock("f", "b", 0, 11, true)).toEqual({
        ok: false,
        conflict: { owner: "a", offset: 10, length: 10, exclusive: false },
      });
      locks.lock("f", "c", 100, 5, true);
      expect(locks.lock("f", "b", 102, 1, false)).toEqual({
        ok: false,
        conflict: { owner: "c", offset: 100, length: 5, exclusive: true },
      });
      expect(locks.list("f").map((l) => l.owner)).toEqual(["a", "c"]);
    });

    it("treats adjacent ranges as not overlapping", () => {
      locks.lock("f", "a", 0, 10, true);
      expect(locks.lock("f", "b", 10, 10, true)).toEqual({ ok: true });
      expect(locks.lock("f", "c", 0, 10, false).ok).toBe(false);
      expect(locks.lock("f", "c", 9, 2, false).ok).toBe(false);
    });

    it("keeps files apart", () => {
      locks.lock("f", "a", 0, 10, true);
      expect(locks.lock("g", "b", 0, 10, true)).toEqual({ ok: true });
    });

    it("reads length 0 as 'to the end of the file, however far'", () => {
      locks.lock("f", "a", 1000, 0, true);
      expect(locks.lock("f", "b", 0, 1000, true)).toEqual({ ok: true });
      expect(locks.lock("f", "b", Number.MAX_SAFE_INTEGER - 10, 5, false)).toEqual({
        ok: false,
        conflict: { owner: "a", offset: 1000, length: 0, exclusive: true },
      });
      expect(locks.lock("f", "c", 5, 0, false).ok).toBe(false);
    });

    it("tests without taking", () => {
      locks.lock("f", "a", 0, 10, false);
      expect(locks.test("f", "b", 5, 1, false)).toEqual({ ok: true });
      expect(locks.test("f", "b", 5, 1, true)).toEqual({
        ok: false,
        conflict: { owner: "a", offset: 0, length: 10, exclusive: false },
      });
      expect(locks.test("f", "a", 5, 1, true)).toEqual({ ok: true });
      expect(locks.list("f")).toEqual([{ owner: "a", offset: 0, length: 10, exclusive: false }]);
    });
  });

  describe("one owner's own locks (POSIX)", () => {
    it("merges overlapping and adjacent ranges of the same type", () => {
      locks.lock("f", "a", 0, 10, false);
      locks.lock("f", "a", 10, 10, false);
      locks.lock("f", "a", 15, 10, false);
      expect(locks.list("f")).toEqual([{ owner: "a", offset: 0, length: 25, exclusive: false }]);
      locks.lock("f", "a", 30, 5, false);
      expect(locks.list("f")).toHaveLength(2);
      locks.lock("f", "a", 20, 0, false);
      expect(locks.list("f")).toEqual([{ owner: "a", offset: 0, length: 0, exclusive: false }]);
    });

    it("upgrades part of a shared range, splitting it", () => {
      locks.lock("f", "a", 0, 100, false);
      expect(locks.lock("f", "a", 40, 20, true)).toEqual({ ok: true });
      expect(locks.list("f")).toEqual([
        { owner: "a", offset: 0, length: 40, exclusive: false },
        { owner: "a", offset: 40, length: 20, exclusive: true },
        { owner: "a", offset: 60, length: 40, exclusive: false },
      ]);
    });

    it("downgrades an exclusive range, letting other readers in", () => {
      locks.lock("f", "a", 0, 100, true);
      expect(locks.lock("f", "b", 10, 1, false).ok).toBe(false);
      locks.lock("f", "a", 0, 50, false);
      expect(locks.lock("f", "b", 10, 1, false)).toEqual({ ok: true });
      expect(locks.lock("f", "b", 60, 1, false).ok).toBe(false);
    });

    it("refuses an upgrade that conflicts with another owner and keeps the old lock", () => {
      locks.lock("f", "a", 0, 100, false);
      locks.lock("f", "b", 50, 10, false);
      expect(locks.lock("f", "a", 0, 100, true)).toEqual({
        ok: false,
        conflict: { owner: "b", offset: 50, length: 10, exclusive: false },
      });
      expect(locks.list("f")).toEqual([
        { owner: "a", offset: 0, length: 100, exclusive: false },
        { owner: "b", offset: 50, length: 10, exclusive: false },
      ]);
    });

    it("joins ranges of the same type when a lock covers the gap between them", () => {
      locks.lock("f", "a", 0, 10, true);
      locks.lock("f", "a", 20, 10, true);
      locks.lock("f", "a", 5, 20, true);
      expect(locks.list("f")).toEqual([{ owner: "a", offset: 0, length: 30, exclusive: true }]);
    });
  });

  describe("unlock", () => {
    it("splits a range when unlocking its middle", () => {
      locks.lock("f", "a", 0, 100, true);
      locks.unlock("f", "a", 40, 20);
      expect(locks.list("f")).toEqual([
        { owner: "a", offset: 0, length: 40, exclusive: true },
        { owner: "a", offset: 60, length: 40, exclusive: true },
      ]);
      expect(locks.lock("f", "b", 40, 20, true)).toEqual({ ok: true });
    });

    it("unlocks to the end of file with length 0 and ignores what is not held", () => {
      locks.lock("f", "a", 0, 10, false);
      locks.lock("f", "a", 20, 0, true);
      locks.unlock("f", "a", 5, 0);
      expect(locks.list("f")).toEqual([{ owner: "a", offset: 0, length: 5, exclusive: false }]);
      locks.unlock("f", "b", 0, 0);
      locks.unlock("nope", "a", 0, 0);
      expect(locks.list("f")).toHaveLength(1);
    });

    it("only removes the caller's ranges", () => {
      locks.lock("f", "a", 0, 10, false);
      locks.lock("f", "b", 0, 10, false);
      locks.unlock("f", "a", 0, 10);
      expect(locks.list("f")).toEqual([{ owner: "b", offset: 0, length: 10, exclusive: false }]);
    });
  });

  describe("release", () => {
    it("releases every lock of an owner on every file", () => {
      locks.lock("f", "a", 0, 10, true);
      locks.lock("g", "a", 0, 10, true);
      locks.lock("g", "b", 20, 10, true);
      locks.releaseOwner("a");
      expect(locks.list("f")).toEqual([]);
      expect(locks.list("g")).toEqual([{ owner: "b", offset: 20, length: 10, exclusive: true }]);
      expect(locks.lock("f", "c", 0, 10, true)).toEqual({ ok: true });
      locks.releaseOwner("a");
    });

    it("releases every lock on a file", () => {
      locks.lock("f", "a", 0, 10, true);
      locks.lock("f", "b", 10, 10, true);
      locks.lock("g", "a", 0, 10, true);
      locks.releaseFile("f");
      expect(locks.list("f")).toEqual([]);
      expect(locks.list("g")).toHaveLength(1);
      locks.releaseOwner("b");
      locks.releaseOwner("a");
      expect(locks.list("g")).toEqual([]);
    });

    it("forgets an owner's file once all its ranges there are unlocked", () => {
      locks.lock("f", "a", 0, 10, true);
      locks.unlock("f", "a", 0, 10);
      locks.lock("f", "b", 0, 10, true);
      locks.releaseOwner("a");
      expect(locks.list("f")).toEqual([{ owner: "b", offset: 0, length: 10, exclusive: true }]);
    });
  });

  it("rejects negative or fractional offsets and lengths", () => {
    expect(() => locks.lock("f", "a", -1, 10, true)).toThrow(expect.objectContaining({ code: "Invalid" }));
    expect(() => locks.lock("f", "a", 0, 1.5, true)).toThrow(expect.objectContaining({ code: "Invalid" }));
    expect(() => locks.unlock("f", "a", 0, -3)).toThrow(expect.objectContaining({ code: "Invalid" }));
  });
});
