import { createHash } from "node:crypto";
import type { LocalFiles } from "../../../../util/local-files.js";
import type { Range } from "../../../../cache/extent-list.js";
import type { UploadSource } from "./backend.js";

/** Local bytes of a file are kept in segment files of this size, so that parts can be evicted. */
export const SEGMENT_SIZE = 64 * 2 ** 20;

/**
 * The disk cache's local copy of file content, cut into segment files (`<id>_<n>` in
 * LocalFiles): a clean segment of a file that is still being written can be dropped to
 * make room, which one big file per id would not allow. Callers say which ranges hold valid
 * bytes; a range never written reads as zeros.
 */
export class Segments {
  /**
   * `beforeDropping` runs before any local bytes are deleted or cut: the journal settles its
   * removals, so that no row a crash could bring back names bytes that are gone.
   */
  constructor(
    private readonly files: LocalFiles,
    private readonly beforeDropping: () => Promise<void>,
  ) {}

  async write(id: string, offset: number, data: Buffer): Promise<void> {
    for (const piece of pieces(offset, data.length)) {
      await this.files.write(segmentId(id, piece.segment), piece.offset, data.subarray(piece.at, piece.at + piece.length));
    }
  }

  /** Reads [offset, offset + into.length) into `into`; bytes the segment files lack are zeros. */
  async read(id: string, offset: number, into: Buffer): Promise<void> {
    for (const piece of pieces(offset, into.length)) {
      const target = into.subarray(piece.at, piece.at + piece.length);
      const got = await this.files.read(segmentId(id, piece.segment), piece.offset, piece.length, target);
      if (got.length < piece.length) target.fill(0, got.length);
    }
  }

  /** Cuts the content to `size`: later segments go, the one holding `size` is shortened. */
  async truncate(id: string, size: number, oldSize: number): Promise<void> {
    await this.beforeDropping();
    const keep = Math.ceil(size / SEGMENT_SIZE);
    for (let n = keep; n < Math.ceil(oldSize / SEGMENT_SIZE); n++) await this.files.delete(segmentId(id, n));
    if (size % SEGMENT_SIZE !== 0) await this.files.truncate(segmentId(id, keep - 1), size % SEGMENT_SIZE);
  }

  /** Makes the segments holding `ranges` durable. */
  async sync(id: string, ranges: readonly Range[]): Promise<void> {
    const segments = new Set<number>();
    for (const range of ranges) {
      for (let n = Math.floor(range.start / SEGMENT_SIZE); n * SEGMENT_SIZE < range.end; n++) segments.add(n);
    }
    for (const n of segments) await this.files.sync(segmentId(id, n));
  }

  async drop(id: string, segment: number): Promise<void> {
    await this.beforeDropping();
    await this.files.delete(segmentId(id, segment));
  }

  /** Deletes every segment of a file that is (or was) `size` bytes long. */
  async dropAll(id: string, size: number): Promise<void> {
    await this.beforeDropping();
    for (let n = 0; n < Math.ceil(size / SEGMENT_SIZE); n++) await this.files.delete(segmentId(id, n));
  }

  /** Upload sources for [start, end) of the local copy, one per segment it spans. */
  sources(id: string, start: number, end: number): UploadSource[] {
    return pieces(start, end - start).map((piece) => ({
      kind: "file",
      path: this.files.filePath(segmentId(id, piece.segment)),
      offset: piece.offset,
      length: piece.length,
    }));
  }

  close(): Promise<void> {
    return this.files.close();
  }
}

/** Content ids up to this length name their segments directly; longer ones by a hash. */
const DIRECT_ID_MAX = 100;

/** The stem of `id`'s segment file names: the id itself, or a hash that leaves room for the suffix. */
export function segmentStem(id: string): string {
  return id.length <= DIRECT_ID_MAX ? id : `h${createHash("sha256").update(id).digest("hex")}`;
}

function segmentId(id: string, segment: number): string {
  return `${segmentStem(id)}_${segment}`;
}

/** The stem a segment file name belongs to, lower-cased (file names are case-folded). */
export function stemOfSegmentFile(name: string): string | null {
  const cut = name.lastIndexOf("_");
  return cut > 0 ? name.slice(0, cut).toLowerCase() : null;
}

interface Piece {
  segment: number;
  /** Offset inside the segment. */
  offset: number;
  length: number;
  /** Offset inside the caller's buffer. */
  at: number;
}

function pieces(offset: number, length: number): Piece[] {
  const result: Piece[] = [];
  let at = 0;
  while (at < length) {
    const position = offset + at;
    const segment = Math.floor(position / SEGMENT_SIZE);
    const inSegment = position - segment * SEGMENT_SIZE;
    const take = Math.min(length - at, SEGMENT_SIZE - inSegment);
    result.push({ segment, offset: inSegment, length: take, at });
    at += take;
  }
  return result;
}
