import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresServer } from "../../../../e2e/helpers/postgres.mjs";
import { isFsError } from "../../../errors.js";
import { runMetadataStoreConformance } from "../../storetest/index.js";
import type { Created } from "../../store.js";
import { MIGRATIONS } from "./schema.js";
import { PostgresMetadataStore, type PostgresMetadataStoreOptions } from "./index.js";
import { newNode, T } from "../../../testing/new-node.js";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
}, 30_000);

/** Stores and databases of the running test, closed and dropped after it. */
const openStores: PostgresMetadataStore[] = [];
const databases: string[] = [];
afterEach(async () => {
  await Promise.all(openStores.splice(0).map((store) => store.close()));
  await Promise.all(databases.splice(0).map((db) => server.dropDatabase(db)));
});

async function freshDatabase(): Promise<string> {
  const db = await server.createDatabase();
  databases.push(db);
  return db;
}

async function openStore(db: string, options: PostgresMetadataStoreOptions = {}): Promise<PostgresMetadataStore> {
  const store = await PostgresMetadataStore.open({ connectionString: server.connectionString(db), maxConns: 4, ...options });
  openStores.push(store);
  return store;
}

runMetadataStoreConformance("postgres", async () => openStore(await freshDatabase()));

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}

function codeOf(result: PromiseSettledResult<unknown>): string {
  if (result.status === "fulfilled") return "ok";
  return isFsError(result.reason) ? result.reason.code : String(result.reason);
}

/** Two stores on one fresh database, as two servers would be, and the share's root. */
async function twoServers(options: PostgresMetadataStoreOptions = {}) {
  const db = await freshDatabase();
  const a = await openStore(db, options);
  const b = await openStore(db, options);
  const root = await a.getOrCreateRoot("/export", newNode("dir"));
  return { db, a, b, root };
}

describe("PostgresMetadataStore", () => {
  it("gives every file a UUID id and a distinct positive ino", async () => {
    const store = await openStore(await freshDatabase());
    const root = await store.getOrCreateRoot("/export", newNode("dir"));
    const files = [root];
    for (let i = 0; i < 5; i++) files.push((await store.create(root.id, `f${i}`, newNode(i % 2 ? "dir" : "file"), T)).attr);
    for (const f of files) {
      expect(f.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(Number.isSafeInteger(f.ino) && f.ino > 0).toBe(true);
    }
    expect(new Set(files.map((f) => f.ino)).size).toBe(files.length);
  });

  it("leases a key to one server at a time, until it is released or expires", async () => {
    const { a, b } = await twoServers();
    expect(await a.acquireLease("c1", "server-a", 60_000)).toBe(true);
    expect(await b.acquireLease("c1", "server-b", 60_000)).toBe(false);
    expect(await a.acquireLease("c1", "server-a", 60_000)).toBe(true); // a renewal
    expect(await b.acquireLease("c2", "server-b", 60_000)).toBe(true);
    await b.releaseLease("c1", "server-b"); // not b's: changes nothing
    expect(await b.acquireLease("c1", "server-b", 60_000)).toBe(false);
    await a.releaseLease("c1", "server-a");
    expect(await b.acquireLease("c1", "server-b", 200)).toBe(true);
    expect(await a.acquireLease("c1", "server-a", 60_000)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await a.acquireLease("c1", "server-a", 60_000)).toBe(true);
    // Many servers at once: exactly one wins.
    const racers = await Promise.all(["x", "y", "z", "w"].map((holder) => (holder < "y" ? a : b).acquireLease("c3", holder, 60_000)));
    expect(racers.filter(Boolean)).toHaveLength(1);
  });

  it("shows each server's changes to the other at once", async () => {
    const { a, b, root } = await twoServers();
    expect((await b.getOrCreateRoot("/export", newNode("dir", { mode: 0o700 }))).id).toBe(root.id);
    const d = (await a.create(root.id, "d", newNode("dir"), T)).attr;
    const f = (await b.create(d.id, "f", newNode("file", { size: 5 }), T)).attr;
    expect(await b.lookup(root.id, "d")).toEqual(await a.get(d.id));
    expect(await a.lookup(d.id, "f")).toEqual(f);
    await a.setAttr(f.id, { size: 99 });
    expect((await b.get(f.id)).size).toBe(99);
    await b.rename(d.id, "f", root.id, "g", T);
    expect((await a.readDir(root.id, 0, 10)).entries.map((e) => e.name)).toEqual(["d", "g"]);
    await a.unlink(root.id, "g", T);
    await expect(b.get(f.id)).rejects.toMatchObject({ code: "NotFound" });
  });

  it("lets exactly one of two servers create a name both create at once", async () => {
    const { a, b, root } = await twoServers();
    for (let round = 0; round < 10; round++) {
      const name = `race-${round}`;
      const type = round % 2 ? "dir" : "file";
      const results = await Promise.allSettled([a.create(root.id, name, newNode(type), T), b.create(root.id, name, newNode(type), T)]);
      expect(results.map(codeOf).sort()).toEqual(["Exists", "ok"]);
      const winner = results.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<Created>;
      expect((await b.lookup(root.id, name)).id).toBe(winner.value.attr.id);
    }
    expect((await a.get(root.id)).nlink).toBe(2 + 5);
    expect((await a.readDir(root.id, 0, 100)).entries).toHaveLength(10);
  });

  it("hands out distinct, increasing cookies to creators on two servers at once", async () => {
    const { a, b, root } = await twoServers();
    const dir = (await a.create(root.id, "shared", newNode("dir"), T)).attr;
    const creates = [];
    for (let i = 0; i < 60; i++) {
      const store = i % 2 ? a : b;
      creates.push(store.create(dir.id, `n${i}`, newNode(i % 3 ? "file" : "dir"), T));
    }
    await Promise.all(creates);
    const listing = [];
    for (let cookie = 0; ;) {
      const page = await b.readDir(dir.id, cookie, 7);
      listing.push(...page.entries);
      if (page.eof) break;
      cookie = page.entries.at(-1)!.cookie;
    }
    expect(new Set(listing.map((e) => e.name)).size).toBe(60);
    const cookies = listing.map((e) => e.cookie);
    expect(cookies).toEqual([...cookies].sort((x, y) => x - y));
    expect(new Set(cookies).size).toBe(60);
    expect(Math.max(...cookies)).toBe(60);
    expect((await a.get(dir.id)).nlink).toBe(2 + 20);
  });

  it("gives each name to exactly one server when a batch races single creates of the same names", async () => {
    const { a, b, root } = await twoServers();
    for (let round = 0; round < 5; round++) {
      const dir = (await a.create(root.id, `batch${round}`, newNode("dir"), T)).attr;
      const names = Array.from({ length: 40 }, (_, i) => `n${i}`);
      const batch = a.createMany(dir.id, names.map((name, i) => ({ name, node: newNode(i % 4 ? "file" : "dir") })), T);
      const singles = names
        .filter((_, i) => i % 3 === 0)
        .map((name, i) => b.create(dir.id, name, newNode(i % 2 ? "file" : "dir"), T).then(({ attr }) => ({ name, attr }), () => null));
      const fromBatch = await batch;
      const fromSingles = (await Promise.all(singles)).filter((won) => won !== null);
      const owner = new Map<string, string>();
      for (const [i, attr] of fromBatch.entries()) if (attr) owner.set(names[i]!, attr.id);
      for (const { name, attr } of fromSingles) {
        expect(owner.has(name), `${name} created twice`).toBe(false);
        owner.set(name, attr.id);
      }
      expect(owner.size).toBe(40);
      const listing = await b.readDir(dir.id, 0, 100);
      expect(new Map(listing.entries.map((e) => [e.name, e.attr.id]))).toEqual(owner);
      const cookies = listing.entries.map((e) => e.cookie);
      expect(new Set(cookies).size).toBe(40);
      expect(cookies).toEqual([...cookies].sort((x, y) => x - y));
      const dirs = listing.entries.filter((e) => e.attr.type === "dir").length;
      expect((await a.get(dir.id)).nlink).toBe(2 + dirs);
    }
  });

  it("lets exactly one of several servers unlink a name, and keeps link counts right", async () => {
    const { a, b, root } = await twoServers();
    const d = (await a.create(root.id, "d", newNode("dir"), T)).attr;
    const f = (await a.create(d.id, "f", newNode("file", { size: 10 }), T)).attr;
    const results = await Promise.allSettled([a.unlink(d.id, "f", T), b.unlink(d.id, "f", T), a.unlink(d.id, "f", T)]);
    expect(results.map(codeOf).sort()).toEqual(["NotFound", "NotFound", "ok"]);
    await expect(b.get(f.id)).rejects.toMatchObject({ code: "NotFound" });

    // Links and unlinks of one file from both servers at once: nlink ends equal to its names.
    const g = (await a.create(d.id, "g", newNode("file"), T)).attr;
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).link(d.id, `g${i}`, g.id, T)));
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? b : a).unlink(d.id, i < 5 ? `g${i}` : "g", T).catch(() => undefined)),
    );
    const names = (await a.readDir(d.id, 0, 100)).entries.filter((e) => e.attr.id === g.id);
    expect(names).toHaveLength(5);
    expect((await b.get(g.id)).nlink).toBe(5);
  });

  it("never lets two crossing directory moves make a cycle", async () => {
    const { a, b, root } = await twoServers();
    for (let round = 0; round < 8; round++) {
      // p/x/s and r/y/q: moving x into q and y into s at once would each pass the subtree
      // check alone, lock disjoint rows, and together make the cycle x → q → y → s → x.
      const base = (await a.create(root.id, `base${round}`, newNode("dir"), T)).attr;
      const p = (await a.create(base.id, "p", newNode("dir"), T)).attr;
      const r = (await a.create(base.id, "r", newNode("dir"), T)).attr;
      const x = (await a.create(p.id, "x", newNode("dir"), T)).attr;
      const y = (await a.create(r.id, "y", newNode("dir"), T)).attr;
      const s = (await a.create(x.id, "s", newNode("dir"), T)).attr;
      const q = (await a.create(y.id, "q", newNode("dir"), T)).attr;
      const results = await Promise.allSettled([a.rename(p.id, "x", q.id, "x", T), b.rename(r.id, "y", s.id, "y", T)]);
      expect(results.map(codeOf).sort()).toEqual(["Invalid", "ok"]);
      for (const dir of [x, y, s, q]) {
        // Walking up from each ends at the root.
        let current = dir.id;
        for (let depth = 0; current !== root.id; depth++) {
          expect(depth).toBeLessThan(8);
          current = (await b.parentOf(current)).id;
        }
      }
    }
  });

  it("keeps a directory that gains an entry while another server removes it", async () => {
    const { a, b, root } = await twoServers();
    for (let round = 0; round < 10; round++) {
      const d = (await a.create(root.id, `d${round}`, newNode("dir"), T)).attr;
      const [removed, created] = await Promise.allSettled([a.unlink(root.id, `d${round}`, T), b.create(d.id, "inside", newNode("file"), T)]);
      if (removed.status === "fulfilled") {
        expect(codeOf(created)).toBe("NotFound");
        await expect(b.get(d.id)).rejects.toMatchObject({ code: "NotFound" });
      } else {
        expect(codeOf(removed)).toBe("NotEmpty");
        expect((await a.lookup(d.id, "inside")).type).toBe("file");
      }
    }
  });

  it("migrates an empty database once when servers open it at the same time", async () => {
    const db = await freshDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(db)));
    expect(await server.query(db, "SELECT version FROM schema_version")).toEqual([{ version: MIGRATIONS.length }]);
    const roots = await Promise.all(stores.map((s) => s.getOrCreateRoot("/export", newNode("dir"))));
    expect(new Set(roots.map((r) => r.id)).size).toBe(1);
    await openStore(db);
    expect(await server.query(db, "SELECT version FROM schema_version")).toEqual([{ version: MIGRATIONS.length }]);
  });

  it("migrates a version 2 database: a node's birth time becomes the earliest of its times, with no DOS attributes", async () => {
    const db = await freshDatabase();
    await server.query(db, `CREATE TABLE schema_version (version integer NOT NULL); INSERT INTO schema_version VALUES (2);`);
    for (const migration of MIGRATIONS.slice(0, 2)) await server.query(db, migration);
    const ids = ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002", "00000000-0000-4000-8000-000000000003"];
    const insert = (id: string, type: string, times: number[], parent: string | null) =>
      server.query(
        db,
        `INSERT INTO nodes (id, type, mode, nlink, uid, gid, size, atime_sec, atime_nsec, mtime_sec, mtime_nsec,
           ctime_sec, ctime_nsec, parent_id, share_root) VALUES ($1, $2, 493, 1, 0, 0, 0, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [id, type, ...times, parent, ids[0]],
      );
    await insert(ids[0]!, "dir", [50, 0, 40, 0, 60, 0], null);
    await insert(ids[1]!, "file", [20, 6, 20, 7, 30, 0], null);
    await insert(ids[2]!, "file", [90, 0, 80, 0, 70, 9], null);
    await server.query(db, `INSERT INTO roots (share, node_id) VALUES ('/export', $1)`, [ids[0]]);

    const store = await openStore(db);
    const migrated = await Promise.all(ids.map((id) => store.get(id)));
    expect(migrated.map((a) => a.birthtime)).toEqual([
      { sec: 40, nsec: 0 },
      { sec: 20, nsec: 6 },
      { sec: 70, nsec: 9 },
    ]);
    expect(migrated.map((a) => a.dosAttributes)).toEqual([0, 0, 0]);
    expect(await server.query(db, "SELECT version FROM schema_version")).toEqual([{ version: MIGRATIONS.length }]);
  });

  it("refuses a database whose schema is newer than this build", async () => {
    const db = await freshDatabase();
    await openStore(db);
    await server.query(db, "UPDATE schema_version SET version = $1", [MIGRATIONS.length + 1]);
    const err = await errorOf(PostgresMetadataStore.open({ connectionString: server.connectionString(db) }));
    expect(err).toMatchObject({ code: "Io" });
    expect((err as Error).message).toMatch(/schema version \d+ is newer than this build/);
  });

  describe("open() fails fast and clearly, never showing the password", () => {
    async function expectOpenFailure(options: PostgresMetadataStoreOptions, pattern: RegExp): Promise<void> {
      const started = Date.now();
      const err = await errorOf(PostgresMetadataStore.open({ connectTimeoutMs: 5_000, ...options }));
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(err).toMatchObject({ code: "Io" });
      const message = (err as Error).message;
      expect(message).toMatch(pattern);
      for (const secret of [server.password, options.password].filter(Boolean)) expect(message).not.toContain(secret);
    }

    it("when nothing listens on the port", async () => {
      // The server's port plus one is ours only while no one else takes it; a closed port is what we want.
      const port = server.port === 65535 ? server.port - 1 : server.port + 1;
      await expectOpenFailure(
        { host: "127.0.0.1", port, database: "postgres", user: server.user, password: server.password },
        new RegExp(`^cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}/postgres: .*ECONNREFUSED`),
      );
    });

    it("when the password is wrong", async () => {
      await expectOpenFailure(
        { host: "127.0.0.1", port: server.port, database: "postgres", user: server.user, password: "not-the-password-42" },
        /^cannot connect to PostgreSQL at 127\.0\.0\.1:\d+\/postgres: password authentication failed/,
      );
    });

    it("when the connection string is not a URL", async () => {
      for (const connectionString of [`host=127.0.0.1 password=${server.password}`, `postgresql://u:${server.password}@[::1/db`]) {
        const err = await errorOf(PostgresMetadataStore.open({ connectionString }));
        expect(err).toMatchObject({ code: "Invalid" });
        expect((err as Error).message).toMatch(/must be a URL/);
        expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain(server.password);
      }
    });

    it("when the database does not exist", async () => {
      await expectOpenFailure(
        { connectionString: server.connectionString("no_such_db") },
        /^cannot connect to PostgreSQL at 127\.0\.0\.1:\d+\/no_such_db: database "no_such_db" does not exist/,
      );
    });
  });

  it("counts its own changes in usage() at once and other servers' once the count expires", async () => {
    const { a, b, root } = await twoServers({ usageCacheMs: 300 });
    const before = await b.usage();
    await a.create(root.id, "f", newNode("file", { size: 1000 }), T);
    expect(await a.usage()).toEqual({ files: before.files + 1, bytes: before.bytes + 1000 });
    await b.create(root.id, "g", newNode("file", { size: 1 }), T);
    expect(await b.usage()).toEqual({ files: before.files + 1, bytes: before.bytes + 1 });
    await new Promise((r) => setTimeout(r, 350));
    expect(await b.usage()).toEqual({ files: before.files + 2, bytes: before.bytes + 1001 });
  });

  it("reports a name PostgreSQL cannot store as Invalid and keeps working", async () => {
    const store = await openStore(await freshDatabase());
    const root = await store.getOrCreateRoot("/export", newNode("dir"));
    await expect(store.create(root.id, "nul\0byte", newNode("file"), T)).rejects.toMatchObject({ code: "Invalid" });
    await expect(store.lookup(root.id, "nul\0byte")).rejects.toMatchObject({ code: "Invalid" });
    expect(((await store.create(root.id, "fine", newNode("file"), T)).attr).type).toBe("file");
  });

  it("recovers when the server drops its connections", async () => {
    const db = await freshDatabase();
    const store = await openStore(db);
    const root = await store.getOrCreateRoot("/export", newNode("dir"));
    await server.query("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [db]);
    // The pool learns of the dropped connections as their sockets close, then opens new ones.
    await new Promise((r) => setTimeout(r, 200));
    expect((await store.get(root.id)).id).toBe(root.id);
  });

  it("fails calls after close with Io", async () => {
    const store = await PostgresMetadataStore.open({ connectionString: server.connectionString(await freshDatabase()) });
    const root = await store.getOrCreateRoot("/export", newNode("dir"));
    await store.close();
    await store.close();
    await expect(store.get(root.id)).rejects.toMatchObject({ code: "Io" });
  });
});
