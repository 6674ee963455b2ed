import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFsError } from "../errors.js";
import { LocalFiles } from "./local-files.js";

let base: string;
beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "dittofs-local-files-"));
});
afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

// The fs content store checks content ids before calling in; the disk cache does not, so the
// files themselves must refuse an id that could name a path outside their root.
describe("LocalFiles", () => {
  it("refuses ids that could leave the root, for every operation", async () => {
    const root = path.join(base, "root");
    const files = await LocalFiles.open({ root });
    for (const id of ["../escape", "..", "/tmp/x", "a/b", "", "x".repeat(129)]) {
      const invalid = (e: unknown) => isFsError(e, "Invalid");
      await expect(files.write(id, 0, Buffer.from("x"))).rejects.toSatisfy(invalid);
      await expect(files.read(id, 0, 1)).rejects.toSatisfy(invalid);
      await expect(files.truncate(id, 0)).rejects.toSatisfy(invalid);
      await expect(files.delete(id)).rejects.toSatisfy(invalid);
      expect(() => files.filePath(id)).toThrow(/invalid file id/);
    }
    expect(fs.readdirSync(base)).toEqual(["root"]);
    expect(fs.readdirSync(root)).toEqual([]);
    await files.close();
  });
});
