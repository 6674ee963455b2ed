import { fsError } from "../errors.js";
import type { FileId } from "./types.js";

/**
 * A byte-range lock as callers see it. `length` 0 means "from `offset` to the end of the file,
 * however far it grows" (NLM and fcntl semantics).
 */
export interface ByteRangeLock {
  owner: string;
  offset: number;
  length: number;
  exclusive: boolean;
}

export type LockResult = { ok: true } | { ok: false; conflict: ByteRangeLock };

/** A held range in half-open form [start, end); `end` is Infinity for "to end of file". */
interface HeldRange {
  owner: string;
  start: number;
  end: number;
  exclusive: boolean;
}

/**
 * Byte-range locks of one share, for SMB and NLM. Shared locks coexist with each other;
 * an exclusive lock conflicts with any lock of another owner on an overlapping range.
 *
 * One owner's own locks follow POSIX (fcntl) rules: they never conflict with each other, a new
 * lock replaces the type of whatever part of the owner's ranges it covers (splitting them as
 * needed), and touching or overlapping ranges of the same type merge into one.
 */
export class LockManager {
  /** Per file, held ranges sorted by start. */
  private readonly files = new Map<FileId, HeldRange[]>();
  /** Per owner, the files it holds locks on, so that releasing an owner does not scan every file. */
  private readonly filesByOwner = new Map<string, Set<FileId>>();

  lock(fileId: FileId, owner: string, offset: number, length: number, exclusive: boolean): LockResult {
    const [start, end] = toRange(offset, length);
    const held = this.files.get(fileId) ?? [];
    const conflict = findConflict(held, owner, start, end, exclusive);
    if (conflict) return { ok: false, conflict: toPublic(conflict) };

    const next = subtract(held, owner, start, end);
    next.push({ owner, start, end, exclusive });
    this.files.set(fileId, mergeOwnerRanges(next, owner));
    this.noteOwner(owner, fileId);
    return { ok: true };
  }

  /** Releases the owner's locks over [offset, offset + length); unlocking what is not held is fine. */
  unlock(fileId: FileId, owner: string, offset: number, length: number): void {
    const [start, end] = toRange(offset, length);
    const held = this.files.get(fileId);
    if (!held) return;
    this.store(fileId, subtract(held, owner, start, end));
    if (!this.files.get(fileId)?.some((r) => r.owner === owner)) this.forgetOwner(owner, fileId);
  }

  /** The conflict `lock` would report, without taking anything. */
  test(fileId: FileId, owner: string, offset: number, length: number, exclusive: boolean): LockResult {
    const [start, end] = toRange(offset, length);
    const conflict = findConflict(this.files.get(fileId) ?? [], owner, start, end, exclusive);
    return conflict ? { ok: false, conflict: toPublic(conflict) } : { ok: true };
  }

  /** Drops every lock of an owner (a client went away, an SMB session closed). */
  releaseOwner(owner: string): void {
    const fileIds = this.filesByOwner.get(owner);
    if (!fileIds) return;
    for (const fileId of fileIds) {
      const held = this.files.get(fileId);
      if (held) this.store(fileId, held.filter((r) => r.owner !== owner));
    }
    this.filesByOwner.delete(owner);
  }

  /** Drops every lock on a file (the file was deleted). */
  releaseFile(fileId: FileId): void {
    const held = this.files.get(fileId);
    if (!held) return;
    for (const r of held) this.forgetOwner(r.owner, fileId);
    this.files.delete(fileId);
  }

  /** The locks held on a file, by start offset. */
  list(fileId: FileId): ByteRangeLock[] {
    return (this.files.get(fileId) ?? []).map(toPublic);
  }

  private store(fileId: FileId, ranges: HeldRange[]): void {
    if (ranges.length === 0) this.files.delete(fileId);
    else this.files.set(fileId, ranges);
  }

  private noteOwner(owner: string, fileId: FileId): void {
    let set = this.filesByOwner.get(owner);
    if (!set) this.filesByOwner.set(owner, (set = new Set()));
    set.add(fileId);
  }

  private forgetOwner(owner: string, fileId: FileId): void {
    const set = this.filesByOwner.get(owner);
    if (!set) return;
    set.delete(fileId);
    if (set.size === 0) this.filesByOwner.delete(owner);
  }
}

function toRange(offset: number, length: number): [number, number] {
  if (!Number.isSafeInteger(offset) || offset < 0) throw fsError("Invalid", `bad lock offset ${offset}`);
  if (!Number.isSafeInteger(length) || length < 0) throw fsError("Invalid", `bad lock length ${length}`);
  return [offset, length === 0 ? Infinity : offset + length];
}

function toPublic(r: HeldRange): ByteRangeLock {
  return { owner: r.owner, offset: r.start, length: r.end === Infinity ? 0 : r.end - r.start, exclusive: r.exclusive };
}

function findConflict(held: HeldRange[], owner: string, start: number, end: number, exclusive: boolean): HeldRange | undefined {
  return held.find((r) => r.owner !== owner && (exclusive || r.exclusive) && r.start < end && start < r.end);
}

/** The ranges with [start, end) cut out of the owner's ones (other owners' ranges untouched). */
function subtract(held: HeldRange[], owner: string, start: number, end: number): HeldRange[] {
  const out: HeldRange[] = [];
  for (const r of held) {
    if (r.owner !== owner || r.end <= start || end <= r.start) {
      out.push(r);
      continue;
    }
    if (r.start < start) out.push({ ...r, end: start });
    if (end < r.end) out.push({ ...r, start: end });
  }
  return out;
}

/** Sorts by start and merges the owner's touching or overlapping ranges of the same type. */
function mergeOwnerRanges(ranges: HeldRange[], owner: string): HeldRange[] {
  ranges.sort((a, b) => a.start - b.start);
  const out: HeldRange[] = [];
  let last: HeldRange | undefined;
  for (const r of ranges) {
    if (r.owner === owner && last && last.exclusive === r.exclusive && r.start <= last.end) {
      last.end = Math.max(last.end, r.end);
      continue;
    }
    const copy = { ...r };
    out.push(copy);
    if (r.owner === owner) last = copy;
  }
  return out;
}
