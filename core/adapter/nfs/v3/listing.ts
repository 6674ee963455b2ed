import type { DirEntry, FileAttr } from "../../../metadata/types.js";
import type { NfsContext, NfsTarget } from "../context.js";

/** One directory entry as READDIR and READDIRPLUS send it: name, wire cookie, attributes. */
export interface ListedEntry {
  name: string;
  cookie: number;
  attr: FileAttr;
}

/**
 * Wire cookies (cookie3, RFC 1813 §3.3.16): 0 starts a listing, 1 follows ".", 2 follows "..",
 * and a store entry with cookie c travels as c + 2. Store cookies never move or get reused, so
 * a cookie stays valid whatever happens to the directory: the cookie verifier is a constant and
 * whatever verifier the client sends back is accepted.
 */
const DOT_COOKIE = 1;
const DOTDOT_COOKIE = 2;
const STORE_COOKIE_BASE = 2;

/** cookieverf3 sent with every listing. */
export const COOKIE_VERIFIER = Buffer.alloc(8);

/**
 * The entries of a directory after a wire cookie, fetched from the metadata service one page
 * at a time (pages of `batch` entries) as the caller consumes them.
 */
export class DirListing {
  private entries: DirEntry[];
  private index = 0;
  private storeEof: boolean;
  private pendingDot: boolean;
  private pendingDotDot: boolean;

  private constructor(
    private readonly ctx: NfsContext,
    private readonly target: NfsTarget,
    private readonly batch: number,
    /** The directory's attributes as the first page found them. */
    readonly dir: FileAttr,
    first: { entries: DirEntry[]; eof: boolean },
    cookie: number,
  ) {
    this.entries = first.entries;
    this.storeEof = first.eof;
    this.pendingDot = cookie < DOT_COOKIE;
    this.pendingDotDot = cookie < DOTDOT_COOKIE;
  }

  /** Opens the listing after `cookie` (Infinity, a cookie beyond 2^53, lists nothing). */
  static async open(ctx: NfsContext, target: NfsTarget, cookie: number, batch: number): Promise<DirListing> {
    const afterCookie = Math.min(Math.max(cookie - STORE_COOKIE_BASE, 0), Number.MAX_SAFE_INTEGER);
    const { dir, page } = await ctx.metadata.readDir(target.auth, target.share.name, target.fileId, afterCookie, batch);
    return new DirListing(ctx, target, batch, dir, page, cookie);
  }

  /** The next entry, or null once the directory is exhausted. */
  async next(): Promise<ListedEntry | null> {
    if (this.pendingDot) {
      this.pendingDot = false;
      return { name: ".", cookie: DOT_COOKIE, attr: this.dir };
    }
    if (this.pendingDotDot) {
      this.pendingDotDot = false;
      const { share, fileId, auth } = this.target;
      const parent = await this.ctx.metadata.listingParent(auth, share.name, fileId);
      return { name: "..", cookie: DOTDOT_COOKIE, attr: parent };
    }
    if (this.index >= this.entries.length) {
      if (this.storeEof || this.entries.length === 0) return null;
      const last = this.entries[this.entries.length - 1]!.cookie;
      const { share, fileId, auth } = this.target;
      const { page } = await this.ctx.metadata.readDir(auth, share.name, fileId, last, this.batch);
      this.entries = page.entries;
      this.storeEof = page.eof;
      this.index = 0;
      if (this.entries.length === 0) return null;
    }
    const entry = this.entries[this.index++]!;
    return { name: entry.name, cookie: entry.cookie + STORE_COOKIE_BASE, attr: entry.attr };
  }
}

/** Store entries to fetch per page for a reply of `bytes` when an entry takes about `perEntry`. */
export function batchFor(bytes: number, perEntry: number): number {
  return Math.min(1024, Math.max(16, Math.ceil(bytes / perEntry)));
}
