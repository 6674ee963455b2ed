import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalFiles } from "../../../../util/local-files.js";
import { Journal } from "./journal.js";
import { Segments, SEGMENT_SIZE } from "./segments.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "dittofs-journal-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("Journal", () => {
  it("keeps what was put and forgets what was removed, across a reopen", async () => {
    const path = join(dir, "journal.sqlite");
    const journal = new Journal(path);
    journal.put("a", { action: "marker", key: "a/" });
    journal.put("b", { action: "delete", key: "b", etag: "e1" });
    journal.remove("a");
    await journal.settleRemovals();
    journal.put("c", { action: "upload", size: 5, remoteSize: undefined, baseCap: Infinity, truncated: false, dirty: [{ start: 0, end: 5 }] });
    journal.remove("c");
    await journal.settleRemovals();
    journal.close();
    const reopened = new Journal(path);
    expect(reopened.all()).toEqual([{ id: "b", change: { action: "delete", key: "b", etag: "e1" } }]);
    // Nothing removed since: settling has nothing to do, and a closed journal settles nothing.
    await reopened.settleRemovals();
    reopened.remove("b");
    reopened.close();
    await reopened.settleRemovals();
  });
});

describe("Segments", () => {
  it("settles the journal's removals before it deletes or cuts any local bytes", async () => {
    const files = await LocalFiles.open({ root: join(dir, "data") });
    // What was on disk each time the segments asked for the journal to settle.
    const seen: string[] = [];
    const segments = new Segments(files, async () => {
      seen.push(existsSync(files.filePath("f_1")) ? "segment 1 present" : "segment 1 gone");
    });
    const bytes = Buffer.alloc(16, 7);
    await segments.write("f", SEGMENT_SIZE - 8, bytes);
    await segments.truncate("f", SEGMENT_SIZE - 4, SEGMENT_SIZE + 8);
    await segments.write("f", SEGMENT_SIZE, bytes);
    await segments.drop("f", 1);
    await segments.write("f", SEGMENT_SIZE, bytes);
    await segments.dropAll("f", SEGMENT_SIZE + 16);
    expect(seen).toEqual(["segment 1 present", "segment 1 present", "segment 1 present"]);
    expect(existsSync(files.filePath("f_1"))).toBe(false);
    await segments.close();
  });
});
