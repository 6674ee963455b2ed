import fs from "node:fs";
import path from "node:path";
import { CachedFile } from "./cached-file.js";
import type { CacheContext } from "./context.js";
import { RangeSet } from "./range-set.js";
import { segmentStem, stemOfSegmentFile } from "./segments.js";
import type { UploadQueue } from "./upload-queue.js";

/**
 * Crash recovery: rebuilds the owed work from the journal (uploads, deletes, directory markers)
 * and queues it; local copies nobody owes are removed, and multipart uploads a file was being
 * streamed into when the last run ended are aborted.
 */
export async function resume(ctx: CacheContext, queue: UploadQueue, dataDir: string): Promise<void> {
  const owed = new Set<string>();
  let uploads = 0;
  const abandoned: Array<{ id: string; key: string; uploadId: string }> = [];
  for (const { id, change } of ctx.journal.all()) {
    if (change.action === "abort-upload") {
      abandoned.push({ id, ...change });
      continue;
    }
    owed.add(segmentStem(id).toLowerCase());
    if (change.action === "delete" || change.action === "marker") {
      queue.keyWork.set(id, change);
    } else {
      const file = new CachedFile(id);
      file.size = change.size;
      file.remoteSize = change.remoteSize;
      file.baseCap = change.baseCap;
      file.truncated = change.truncated;
      file.dirty = RangeSet.of(change.dirty);
      file.present = file.dirty.clone();
      file.seq = file.syncedSeq = 1;
      file.journaled = true;
      ctx.localBytes += file.present.total;
      ctx.dirtyBytes += file.dirty.total;
      ctx.files.set(id, file);
      uploads++;
    }
  }
  await removeOrphans(dataDir, owed);
  if (owed.size > 0) {
    ctx.logger.info({ remote: ctx.remote, uploads, deletesAndMarkers: queue.keyWork.size }, "resuming uploads left from the last run");
  }
  for (const id of [...queue.keyWork.keys(), ...ctx.files.keys()]) queue.enqueue(id);
  if (abandoned.length > 0) void abandonStreams(ctx, abandoned);
}

/** Aborts the multipart uploads of files that were being streamed when the last run ended. */
async function abandonStreams(ctx: CacheContext, streams: Array<{ id: string; key: string; uploadId: string }>): Promise<void> {
  for (const { id, key, uploadId } of streams) {
    await ctx.options.backend.abandon?.(key, uploadId);
    if (ctx.closed) return;
    ctx.journal.remove(id);
  }
}

async function removeOrphans(dataDir: string, owed: Set<string>): Promise<void> {
  const entries = await fs.promises.readdir(dataDir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const stem = stemOfSegmentFile(entry.name);
    if (stem !== null && owed.has(stem)) continue;
    await fs.promises.rm(path.join(entry.parentPath, entry.name), { force: true });
  }
}
