import fs, { type promises } from "node:fs";
import path from "node:path";
import { fsError, isFsError } from "../../../errors.js";
import type { MetadataStore } from "../../../metadata/store.js";
import { BeneathRoot, toFsError } from "../../../util/beneath.js";
import type { ContentStore } from "../../store.js";
import { checkContentId, checkRange, checkReadInto, checkSize } from "../../validate.js";
import { FolderIndex } from "./folder-index.js";
import { FolderNamespace } from "./folder-namespace.js";

export interface FolderContentStoreOptions {
  /** The exported directory; it must exist. */
  root: string;
  /** The index database (node ↔ file); its directory is created when missing. */
  indexPath: string;
  /** File descriptors kept open between operations. */
  maxOpenFiles: number;
  /** See FolderNamespaceOptions.revalidateMs. */
  revalidateMs: number;
}

interface OpenFile {
  handle: promises.FileHandle;
  /** Operations using the handle right now; it is closed only when this is 0. */
  refs: number;
  /** Left the table while in use: closed when the last user is done. */
  detached: boolean;
}

/**
 * The fs store's `folder` layout: an existing directory exported as it is. One file on the
 * share is one file at the same path under the root; the share's namespace (FolderNamespace)
 * is the directory tree itself, and content ids are found through the index (FolderIndex).
 * Writes go straight to the files (no write-back cache), so every other program sees them at
 * once and the disk stays the truth for sizes. Descriptors stay open in a bounded table
 * (reference counted).
 */
export class FolderContentStore implements ContentStore {
  readonly kind = "fs (folder)";
  readonly writesInPlace = true;
  private readonly files = new Map<string, OpenFile>();
  private bound = false;
  private closed = false;

  private constructor(
    private readonly disk: BeneathRoot,
    private readonly index: FolderIndex,
    private readonly options: FolderContentStoreOptions,
  ) {}

  static async open(options: FolderContentStoreOptions): Promise<FolderContentStore> {
    // On Linux only the race-free walk will do; a /proc that does not work is an error, not a fallback.
    const disk = await BeneathRoot.open(options.root, process.platform === "linux" ? { strategy: "proc-fd" } : {});
    try {
      await fs.promises.mkdir(path.dirname(options.indexPath), { recursive: true, mode: 0o700 });
      return new FolderContentStore(disk, new FolderIndex(options.indexPath), options);
    } catch (err) {
      await disk.close();
      throw err;
    }
  }

  /** One share per folder: the index maps that share's nodes. */
  namespace(inner: MetadataStore): MetadataStore {
    if (this.bound) throw fsError("Exists", `the folder ${this.disk.root} is already the tree of another share`);
    this.bound = true;
    return new FolderNamespace(inner, { disk: this.disk, index: this.index }, { revalidateMs: this.options.revalidateMs });
  }

  async read(id: string, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    checkContentId(id);
    checkRange(offset, length);
    checkReadInto(into, length);
    const buffer = into ?? Buffer.allocUnsafe(length);
    const got = await this.using(id, async (handle) => {
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done;
    });
    return into ? into.subarray(0, got) : buffer.subarray(0, got);
  }

  async write(id: string, offset: number, data: Buffer): Promise<void> {
    checkContentId(id);
    checkRange(offset, data.length);
    await this.using(id, async (handle) => {
      for (let done = 0; done < data.length; ) {
        const { bytesWritten } = await handle.write(data, done, data.length - done, offset + done);
        done += bytesWritten;
      }
    });
  }

  async truncate(id: string, size: number): Promise<void> {
    checkContentId(id);
    checkSize(size);
    await this.using(id, (handle) => handle.truncate(size));
  }

  async size(id: string): Promise<number> {
    checkContentId(id);
    return this.using(id, async (handle) => (await handle.stat()).size);
  }

  async sync(id: string): Promise<void> {
    checkContentId(id);
    await this.using(id, (handle) => handle.sync());
  }

  /** The namespace removed the file's last name from the disk already; its descriptor goes. */
  async delete(id: string): Promise<void> {
    checkContentId(id);
    const file = this.files.get(id);
    if (!file) return;
    this.files.delete(id);
    file.detached = true;
    if (file.refs === 0) await file.handle.close();
  }

  async space(): Promise<{ used: number; available: number }> {
    const s = await fs.promises.statfs(this.disk.root);
    return { used: (s.blocks - s.bfree) * s.bsize, available: s.bavail * s.bsize };
  }

  async close(): Promise<void> {
    this.closed = true;
    const files = [...this.files.values()];
    this.files.clear();
    for (const file of files) {
      file.detached = true;
      if (file.refs === 0) await file.handle.close().catch(() => {});
    }
    this.index.close();
    await this.disk.close();
  }

  /** Runs `body` with the file's open handle (opened read-write, or read-only when that is all the disk allows). */
  private async using<T>(id: string, body: (handle: promises.FileHandle) => Promise<T>): Promise<T> {
    if (this.closed) throw fsError("Io", "the content store is closed");
    let file = this.files.get(id);
    if (!file) {
      file = { handle: await this.openFile(id), refs: 0, detached: false };
      const raced = this.files.get(id);
      if (raced) {
        await file.handle.close();
        file = raced;
      } else {
        this.files.set(id, file);
        this.evictBeyond(this.options.maxOpenFiles);
      }
    }
    // Most recently used last, so eviction takes the oldest first.
    this.files.delete(id);
    if (!file.detached) this.files.set(id, file);
    file.refs++;
    try {
      return await body(file.handle);
    } catch (err) {
      throw toFsError(err, `file of content ${id}`);
    } finally {
      file.refs--;
      if (file.detached && file.refs === 0) await file.handle.close().catch(() => {});
    }
  }

  private async openFile(id: string): Promise<promises.FileHandle> {
    const node = this.index.byContent(id);
    const names = node && this.index.pathOf(node.nodeId);
    if (!names) throw fsError("Stale", `content ${id} is no longer a file in the folder`);
    try {
      return await this.disk.openFile(names, "r+");
    } catch (err) {
      // A file the server may only read (another owner's, mode 0444) still reads.
      if (isFsError(err, "Access")) return this.disk.openFile(names, "r");
      throw err;
    }
  }

  private evictBeyond(limit: number): void {
    for (const [id, file] of this.files) {
      if (this.files.size <= limit) return;
      this.files.delete(id);
      file.detached = true;
      if (file.refs === 0) void file.handle.close().catch(() => {});
    }
  }
}
