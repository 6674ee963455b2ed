import fs from "node:fs";
import path from "node:path";
import { FsContentStore } from "../fs/index.js";

/**
 * The content an S3 store keeps on this computer only (files with litter names, see
 * ShareConfig.litter): `<dir>/content` holds the bytes, one file per content id, and `<dir>/ids`
 * one empty file per id that lives here. The two are apart so that an id is marked only once its
 * bytes are complete (a move from S3 interrupted by a crash leaves the id where it was), and both
 * are outside the disk cache's own files, so eviction and cache recovery never touch them.
 */
export class LocalOnlyContent {
  private constructor(
    private readonly idsDir: string,
    private readonly ids: Set<string>,
    readonly store: FsContentStore,
  ) {}

  static async open(dir: string): Promise<LocalOnlyContent> {
    const idsDir = path.join(dir, "ids");
    await fs.promises.mkdir(idsDir, { recursive: true, mode: 0o700 });
    const ids = new Set(await fs.promises.readdir(idsDir));
    return new LocalOnlyContent(idsDir, ids, await FsContentStore.open({ root: path.join(dir, "content") }));
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Marks `id` as living here, durably. The caller has checked the id (it names a file under `ids`). */
  async mark(id: string): Promise<void> {
    if (this.ids.has(id)) return;
    const handle = await fs.promises.open(path.join(this.idsDir, id), "w", 0o600);
    await handle.close();
    await this.syncDir();
    this.ids.add(id);
  }

  async unmark(id: string): Promise<void> {
    if (!this.ids.delete(id)) return;
    await fs.promises.rm(path.join(this.idsDir, id), { force: true });
    await this.syncDir();
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private async syncDir(): Promise<void> {
    // Windows cannot open a directory to fsync it; its metadata journal covers the entry.
    if (process.platform === "win32") return;
    const dir = await fs.promises.open(this.idsDir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
