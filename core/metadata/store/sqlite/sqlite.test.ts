import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { runMetadataStoreConformance } from "../../storetest/index.js";
import { MIGRATIONS } from "./schema.js";
import { SqliteMetadataStore } from "./index.js";
import { newNode, T } from "../../../testing/new-node.js";

const scratch = mkdtempSync(join(tmpdir(), "dittofs-sqlite-meta-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let dbCount = 0;
const freshPath = () => join(scratch, `db-${++dbCount}`, "meta.sqlite");

runMetadataStoreConformance("sqlite (file)", async () => SqliteMetadataStore.open({ path: freshPath() }));

describe("SqliteMetadataStore", () => {
  it("works in memory", async () => {
    const store = SqliteMetadataStore.open({ path: ":memory:" });
    const root = await store.getOrCreateRoot("/export", newNode("dir"));
    const f = (await store.create(root.id, "f", newNode("file"), T)).attr;
    expect((await store.lookup(root.id, "f")).id).toBe(f.id);
    await store.close();
  });

  it("keeps ids and data across close and reopen, and never reuses ids", async () => {
    const path = freshPath();
    let store = SqliteMetadataStore.open({ path });
    const root = await store.getOrCreateRoot("/export", newNode("dir"));
    const d = (await store.create(root.id, "d", newNode("dir"), T)).attr;
    const f = (await store.create(d.id, "f", newNode("file", { size: 42, contentId: "abc" }), T)).attr;
    await store.link(root.id, "f-link", f.id, T);
    const s = (await store.create(root.id, "s", newNode("symlink", { symlinkTarget: "d/f", size: 3 }), T)).attr;
    const gone = (await store.create(root.id, "gone", newNode("file"), T)).attr;
    await store.unlink(root.id, "gone", T);
    const listing = await store.readDir(root.id, 0, 100);
    const secret = await store.secret("k");
    await store.close();
    await expect(store.get(root.id)).rejects.toMatchObject({ code: "Io" });

    store = SqliteMetadataStore.open({ path });
    expect((await store.getOrCreateRoot("/export", newNode("dir", { mode: 0o700 }))).id).toBe(root.id);
    expect(await store.get(f.id)).toEqual({ ...f, nlink: 2, ctime: T });
    expect((await store.lookup(d.id, "f")).id).toBe(f.id);
    expect(await store.readLink(s.id)).toBe("d/f");
    expect(await store.readDir(root.id, 0, 100)).toEqual(listing);
    expect((await store.parentOf(d.id)).id).toBe(root.id);
    expect(await store.secret("k")).toEqual(secret);
    const fresh = (await store.create(root.id, "fresh", newNode("file"), T)).attr;
    expect(Number(fresh.id)).toBeGreaterThan(Number(gone.id));
    const nextCookie = (await store.readDir(root.id, 0, 100)).entries.at(-1)!.cookie;
    expect(nextCookie).toBeGreaterThan(listing.entries.at(-1)!.cookie + 1);
    await store.close();
  });

  it("syncs its write-ahead log on demand, in memory and for many callers at once", async () => {
    const memory = SqliteMetadataStore.open({ path: ":memory:" });
    await memory.sync();
    await memory.close();
    const path = freshPath();
    const store = SqliteMetadataStore.open({ path });
    const root = await store.getOrCreateRoot("/export", newNode("dir"));
    await store.create(root.id, "f", newNode("file"), T);
    await Promise.all(Array.from({ length: 20 }, () => store.sync()));
    await store.create(root.id, "g", newNode("file"), T);
    await store.sync();
    await store.close();
    await expect(store.sync()).rejects.toMatchObject({ code: "Io" });
  });

  it("records its schema version and migrates only once", async () => {
    const path = freshPath();
    (await SqliteMetadataStore.open({ path })).close();
    const again = SqliteMetadataStore.open({ path });
    await again.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT version FROM schema_version").all()).toEqual([{ version: MIGRATIONS.length }]);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    // It holds the file handle secret: readable by the server's user alone.
    expect(statSync(path).mode & 0o777).toBe(0o600);
    db.close();
  });

  it("migrates a version 1 database, keeping names, cookies and directory parents", async () => {
    const path = freshPath();
    mkdirSync(dirname(path), { recursive: true });
    const v1 = new Database(path);
    v1.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);`);
    v1.exec(MIGRATIONS[0]!);
    const insert = v1.prepare(
      `INSERT INTO nodes (id, type, mode, nlink, uid, gid, size, atime_sec, atime_nsec, mtime_sec, mtime_nsec,
         ctime_sec, ctime_nsec, content_id) VALUES (?, ?, 493, 2, 0, 0, 0, 1, 0, 1, 0, 1, 0, ?)`,
    );
    insert.run(1, "dir", null);
    insert.run(2, "dir", null);
    insert.run(3, "file", "c3");
    v1.prepare(`INSERT INTO roots (share, node_id) VALUES ('/export', 1)`).run();
    v1.prepare(`INSERT INTO entries (dir_id, name, child_id, cookie) VALUES (1, 'd', 2, 1), (2, 'f', 3, 4)`).run();
    v1.prepare(`UPDATE nodes SET next_cookie = 5 WHERE id = 2`).run();
    v1.close();

    const store = SqliteMetadataStore.open({ path });
    expect((await store.getOrCreateRoot("/export", newNode("dir"))).id).toBe("1");
    expect((await store.lookup("2", "f")).id).toBe("3");
    // Version 3 tags every node with its share's root, found by walking the tree.
    for (const id of ["1", "2", "3"]) expect((await store.get(id)).shareRoot).toBe("1");
    expect((await store.parentOf("2")).id).toBe("1");
    expect((await store.parentOf("1")).id).toBe("1");
    expect((await store.readDir("2", 0, 10)).entries.map((e) => [e.name, e.cookie])).toEqual([["f", 4]]);
    const g = (await store.create("2", "g", newNode("file"), T)).attr;
    expect((await store.readDir("2", 4, 10)).entries.map((e) => [e.name, e.cookie, e.attr.id])).toEqual([["g", 5, g.id]]);
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT version FROM schema_version").all()).toEqual([{ version: MIGRATIONS.length }]);
    db.close();
  });

  it("migrates a version 3 database: a node's birth time becomes the earliest of its times, with no DOS attributes", async () => {
    const path = freshPath();
    mkdirSync(dirname(path), { recursive: true });
    const v3 = new Database(path);
    v3.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (3);`);
    for (const migration of MIGRATIONS.slice(0, 3)) v3.exec(migration);
    const insert = v3.prepare(
      `INSERT INTO nodes (id, type, mode, nlink, uid, gid, size, atime_sec, atime_nsec, mtime_sec, mtime_nsec,
         ctime_sec, ctime_nsec, content_id, parent_id, share_root) VALUES (?, ?, 493, ?, 0, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
    );
    insert.run(1, "dir", 2, 50, 0, 40, 0, 60, 0, null, null);
    // mtime earliest, then atime earliest by nanoseconds, then ctime earliest.
    insert.run(2, "file", 1, 30, 5, 20, 7, 30, 0, "c2", null);
    insert.run(3, "file", 1, 20, 6, 20, 7, 30, 0, "c3", null);
    insert.run(4, "file", 1, 90, 0, 80, 0, 70, 9, "c4", null);
    v3.prepare(`INSERT INTO roots (share, node_id) VALUES ('/export', 1)`).run();
    v3.prepare(`INSERT INTO entries (dir_id, name, child_id, cookie) VALUES (1, 'a', 2, 1), (1, 'b', 3, 2), (1, 'c', 4, 3)`).run();
    v3.prepare(`UPDATE nodes SET next_cookie = 4 WHERE id = 1`).run();
    v3.close();

    const store = SqliteMetadataStore.open({ path });
    const births = await Promise.all(["1", "2", "3", "4"].map(async (id) => (await store.get(id)).birthtime));
    expect(births).toEqual([
      { sec: 40, nsec: 0 },
      { sec: 20, nsec: 7 },
      { sec: 20, nsec: 6 },
      { sec: 70, nsec: 9 },
    ]);
    for (const id of ["1", "2", "3", "4"]) expect((await store.get(id)).dosAttributes).toBe(0);
    expect((await store.lookup("1", "c")).ctime).toEqual({ sec: 70, nsec: 9 });
    await store.close();
  });

  it("leaves what it reports unchanged when a transaction fails after some of its writes", async () => {
    const path = freshPath();
    let store = SqliteMetadataStore.open({ path });
    const root = await store.getOrCreateRoot("/export", newNode("dir"));
    const d = (await store.create(root.id, "d", newNode("dir"), T)).attr;
    const f = (await store.create(d.id, "f", newNode("file"), T)).attr;
    await store.close();
    // Triggers that fail the last statement of a create and of an unlink, after the rows before it changed.
    const db = new Database(path);
    db.exec(`CREATE TRIGGER fail_entry BEFORE INSERT ON entries WHEN NEW.name = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END;
             CREATE TRIGGER fail_touch BEFORE UPDATE OF mtime_sec ON nodes WHEN NEW.mtime_sec = 4242 BEGIN SELECT RAISE(ABORT, 'touch'); END;`);
    db.close();

    store = SqliteMetadataStore.open({ path });
    const dirBefore = await store.get(d.id);
    const fileBefore = await store.lookup(d.id, "f");
    await expect(store.create(d.id, "boom", newNode("file"), { sec: 7, nsec: 7 })).rejects.toMatchObject({ code: "Io" });
    await expect(store.unlink(d.id, "f", { sec: 4242, nsec: 0 })).rejects.toMatchObject({ code: "Io" });
    // A batch fails whole: its directory update and the entries before "boom" are undone too.
    const batch = ["a", "boom", "c"].map((name) => ({ name, node: newNode(name === "a" ? "dir" : "file") }));
    await expect(store.createMany(d.id, batch, { sec: 8, nsec: 8 })).rejects.toMatchObject({ code: "Io" });
    await expect(store.lookup(d.id, "a")).rejects.toMatchObject({ code: "NotFound" });
    expect(await store.get(d.id)).toEqual(dirBefore);
    expect(await store.lookup(d.id, "f")).toEqual(fileBefore);
    expect(await store.get(f.id)).toEqual(fileBefore);
    await expect(store.lookup(d.id, "boom")).rejects.toMatchObject({ code: "NotFound" });
    expect((await store.readDir(d.id, 0, 10)).entries.map((e) => e.name)).toEqual(["f"]);
    // The same change without the failure goes through and is seen at once.
    const removed = await store.unlink(d.id, "f", T);
    expect(removed.node.nlink).toBe(0);
    await expect(store.lookup(d.id, "f")).rejects.toMatchObject({ code: "NotFound" });
    await expect(store.get(f.id)).rejects.toMatchObject({ code: "NotFound" });
    expect((await store.get(d.id)).mtime).toEqual(T);
    const again = await store.createMany(d.id, [batch[0]!, batch[2]!, batch[2]!], T);
    expect(again.map((attr) => attr?.type ?? null)).toEqual(["dir", "file", null]);
    expect((await store.get(d.id)).nlink).toBe(3);
    expect((await store.readDir(d.id, 0, 10)).entries.map((e) => e.name)).toEqual(["a", "c"]);
    await store.close();
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
      for (let i = 0; i < 200; i++) ids.push(((await store.create(root.id, "f" + i, n("file", { size: i }), t)).attr).id);
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
