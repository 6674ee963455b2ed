import { createHash } from "node:crypto";
import { isRemoteError, type ListedObject, type ListPage, type ObjectBackend } from "./cache/backend.js";
import type { RemoteCache } from "./cache/disk-cache.js";
import { fsError, isFsError } from "../../../errors.js";
import { checkUnlinkable, type Created, type MetadataStore, type NewEntry, type Removed, type StoreCapabilities, type UnlinkOnly } from "../../../metadata/store.js";
import type { AttrChanges, DirPage, FileAttr, FileId, NewNode, StoreUsage, Timespec, Unlinked } from "../../../metadata/types.js";
import { timespecNow } from "../../../metadata/types.js";
import { BackgroundQueue } from "../../../util/background-queue.js";
import type { Logger } from "../../../util/logger.js";
import { newContentId } from "../../store.js";
import type { BucketIndex, IndexedNode } from "./bucket-index.js";

/** Index rows a listing page adds or changes, the nodes it saw unchanged, and the files whose object metadata is still to fetch. */
interface PageRecord {
  rows: Array<Omit<IndexedNode, "listedAt" | "described">>;
  seen: FileId[];
  undescribed: string[];
}

/** One name of a listing page: an object (a file) or a common prefix (a directory). */
interface ListedName {
  name: string;
  /** The file's object key, or the directory's prefix (ending in "/"). */
  key: string;
  /** The object; null for a directory. */
  object: ListedObject | null;
}

/** What the namespace needs of the S3 store it sits on. */
export interface BucketParts {
  index: BucketIndex;
  cache: RemoteCache;
  backend: ObjectBackend;
  /**
   * Content kept on this computer only (litter names): such files have index rows (a key, so
   * that renames and listings treat them like any file) but never an object, so nothing here
   * uploads, moves or describes them, and a listing never sweeps them (no object is theirs).
   */
  local: { has(contentId: string): boolean };
}

export interface BucketNamespaceOptions {
  /** Owner of objects that carry none (every object the bucket had before). */
  uid: number;
  gid: number;
  /**
   * A directory listed longer ago than this is listed again in the background when it is used;
   * meanwhile the cached listing is served.
   */
  listTtlMs: number;
  logger: Logger;
}

const FILE_MODE = 0o644;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const DIR_MODE = 0o755;
/** S3 keys are at most 1024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;
const MAX_NAME_BYTES = 255;
const LIST_PAGE = 1000;
const SWEEP_PAGE = 500;
/** A listing that failed (S3 unreachable) is tried again after this long. */
const LIST_RETRY_MS = 5_000;
/** Background work backs off from this pause to the maximum while S3 keeps failing. */
const BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 60_000;
/** Directories listed again in the background at once, and waiting their turn. */
const REFRESHES = 2;
const MAX_QUEUED_REFRESHES = 1_000;
/** HEADs of listed objects (for their mode, owner and mtime) at once, and waiting their turn. */
const HEADS = 4;
const MAX_QUEUED_HEADS = 10_000;

/**
 * The `bucket` layout's view of a share: a MetadataStore whose tree is the bucket. Objects are
 * files, common prefixes and `dir/` markers are directories. The wrapped store (SQLite by
 * default) is the listing cache: a directory is listed page by page into it when it is first
 * used (the request waits), and again in the background once `listTtlMs` old (the request is
 * answered from the cache meanwhile); everything else is answered from it. After a listing, the
 * metadata of objects other tools wrote (rclone's and s3fs's mtime, mode, owner) is fetched in the
 * background too, so attributes converge without anyone opening the files. Local changes
 * go to the bucket: mkdir writes a marker, a file's bytes go up through the disk cache, rename
 * re-keys the subtree at once and the objects follow in the background (copied, then the old
 * key deleted), and a remove deletes the object.
 */
export class BucketNamespace implements MetadataStore {
  readonly kind: string;
  /** Objects are files and prefixes directories: nothing else has a place in a bucket. */
  readonly capabilities: Readonly<StoreCapabilities> = { hardLinks: false, symlinks: false, specialFiles: false };
  private rootId: FileId | null = null;
  /** Listings in progress, by directory, so concurrent users share one. */
  private readonly listing = new Map<FileId, Promise<void>>();
  /** Keys already warned about, so a bad key is reported once. */
  private readonly warned = new Set<string>();
  /** Directories whose listing on demand failed, and when to try it again (ms since the epoch). */
  private readonly retryAt = new Map<FileId, number>();
  /** A listing on demand failed and none has worked since: further failures are not logged. */
  private listingFails = false;
  private readonly refreshes: BackgroundQueue<FileId>;
  private readonly heads: BackgroundQueue<string>;
  private closed = false;

  constructor(
    private readonly inner: MetadataStore,
    private readonly bucket: BucketParts,
    private readonly options: BucketNamespaceOptions,
  ) {
    this.kind = `${inner.kind} (listing cache of an S3 bucket)`;
    const common = { backoffMs: BACKOFF_MS, maxBackoffMs: MAX_BACKOFF_MS, logger: options.logger };
    this.refreshes = new BackgroundQueue({
      ...common,
      what: "refreshing a listing of the bucket",
      concurrency: REFRESHES,
      maxQueued: MAX_QUEUED_REFRESHES,
      run: (dirId) => this.refreshInBackground(dirId),
    });
    this.heads = new BackgroundQueue({
      ...common,
      what: "fetching the metadata of listed objects",
      concurrency: HEADS,
      maxQueued: MAX_QUEUED_HEADS,
      run: (contentId) => this.describeInBackground(contentId),
    });
  }

  async getOrCreateRoot(shareName: string, init: NewNode): Promise<FileAttr> {
    const root = await this.inner.getOrCreateRoot(shareName, init);
    this.bucket.index.bindRoot(root.id, "");
    this.rootId = root.id;
    return root;
  }

  get(id: FileId): Promise<FileAttr> {
    return this.inner.get(id);
  }

  async lookup(dirId: FileId, name: string): Promise<FileAttr> {
    await this.fresh(dirId);
    return this.inner.lookup(dirId, name);
  }

  async lookupIn(dirId: FileId, name: string): Promise<{ dir: FileAttr; entry: FileAttr | null }> {
    await this.fresh(dirId);
    return this.inner.lookupIn(dirId, name);
  }

  async readDir(dirId: FileId, afterCookie: number, limit: number): Promise<DirPage> {
    if (afterCookie === 0) await this.fresh(dirId);
    return this.inner.readDir(dirId, afterCookie, limit);
  }

  parentOf(dirId: FileId): Promise<FileAttr> {
    return this.inner.parentOf(dirId);
  }

  readLink(id: FileId): Promise<string> {
    return this.inner.readLink(id);
  }

  usage(): Promise<StoreUsage> {
    return this.inner.usage();
  }

  sync(): Promise<void> {
    return this.inner.sync();
  }

  secret(name: string): Promise<Buffer> {
    return this.inner.secret(name);
  }

  async create(dirId: FileId, name: string, node: NewNode, now: Timespec): Promise<Created> {
    await this.fresh(dirId);
    const dir = this.indexed(dirId);
    if (node.type === "dir") {
      const key = checkedKey(`${dir.key}${name}/`);
      // A marker for a name that is taken would make a file look like a directory too.
      await this.inner.lookup(dirId, name).then(
        () => {
          throw fsError("Exists", `${name} exists`);
        },
        (err: unknown) => {
          if (!isFsError(err, "NotFound")) throw err;
        },
      );
      const created = await this.inner.create(dirId, name, node, now);
      this.putMarker(key);
      this.bucket.index.put({ nodeId: created.attr.id, contentId: null, key, remoteKey: key, etag: null, seen: this.bucket.index.generation() });
      this.bucket.index.setListed(created.attr.id, Date.now());
      return created;
    }
    if (node.type !== "file" || node.contentId === null) {
      throw fsError("NotSupported", `an S3 bucket cannot hold a ${node.type}; only files and directories`);
    }
    const key = checkedKey(`${dir.key}${name}`);
    const created = await this.inner.create(dirId, name, node, now);
    // Seen by the listing that may be running now, which must not sweep it away.
    this.bucket.index.put({ nodeId: created.attr.id, contentId: node.contentId, key, remoteKey: null, etag: null, seen: this.bucket.index.generation() });
    // An empty file is an empty object: it gets one even if nothing is ever written.
    if (!this.bucket.local.has(node.contentId)) this.bucket.cache.track(node.contentId);
    return created;
  }

  /**
   * Only the listing creates in bulk, and it does so in the wrapped store: a batch made here
   * would need a key check, a marker upload per directory and an index row per name, which is
   * `create` called for each.
   */
  createMany(_dirId: FileId, _entries: readonly NewEntry[], _now: Timespec): Promise<Array<FileAttr | null>> {
    return Promise.reject(fsError("NotSupported", "creating many names at once is not supported in an S3 bucket; create them one by one"));
  }

  link(): Promise<FileAttr> {
    return Promise.reject(fsError("NotSupported", "an S3 bucket cannot hold hard links"));
  }

  async unlink(dirId: FileId, name: string, now: Timespec, only?: UnlinkOnly): Promise<Removed> {
    await this.fresh(dirId);
    const target = await this.inner.lookup(dirId, name);
    checkUnlinkable(target.type, only, name);
    // Objects not listed yet would make a "removed" directory reappear.
    if (target.type === "dir") await this.fresh(target.id);
    const unlinked = await this.inner.unlink(dirId, name, now, only);
    if (target.type === "dir") this.forgetDir(target.id);
    // A file's object goes with its content (ContentStore.delete), which the caller asks for.
    return unlinked;
  }

  async rename(
    fromDirId: FileId,
    fromName: string,
    toDirId: FileId,
    toName: string,
    now: Timespec,
  ): Promise<{ moved: FileAttr; replaced: Unlinked | null }> {
    await this.fresh(fromDirId);
    if (toDirId !== fromDirId) await this.fresh(toDirId);
    const moving = await this.inner.lookup(fromDirId, fromName);
    const from = this.indexed(moving.id);
    const toDir = this.indexed(toDirId);
    const isDir = moving.type === "dir";
    const newKey = checkedKey(`${toDir.key}${toName}${isDir ? "/" : ""}`);
    if (isDir) {
      // Every key under the directory must be known here before it can be re-keyed, and fit S3.
      await this.listTree(moving.id);
      const longest = this.bucket.index.longestKeyUnder(from.key);
      if (longest - Buffer.byteLength(from.key) + Buffer.byteLength(newKey) > MAX_KEY_BYTES) {
        throw fsError("NameTooLong", `renaming ${from.key} to ${newKey} would make an object key longer than ${MAX_KEY_BYTES} bytes`);
      }
    }
    const result = await this.inner.rename(fromDirId, fromName, toDirId, toName, now);
    // The new name shows in the bucket at once, even before any object has moved under it.
    if (isDir && from.key !== newKey) this.putMarker(newKey);
    if (result.replaced?.node.type === "dir") this.forgetDir(result.replaced.node.id);
    if (from.key === newKey) return result;
    if (isDir) {
      this.bucket.index.rekeyTree(from.key, newKey);
      for (const node of this.bucket.index.under(newKey)) {
        if (node.contentId !== null) {
          // The object moves in the background; its old key stays readable until the copy is done.
          if (!this.bucket.local.has(node.contentId)) this.bucket.cache.reconcile(node.contentId);
        } else if (node.remoteKey !== null && node.remoteKey !== node.key) {
          if (node.nodeId !== moving.id) this.putMarker(node.key);
          await this.deleteMarker(node.remoteKey);
          this.bucket.index.setRemote(node.nodeId, node.key);
        }
      }
      this.bucket.index.setRemote(moving.id, newKey);
    } else {
      this.bucket.index.setKey(moving.id, newKey);
      if (from.contentId !== null && !this.bucket.local.has(from.contentId)) this.bucket.cache.reconcile(from.contentId);
    }
    return result;
  }

  async setAttr(id: FileId, changes: AttrChanges): Promise<FileAttr> {
    const attr = await this.inner.setAttr(id, changes);
    // Mode, owner and mtime live in the object's metadata: they go with the next upload, or alone.
    const carried = changes.mode !== undefined || changes.uid !== undefined || changes.gid !== undefined || changes.mtime !== undefined;
    if (carried && attr.contentId !== null && !this.bucket.local.has(attr.contentId)) this.bucket.cache.metadataChanged(attr.contentId);
    return attr;
  }

  /** Stops the background work (before the stores it uses close); what is running ends quietly. */
  close(): Promise<void> {
    this.closed = true;
    this.refreshes.close();
    this.heads.close();
    // The wrapped store belongs to the registry, which closes it.
    return Promise.resolve();
  }

  /**
   * What an object's metadata says of its file (rclone's and s3fs's `mtime`, s3fs's `mode`,
   * `uid`, `gid`, which DittoFS writes too), seen when the object is first used: it replaces the
   * listing's defaults unless the file has local changes, which are newer. Done in the
   * background: a failure only leaves the defaults.
   */
  takeObjectMetadata(contentId: string, object: { etag: string; metadata: Record<string, string> }): void {
    const node = this.bucket.index.byContent(contentId);
    if (!node || node.etag !== object.etag || node.described === object.etag) return;
    this.adoptMetadata(node, object).catch((err: unknown) => this.options.logger.debug({ err, contentId }, "could not take an object's metadata"));
  }

  /** Lists a directory again now, whatever its age (on demand); FsError("Io") when S3 cannot be listed. */
  async refresh(dirId: FileId): Promise<void> {
    const dir = this.bucket.index.byNode(dirId);
    if (!dir || dir.contentId !== null) return;
    // A listing already running may have fetched its pages before the caller's change.
    await this.listing.get(dirId)?.catch(() => {});
    await this.listOnce(dirId, dir.key);
  }

  // ---- listing ----

  /**
   * Makes sure the directory has been listed. A directory never listed is listed now (the caller
   * waits); one listed longer ago than the TTL is listed again in the background, the cached
   * listing serving meanwhile, unless the caller must `wait` for the bucket's current state. A
   * failed listing leaves the cached one and is tried again after a pause.
   */
  private async fresh(dirId: FileId, { wait } = { wait: false }): Promise<void> {
    const dir = this.bucket.index.byNode(dirId);
    if (!dir || dir.contentId !== null || Date.now() - dir.listedAt < this.options.listTtlMs) return;
    if (dir.listedAt > 0 && !wait) {
      this.refreshes.add(dirId);
      return;
    }
    // Each try while S3 is down may wait for a connect timeout: not at every use.
    if ((this.retryAt.get(dirId) ?? 0) > Date.now()) return;
    try {
      await this.listOnce(dirId, dir.key);
      this.retryAt.delete(dirId);
    } catch (err) {
      if (isFsError(err) && err.code !== "Io") throw err;
      this.retryAt.set(dirId, Date.now() + LIST_RETRY_MS);
      // Offline: what was listed before is still served (the store's status says why).
      if (!this.listingFails) this.options.logger.warn({ err: (err as Error).message, prefix: dir.key }, "listing the bucket failed; serving the cached listing");
      this.listingFails = true;
    }
  }

  /** Lists a directory, or joins the listing of it already running. */
  private listOnce(dirId: FileId, prefix: string): Promise<void> {
    let running = this.listing.get(dirId);
    if (!running) {
      running = this.list(dirId, prefix).finally(() => this.listing.delete(dirId));
      this.listing.set(dirId, running);
    }
    return running;
  }

  /**
   * A background refresh: a failure to reach S3 is thrown (the queue backs off and tries again);
   * anything else (the directory went meanwhile) ends it.
   */
  private async refreshInBackground(dirId: FileId): Promise<void> {
    const dir = this.bucket.index.byNode(dirId);
    if (this.closed || !dir || Date.now() - dir.listedAt < this.options.listTtlMs) return;
    try {
      await this.listOnce(dirId, dir.key);
    } catch (err) {
      if (this.closed) return;
      if (isFsError(err, "Io")) throw err;
      this.options.logger.debug({ err, prefix: dir.key }, "a background listing ended early");
    }
  }

  /**
   * Fetches the metadata of a listed object (HEAD) that its node has not taken yet. A failure to
   * reach S3 is thrown (the queue backs off and tries again); an object changed or gone
   * meanwhile is left to the next listing.
   */
  private async describeInBackground(contentId: string): Promise<void> {
    const node = this.bucket.index.byContent(contentId);
    if (this.closed || !node || node.remoteKey === null || node.etag === null || node.described === node.etag) return;
    let object;
    try {
      object = await this.bucket.backend.head(node.remoteKey);
    } catch (err) {
      if (isRemoteError(err) && err.retryable) throw err;
      this.options.logger.debug({ err, key: node.remoteKey }, "could not fetch an object's metadata");
      return;
    }
    // Gone, rewritten or moved meanwhile: the next listing says what it is now.
    const now = this.bucket.index.byContent(contentId);
    if (this.closed || !object || !now || now.etag !== object.etag || now.remoteKey !== node.remoteKey) return;
    await this.adoptMetadata(now, object);
  }

  /**
   * Takes an object's metadata into its node, unless the file has local changes not uploaded yet
   * (a mode, owner or mtime set locally is pending until the object carries it, which changes
   * its ETag).
   */
  private async adoptMetadata(node: IndexedNode, object: { etag: string; metadata: Record<string, string> }): Promise<void> {
    if (node.contentId === null || this.bucket.cache.pending(node.contentId)) return;
    const changes = attrsFromMetadata(object.metadata);
    const attr = await this.inner.get(node.nodeId);
    const differs =
      (changes.mode !== undefined && changes.mode !== attr.mode) ||
      (changes.uid !== undefined && changes.uid !== attr.uid) ||
      (changes.gid !== undefined && changes.gid !== attr.gid) ||
      (changes.mtime !== undefined && (changes.mtime.sec !== attr.mtime.sec || changes.mtime.nsec !== attr.mtime.nsec));
    if (differs) await this.inner.setAttr(node.nodeId, changes);
    this.bucket.index.setDescribed(node.nodeId, object.etag);
  }

  /** One directory level, page by page (the next page is fetched while this one is stored). */
  private async list(dirId: FileId, prefix: string): Promise<void> {
    const started = performance.now();
    let objects = 0;
    let waited = 0;
    const generation = this.bucket.index.nextGeneration();
    // Keys renamed files are moving away from (once per listing: a scan of the index).
    const leaving = new Set(this.bucket.index.moving().map((node) => node.remoteKey));
    // A directory listed for the first time has nothing to compare with or sweep: every object is new.
    const empty = (await this.inner.readDir(dirId, 0, 1)).entries.length === 0;
    const fetch = (continuation: string | null): Promise<ListPage> =>
      this.bucket.backend.list(prefix, { delimiter: "/", continuation, maxKeys: LIST_PAGE }).catch((err: unknown) => {
        throw fsError("Io", `listing ${prefix || "the bucket root"} failed: ${(err as Error).message}`, err);
      });
    let next: Promise<ListPage> | null = fetch(null);
    while (next) {
      const waitStarted = performance.now();
      const page: ListPage = await next;
      if (this.closed) throw fsError("Io", "the share is closing");
      waited += performance.now() - waitStarted;
      objects += page.objects.length + page.prefixes.length;
      next = page.next ? fetch(page.next) : null;
      // Settle an unawaited prefetch failure here rather than as an unhandled rejection.
      next?.catch(() => {});
      // The directory's own marker object ("prefix/" itself).
      if (page.objects.some((object) => object.key === prefix)) this.bucket.index.setRemote(dirId, prefix);
      await this.storePage(dirId, this.namesOf(prefix, page, leaving), generation, empty);
    }
    if (!empty) await this.sweep(dirId, generation);
    this.bucket.index.setListed(dirId, Date.now());
    this.listingFails = false;
    const ms = Math.round(performance.now() - started);
    this.options.logger.debug({ prefix, objects, ms, waitedForS3Ms: Math.round(waited) }, "listed a directory of the bucket");
  }

  /**
   * The usable names of a page: objects first, so that of "a" and "a/" the file gets the name.
   * An object a renamed file is moving away from is not a file of its own.
   */
  private namesOf(prefix: string, page: ListPage, leaving: ReadonlySet<string | null>): ListedName[] {
    const names: ListedName[] = [];
    for (const object of page.objects) {
      const name = object.key.slice(prefix.length);
      if (name !== "" && !leaving.has(object.key) && this.usableName(name, object.key)) names.push({ name, key: object.key, object });
    }
    for (const common of page.prefixes) {
      const name = common.slice(prefix.length, -1);
      if (this.usableName(name, common)) names.push({ name, key: common, object: null });
    }
    return names;
  }

  /**
   * Stores one page: names the directory does not have yet are created together (one
   * createMany: one transaction and one fsync for the page, not one per object), names it has
   * are compared with the bucket. The page's index rows are then written in one transaction too.
   */
  private async storePage(dirId: FileId, names: ListedName[], generation: number, empty: boolean): Promise<void> {
    const record: PageRecord = { rows: [], seen: [], undescribed: [] };
    const now = timespecNow();
    let fresh: ListedName[] = [];
    for (const listed of names) {
      const existing = empty ? null : await this.lookupOrNull(dirId, listed.name);
      if (existing) await this.compare(listed, existing, generation, now, record);
      else fresh.push(listed);
    }
    // Looked at now, after every wait: a file removed or renamed while the page was on its way
    // left its object behind for a delete or a move, and must not come back as a file of its own.
    // Its key is owed a delete, or still held in the index (the removal's delete is not queued
    // yet, or the move has not landed).
    const deleting = this.bucket.cache.keysBeingDeleted();
    fresh = fresh.filter((listed) => listed.object === null || (!deleting.has(listed.key) && this.bucket.index.holding(listed.key).length === 0));
    if (fresh.length > 0) {
      const entries: NewEntry[] = fresh.map((listed) => ({ name: listed.name, node: this.nodeOf(listed, now) }));
      const created = await this.inner.createMany(dirId, entries, now);
      for (const [i, listed] of fresh.entries()) {
        const attr = created[i];
        if (attr) {
          record.rows.push({ nodeId: attr.id, contentId: attr.contentId, key: listed.key, remoteKey: listed.object ? listed.key : null, etag: listed.object?.etag ?? null, seen: generation });
          if (attr.contentId !== null) record.undescribed.push(attr.contentId);
          continue;
        }
        // Taken: created locally while the directory was being listed, or "a" came both as an
        // object and as the prefix "a/". Compare with what has the name instead.
        const existing = await this.lookupOrNull(dirId, listed.name);
        // Gone again already: the next listing brings it back.
        if (existing) await this.compare(listed, existing, generation, now, record);
      }
    }
    this.bucket.index.recordPage(record.rows, record.seen, generation);
    // A full queue drops the rest: the next listing offers them again.
    for (const contentId of record.undescribed) if (!this.heads.add(contentId)) break;
  }

  /** The node a listed name starts as: a file with the object's size and time, or a directory. */
  private nodeOf(listed: ListedName, now: Timespec): NewNode {
    const { uid, gid } = this.options;
    const rdev = { major: 0, minor: 0 };
    if (listed.object === null) {
      return { type: "dir", mode: DIR_MODE, uid, gid, size: 4096, atime: now, mtime: now, ctime: now, contentId: null, rdev };
    }
    const { size, lastModified } = listed.object;
    const mtime = timespecOf(lastModified);
    return { type: "file", mode: FILE_MODE, uid, gid, size, atime: mtime, mtime, ctime: mtime, contentId: newContentId(), rdev };
  }

  /** A listed name the directory already has: notes it as seen, or takes the bucket's changes. */
  private async compare(listed: ListedName, existing: FileAttr, generation: number, now: Timespec, page: PageRecord): Promise<void> {
    if (listed.object) return this.compareFile(listed.object, existing, generation, now, page);
    if (existing.type !== "dir") {
      this.warnOnce(listed.key, `skipping the objects under ${listed.key}: a file has the name of that directory`);
    } else if (this.bucket.index.byNode(existing.id)) {
      page.seen.push(existing.id);
    } else {
      page.rows.push({ nodeId: existing.id, contentId: null, key: listed.key, remoteKey: null, etag: null, seen: generation });
    }
  }

  private async compareFile(object: ListedObject, existing: FileAttr, generation: number, now: Timespec, page: PageRecord): Promise<void> {
    if (existing.type !== "file" || existing.contentId === null) {
      this.warnOnce(object.key, `skipping object ${object.key}: a directory has its name`);
      return;
    }
    // A file kept here under a litter name stays ours; an object with its name is left alone.
    if (this.bucket.local.has(existing.contentId)) return;
    const indexed = this.bucket.index.byNode(existing.id);
    if (indexed?.etag !== object.etag && !this.bucket.cache.pending(existing.contentId)) {
      // Changed by someone else: the listing's size and time win, cached bytes are dropped.
      await this.inner.setAttr(existing.id, { size: object.size, mtime: timespecOf(object.lastModified), ctime: now });
      page.rows.push({ nodeId: existing.id, contentId: existing.contentId, key: object.key, remoteKey: object.key, etag: object.etag, seen: generation });
      page.undescribed.push(existing.contentId);
      await this.bucket.cache.adopt(existing.contentId, object.size, object.etag);
    } else {
      page.seen.push(existing.id);
      // Not fetched yet (S3 was down, the queue was full, the server restarted): offered again.
      if (indexed !== null && indexed.etag === object.etag && indexed.described !== object.etag) page.undescribed.push(existing.contentId);
    }
  }

  /** Removes what the listing no longer has, keeping whatever has local work pending. */
  private async sweep(dirId: FileId, generation: number): Promise<void> {
    for (let cookie = 0; ; ) {
      const page = await this.inner.readDir(dirId, cookie, SWEEP_PAGE);
      for (const entry of page.entries) {
        const node = this.bucket.index.byNode(entry.attr.id);
        if (node && node.seen < generation && !this.hasLocalWork(node)) await this.removeTree(dirId, entry.name, entry.attr);
      }
      if (page.eof || page.entries.length === 0) return;
      cookie = page.entries.at(-1)!.cookie;
    }
  }

  /** A file not yet uploaded (or moving), a directory whose marker is not made yet, or one holding either, must not be swept away. */
  private hasLocalWork(node: { key: string; contentId: string | null; remoteKey: string | null }): boolean {
    const pending = (child: { key: string; contentId: string | null; remoteKey: string | null }) =>
      child.contentId !== null ? child.remoteKey !== child.key || this.bucket.cache.pending(child.contentId) : this.bucket.cache.pending(markerId(child.key));
    return pending(node) || (node.contentId === null && this.bucket.index.under(node.key).some(pending));
  }

  private async removeTree(dirId: FileId, name: string, attr: FileAttr): Promise<void> {
    if (attr.type === "dir") {
      // Each pass removes what it read, so the next pass starts from the beginning again.
      for (;;) {
        const page: DirPage = await this.inner.readDir(attr.id, 0, SWEEP_PAGE);
        if (page.entries.length === 0) break;
        for (const entry of page.entries) await this.removeTree(attr.id, entry.name, entry.attr);
      }
      this.forgetDir(attr.id);
    }
    try {
      await this.inner.unlink(dirId, name, timespecNow());
    } catch (err) {
      if (!isFsError(err, "NotFound")) throw err;
    }
    if (attr.contentId !== null) {
      this.bucket.index.remove(attr.id);
      await this.bucket.cache.forget(attr.contentId);
    }
  }

  /** Lists a directory and everything below it that was never listed (before it is renamed). */
  private async listTree(dirId: FileId): Promise<void> {
    // Objects others added since a listing would be left behind under the old name.
    await this.fresh(dirId, { wait: true });
    for (let cookie = 0; ; ) {
      const page = await this.inner.readDir(dirId, cookie, SWEEP_PAGE);
      for (const entry of page.entries) if (entry.attr.type === "dir") await this.listTree(entry.attr.id);
      if (page.eof || page.entries.length === 0) return;
      cookie = page.entries.at(-1)!.cookie;
    }
  }

  // ---- helpers ----

  private root(): FileId {
    if (this.rootId === null) throw fsError("Stale", "the bucket share has no root yet");
    return this.rootId;
  }

  private indexed(id: FileId): { key: string; contentId: string | null } {
    const node = this.bucket.index.byNode(id);
    if (!node) throw fsError("Stale", `no bucket key is known for ${id}`);
    return node;
  }

  private async lookupOrNull(dirId: FileId, name: string): Promise<FileAttr | null> {
    try {
      return await this.inner.lookup(dirId, name);
    } catch (err) {
      if (isFsError(err, "NotFound")) return null;
      throw err;
    }
  }

  /** A key segment that can be a file name; anything else is skipped with one warning. */
  private usableName(name: string, key: string): boolean {
    const problem = fileNameProblem(name);
    if (problem === null) return true;
    this.warnOnce(key, `skipping object ${JSON.stringify(key)}: it ${problem}, which cannot be a file name`);
    return false;
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.logger.warn({ key }, message);
  }

  /** Markers are made and deleted through the cache's durable queue: mkdir works offline, and a restart loses none. */
  private putMarker(key: string): void {
    this.bucket.cache.putMarker(markerId(key), key);
  }

  private async deleteMarker(key: string): Promise<void> {
    await this.bucket.cache.delete(markerId(key), key);
  }

  private forgetDir(nodeId: FileId): void {
    this.retryAt.delete(nodeId);
    const node = this.bucket.index.byNode(nodeId);
    if (!node) return;
    if (node.remoteKey !== null) {
      this.deleteMarker(node.remoteKey).catch((err: unknown) => this.options.logger.warn({ err, key: node.remoteKey }, "could not queue a marker delete"));
    }
    this.bucket.index.remove(nodeId);
  }
}

/** Why a key segment cannot be a file name, or null when it can. */
export function fileNameProblem(name: string): string | null {
  if (name === "" || name.includes("/")) return "has an empty path segment";
  if (name === "." || name === "..") return `has a "${name}" segment`;
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return `has a segment longer than ${MAX_NAME_BYTES} bytes`;
  if (name.includes("\0")) return "contains a NUL character";
  return null;
}

/** Attributes from object metadata as rclone and s3fs write it; anything malformed is ignored. */
export function attrsFromMetadata(metadata: Record<string, string>): AttrChanges {
  const changes: AttrChanges = {};
  const mtime = /^(\d{1,15})(?:\.(\d{1,9})\d*)?$/.exec(metadata.mtime ?? "");
  if (mtime) changes.mtime = { sec: Number(mtime[1]), nsec: Number((mtime[2] ?? "").padEnd(9, "0")) };
  const mode = wholeNumber(metadata.mode);
  // s3fs stores the whole st_mode; only a regular file's (or bare permissions) fit a file here.
  if (mode !== null && ((mode & S_IFMT) === S_IFREG || (mode & S_IFMT) === 0)) changes.mode = mode & 0o7777;
  const uid = wholeNumber(metadata.uid);
  if (uid !== null) changes.uid = uid;
  const gid = wholeNumber(metadata.gid);
  if (gid !== null) changes.gid = gid;
  return changes;
}

function wholeNumber(text: string | undefined): number | null {
  if (text === undefined || !/^\d{1,10}$/.test(text)) return null;
  const value = Number(text);
  return value <= 0xffffffff ? value : null;
}

/** A journal id for the delete of a directory marker (never a content id: those are hex only). */
function markerId(key: string): string {
  return `dir_${createHash("sha256").update(key).digest("hex").slice(0, 40)}`;
}

function checkedKey(key: string): string {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw fsError("NameTooLong", `the object key would be longer than ${MAX_KEY_BYTES} bytes`);
  return key;
}

function timespecOf(date: Date): Timespec {
  const ms = date.getTime();
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000 };
}

