import type { ContentService } from "../content/service.js";
import type { ContentPlace } from "../content/store.js";
import { isFsError } from "../errors.js";
import type { ContentCoordinator } from "../metadata/service.js";
import type { Logger } from "../util/logger.js";

/** A release refused because another server holds the file's write lease is tried again after these waits. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
const MAX_RELEASE_ATTEMPTS = 20;

/**
 * How the metadata service's size changes and removals reach the content. The content of a
 * removed file goes once the file is gone; on a share several servers share, another server may
 * still be writing it (it holds the file's write lease), so the release is tried again, with
 * back-off, until that server has given the file back: otherwise its upload would leave the
 * object behind in the bucket.
 */
export class RegistryContentCoordinator implements ContentCoordinator {
  private readonly retries = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly content: ContentService,
    private readonly logger: Logger,
  ) {}

  resize(share: string, contentId: string, size: number): Promise<void> {
    return this.content.truncate(share, contentId, size);
  }

  place(share: string, contentId: string, where: ContentPlace, fresh?: boolean): Promise<void> {
    return this.content.place(share, contentId, where, fresh);
  }

  async release(share: string, contentId: string): Promise<void> {
    await this.releaseAttempt(share, contentId, 1);
  }

  /** Stops retrying (shutdown); a release still owed leaves its bytes for the store to reclaim. */
  close(): void {
    this.closed = true;
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
  }

  private async releaseAttempt(share: string, contentId: string, attempt: number): Promise<void> {
    try {
      await this.content.delete(share, contentId);
    } catch (err) {
      if (isFsError(err, "TryLater") && !this.closed && attempt < MAX_RELEASE_ATTEMPTS) {
        const wait = Math.min(FIRST_RETRY_MS * 2 ** (attempt - 1), MAX_RETRY_MS);
        const timer = setTimeout(() => {
          this.retries.delete(timer);
          void this.releaseAttempt(share, contentId, attempt + 1);
        }, wait);
        timer.unref();
        this.retries.add(timer);
        return;
      }
      // The name is gone and cannot come back for the client: the orphaned bytes are the
      // content store's to reclaim.
      this.logger.warn({ err, share, contentId, attempt }, "could not delete content of a removed file");
    }
  }
}
