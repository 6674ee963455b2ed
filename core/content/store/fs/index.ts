import { LocalFiles, type LocalFilesOptions } from "../../../util/local-files.js";
import type { ContentStore } from "../../store.js";
import { checkContentId, checkRange, checkReadInto, checkSize } from "../../validate.js";

export type FsContentStoreOptions = LocalFilesOptions;

/**
 * Content on local disk, one file per content id (core/util/local-files.ts holds the layout,
 * the bounded descriptor LRU and durable file creation). This class adds the content store's
 * argument checks.
 */
export class FsContentStore implements ContentStore {
  readonly kind = "fs";

  private constructor(private readonly files: LocalFiles) {}

  static async open(options: FsContentStoreOptions): Promise<FsContentStore> {
    return new FsContentStore(await LocalFiles.open(options));
  }

  async read(id: string, offset: number, length: number, into?: Buffer): Promise<Buffer> {
    checkContentId(id);
    checkRange(offset, length);
    checkReadInto(into, length);
    return this.files.read(id, offset, length, into);
  }

  async write(id: string, offset: number, data: Buffer): Promise<void> {
    checkContentId(id);
    checkRange(offset, data.length);
    return this.files.write(id, offset, data);
  }

  async truncate(id: string, size: number): Promise<void> {
    checkContentId(id);
    checkSize(size);
    return this.files.truncate(id, size);
  }

  async size(id: string): Promise<number> {
    checkContentId(id);
    return this.files.size(id);
  }

  async sync(id: string): Promise<void> {
    checkContentId(id);
    return this.files.sync(id);
  }

  async delete(id: string): Promise<void> {
    checkContentId(id);
    return this.files.delete(id);
  }

  space(): Promise<{ used: number; available: number }> {
    return this.files.space();
  }

  close(): Promise<void> {
    return this.files.close();
  }
}
