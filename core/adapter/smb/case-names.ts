import type { FileAttr, FileId, Timespec, WccAttr } from "../../metadata/types.js";
import { LruMap } from "../../util/lru.js";

/** Directories whose folded names are kept. */
const CACHED_DIRECTORIES = 256;
/** A directory with more entries is searched each time rather than cached (bounded memory). */
const MAX_CACHED_ENTRIES = 100_000;

interface FoldedDirectory {
  /** The directory's mtime and ctime when the names were read: any change elsewhere moves them. */
  stamp: string;
  /** Upper-cased name → the name as stored. */
  names: Map<string, string>;
}

/**
 * Windows looks names up without case but keeps the case given (MS-FSA §2.1.5.1.2.1); the stores
 * compare exactly. When an exact lookup misses, this finds the stored spelling of a name: from
 * a per-directory table of folded names, read once and kept while the directory's mtime and
 * ctime stay put. Changes made through SMB update the table in place (so a copy of many files
 * into one directory does not reread it per file); any other change (NFS, another server) moves
 * the times and the table is read again.
 */
export class CaseInsensitiveNames {
  private readonly dirs = new LruMap<string, FoldedDirectory>(CACHED_DIRECTORIES);

  /**
   * The stored name matching `name` without case in directory `dir` (as it is now), or null.
   * `list` reads the whole directory's names.
   */
  async find(key: string, dir: FileAttr, name: string, list: () => Promise<string[]>): Promise<string | null> {
    const stamp = stampOf(dir);
    let folded = this.dirs.get(key);
    if (!folded || folded.stamp !== stamp) {
      const names = await list();
      folded = { stamp, names: new Map(names.map((n) => [fold(n), n])) };
      if (names.length <= MAX_CACHED_ENTRIES) this.dirs.set(key, folded);
    }
    return folded.names.get(fold(name)) ?? null;
  }

  /** A name was added through SMB: the table stays current if it was current before the change. */
  added(key: string, wcc: { before: WccAttr | null; after: FileAttr | null }, name: string): void {
    this.update(key, wcc, (names) => names.set(fold(name), name));
  }

  removed(key: string, wcc: { before: WccAttr | null; after: FileAttr | null }, name: string): void {
    this.update(key, wcc, (names) => names.delete(fold(name)));
  }

  /** A name changed within one directory (one change of its times). */
  renamed(key: string, wcc: { before: WccAttr | null; after: FileAttr | null }, from: string, to: string): void {
    this.update(key, wcc, (names) => {
      names.delete(fold(from));
      names.set(fold(to), to);
    });
  }

  private update(key: string, wcc: { before: WccAttr | null; after: FileAttr | null }, change: (names: Map<string, string>) => void): void {
    const folded = this.dirs.get(key);
    if (!folded) return;
    if (!wcc.before || !wcc.after || folded.stamp !== stampOf(wcc.before)) {
      this.dirs.delete(key);
      return;
    }
    change(folded.names);
    folded.stamp = stampOf(wcc.after);
  }
}

/** The key of a directory in a share. */
export function directoryKey(shareId: number, dirId: FileId): string {
  return `${shareId}:${dirId}`;
}

function time(t: Timespec): string {
  return `${t.sec}.${t.nsec}`;
}

function stampOf(attr: { mtime: Timespec; ctime: Timespec }): string {
  return `${time(attr.mtime)}/${time(attr.ctime)}`;
}

/** Windows compares names upper-cased, character by character (no locale, no normalization). */
function fold(name: string): string {
  return name.toUpperCase();
}
