import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { runMetadataStoreConformance } from "../../storetest/index.js";
import type { NewNode } from "../../types.js";
import { MIGRATIONS } from "./schema.js";
import { SqliteMetadataStore } from "./index.js";

const scratch = mkdtempSync(join(tmpdir(), "dittofs-sqlite-meta-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let dbCount = 0;
const freshPath = () => join(scratch, `db-${++dbCount}`, "meta.sqlite");

runMetadataStoreConformance("sqlite (file)", async () => SqliteMetadataStore.open({ path: freshPath() }));

const T: NewNode["atime"] = { sec: 1_700_000_000, nsec: 1 };
function node(type: NewNode["type"], over: Partial<NewNode> = {}): NewNode {
  return {
    type,
    mode: type === "dir" ? 0o755 : 0o644,
    uid: 1000,
    gid: 1000,
    size: 0,
    atime: T,
    mtime: T,
    ctime: T,
    contentId: type === "file" ? "c0ffee" : null,
    rdev: { major: 0, minor: 0 },
    ...over,
  };
}

describe("SqliteMetadataStore", () => {
  it("works in memory", async () => {
    const store = SqliteMetadataStore.open({ path: ":memory:" });
    const root = await store.getOrCreateRoot("/export", node("dir"));
    const f = await store.create(root.id, "f", node("file"), T);
    expect((await store.lookup(root.id, "f")).id).toBe(f.id);
    await store.close();
  });

  it("keeps ids and data across close and reopen, and never reuses ids", async () => {
    const path = freshPath();
    let store = SqliteMetadataStore.open({ path });
    const root = await store.getOrCreateRoot("/export", node("dir"));
    const d = await store.create(root.id, "d", node("dir"), T);
    const f = await store.create(d.id, "f", node("file", { size: 42, contentId: "abc" }), T);
    await store.link(root.id, "f-link", f.id, T);
    const s = await store.create(root.id, "s", node("symlink", { symlinkTarget: "d/f", size: 3 }), T);
    const gone = await store.create(root.id, "gone", node("file"), T);
    await store.unlink(root.id, "gone", T);
    const listing = await store.readDir(root.id, 0, 100);
    await store.close();
    await expect(store.get(root.id)).rejects.toMatchObject({ code: "Io" });

    store = SqliteMetadataStore.open({ path });
    expect((await store.getOrCreateRoot("/export", node("dir", { mode: 0o700 }))).id).toBe(root.id);
    expect(await store.get(f.id)).toEqual({ ...f, nlink: 2, ctime: T });
    expect((await store.lookup(d.id, "f")).id).toBe(f.id);
    expect(await store.readLink(s.id)).toBe("d/f");
    expect(await store.readDir(root.id, 0, 100)).toEqual(listing);
    expect((await store.parentOf(d.id)).id).toBe(root.id);
    const fresh = await store.create(root.id, "fresh", node("file"), T);
    expect(Number(fresh.id)).toBeGreaterThan(Number(gone.id));
    const nextCookie = (await store.readDir(root.id, 0, 100)).entries.at(-1)!.cookie;
    expect(nextCookie).toBeGreaterThan(listing.entries.at(-1)!.cookie + 1);
    await store.close();
  });

  it("records its schema version and migrates only once", async () => {
    const path = freshPath();
    (await SqliteMetadataStore.open({ path })).close();
    const again = SqliteMetadataStore.open({ path });
    await again.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT version FROM schema_version").all()).toEqual([{ version: MIGRATIONS.length }]);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
  });

  it("refuses a database from a newer version", async () => {
    const path = freshPath();
    (await SqliteMetadataStore.open({ path })).close();
    const db = new Database(path);
    db.prepare("UPDATE schema_version SET version = ?").run(MIGRATIONS.length + 1);
    db.close();
    expect(() => SqliteMetadataStore.open({ path })).toThrow(/newer/);
  });

  it("keeps everything a call reported after the process is killed with SIGKILL", async () => {
    const path = freshPath();
    const moduleUrl = resolve(import.meta.dirname, "index.ts");
    // The child loads the TypeScript store through Vite's module runner, writes, reports, then waits to be killed.
    const script = `
      import { runnerImport } from "vite";
      const { module } = await runnerImport(${JSON.stringify(moduleUrl)}, { logLevel: "silent", configFile: false });
      const store = module.SqliteMetadataStore.open({ path: ${JSON.stringify(path)} });
      const t = { sec: 1, nsec: 2 };
      const n = (type, extra = {}) => ({ type, mode: 0o644, uid: 1, gid: 1, size: 0, atime: t, mtime: t, ctime: t,
        contentId: type === "file" ? "c" : null, rdev: { major: 0, minor: 0 }, ...extra });
      const root = await store.getOrCreateRoot("/export", n("dir"));
      const ids = [];
      for (let i = 0; i < 200; i++) ids.push((await store.create(root.id, "f" + i, n("file", { size: i }), t)).id);
      await store.rename(root.id, "f0", root.id, "renamed", t);
      await store.unlink(root.id, "f1", t);
      await store.setAttr(ids[2], { size: 999 });
      process.stdout.write(JSON.stringify({ root: root.id, ids }) + "\\n");
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: resolve(import.meta.dirname, "../../../.."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const report = await new Promise<{ root: string; ids: string[] }>((ok, fail) => {
      let out = "";
      child.stdout.on("data", (b: Buffer) => {
        out += b.toString();
        if (out.includes("\n")) ok(JSON.parse(out));
      });
      child.on("exit", (code) => fail(new Error(`child exited with ${code}: ${stderr}`)));
    });
    const exited = new Promise((ok) => child.on("exit", (_code, signal) => ok(signal)));
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");

    const store = SqliteMetadataStore.open({ path });
    const listing = await store.readDir(report.root, 0, 1000);
    expect(listing.entries.length).toBe(199);
    expect((await store.lookup(report.root, "renamed")).id).toBe(report.ids[0]);
    await expect(store.lookup(report.root, "f1")).rejects.toMatchObject({ code: "NotFound" });
    expect((await store.get(report.ids[2]!)).size).toBe(999);
    expect((await store.get(report.ids[199]!)).size).toBe(199);
    await store.close();
  });
});
