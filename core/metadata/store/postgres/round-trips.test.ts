import { createConnection, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresServer } from "../../../../e2e/helpers/postgres.mjs";
import { isFsError } from "../../../errors.js";
import { newNode, T } from "../../../testing/new-node.js";
import { silentLogger } from "../../../util/logger.js";
import { MetadataService } from "../../service.js";
import type { AuthContext } from "../../types.js";
import { PostgresMetadataStore } from "./index.js";

/**
 * A TCP proxy in front of PostgreSQL that counts round trips: every Sync (extended protocol) and
 * every Query (simple protocol) message a client sends is answered by one ReadyForQuery, and the
 * client waits for it before it sends the next statement.
 */
class RoundTripCounter {
  count = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(target: { host: string; port: number }): Promise<RoundTripCounter> {
    const server = createServer();
    const counter = new RoundTripCounter(server);
    server.on("connection", (client) => counter.relay(client, target));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return counter;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, target: { host: string; port: number }): void {
    const upstream = createConnection(target);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => {});
    }
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    upstream.pipe(client);
    // Frontend messages: the startup message is a length and a body; then a type byte, a length
    // (counting itself) and a body. A header may be split across chunks.
    let header = Buffer.alloc(0);
    let skip = 0;
    let started = false;
    client.on("data", (chunk: Buffer) => {
      upstream.write(chunk);
      let at = 0;
      while (at < chunk.length) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - at);
          skip -= n;
          at += n;
          continue;
        }
        const headerSize = started ? 5 : 4;
        const n = Math.min(headerSize - header.length, chunk.length - at);
        header = Buffer.concat([header, chunk.subarray(at, at + n)]);
        at += n;
        if (header.length < headerSize) break;
        if (started) {
          const type = String.fromCharCode(header[0]!);
          if (type === "S" || type === "Q") this.count++;
          skip = header.readInt32BE(1) - 4;
        } else {
          skip = header.readInt32BE(0) - 4;
          started = true;
        }
        header = Buffer.alloc(0);
      }
    });
  }
}

let server: PostgresServer;
let counter: RoundTripCounter;
let database: string;
let store: PostgresMetadataStore;

beforeAll(async () => {
  server = await startPostgres();
  counter = await RoundTripCounter.start({ host: server.host, port: server.port });
  database = await server.createDatabase();
  store = await PostgresMetadataStore.open({
    host: "127.0.0.1",
    port: counter.port,
    database,
    user: server.user,
    password: server.password,
    maxConns: 2,
  });
}, 120_000);

afterAll(async () => {
  await store?.close();
  await counter?.stop();
  await server?.stop();
}, 30_000);

/** Waits until `count` backends of the test database wait for a lock. */
async function lockWaiters(count: number): Promise<void> {
  for (;;) {
    const [row] = await server.query<{ waiting: number }>(
      "postgres",
      "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
      [database],
    );
    if (row!.waiting >= count) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** "<round trips> <outcome>" of one call: "1 ok", or "1 NotFound" for an FsError. */
async function roundTrips(call: () => Promise<unknown>): Promise<string> {
  const before = counter.count;
  const outcome = await call().then(
    () => "ok",
    (err: unknown) => (isFsError(err) ? err.code : String(err)),
  );
  return `${counter.count - before} ${outcome}`;
}

describe("PostgresMetadataStore round trips", () => {
  it("takes one round trip per call, four for a directory moving to another parent", async () => {
    const root = await store.getOrCreateRoot("/export", newNode("dir"));
    const a = (await store.create(root.id, "a", newNode("dir"), T)).attr;
    const b = (await store.create(root.id, "b", newNode("dir"), T)).attr;
    const f = (await store.create(a.id, "f", newNode("file"), T)).attr;
    await store.create(a.id, "victim", newNode("file"), T);
    await store.create(a.id, "sub", newNode("dir"), T);
    const link = (await store.create(a.id, "l", newNode("symlink", { symlinkTarget: "f" }), T)).attr;

    const counts = {
      get: await roundTrips(() => store.get(f.id)),
      lookup: await roundTrips(() => store.lookup(a.id, "f")),
      lookupMissing: await roundTrips(() => store.lookup(a.id, "nope")),
      parentOf: await roundTrips(() => store.parentOf(a.id)),
      readLink: await roundTrips(() => store.readLink(link.id)),
      readDir: await roundTrips(() => store.readDir(a.id, 0, 3)),
      setAttr: await roundTrips(() => store.setAttr(f.id, { size: 10 })),
      createFile: await roundTrips(() => store.create(a.id, "g", newNode("file"), T)),
      createDir: await roundTrips(() => store.create(a.id, "d", newNode("dir"), T)),
      createTaken: await roundTrips(() => store.create(a.id, "g", newNode("file"), T)),
      createMany: await roundTrips(() => store.createMany(b.id, [{ name: "m1", node: newNode("file") }, { name: "m2", node: newNode("dir") }], T)),
      link: await roundTrips(() => store.link(b.id, "f-link", f.id, T)),
      unlinkOneName: await roundTrips(() => store.unlink(b.id, "f-link", T)),
      unlinkLastName: await roundTrips(() => store.unlink(a.id, "g", T)),
      unlinkDir: await roundTrips(() => store.unlink(a.id, "d", T)),
      unlinkMissing: await roundTrips(() => store.unlink(a.id, "nope", T)),
      unlinkNotEmpty: await roundTrips(() => store.unlink(root.id, "a", T)),
      renameInDir: await roundTrips(() => store.rename(a.id, "f", a.id, "f2", T)),
      renameReplacing: await roundTrips(() => store.rename(a.id, "f2", a.id, "victim", T)),
      renameToOtherDir: await roundTrips(() => store.rename(a.id, "victim", b.id, "f", T)),
      renameDirInDir: await roundTrips(() => store.rename(a.id, "sub", a.id, "sub2", T)),
      renameDirToOtherDir: await roundTrips(() => store.rename(a.id, "sub2", b.id, "sub", T)),
      renameOntoItself: await roundTrips(() => store.rename(b.id, "f", b.id, "f", T)),
    };
    expect(counts).toEqual({
      get: "1 ok",
      lookup: "1 ok",
      lookupMissing: "1 NotFound",
      parentOf: "1 ok",
      readLink: "1 ok",
      readDir: "1 ok",
      setAttr: "1 ok",
      createFile: "1 ok",
      createDir: "1 ok",
      createTaken: "1 Exists",
      createMany: "1 ok",
      link: "1 ok",
      unlinkOneName: "1 ok",
      unlinkLastName: "1 ok",
      unlinkDir: "1 ok",
      unlinkMissing: "1 NotFound",
      unlinkNotEmpty: "1 NotEmpty",
      renameInDir: "1 ok",
      renameReplacing: "1 ok",
      renameToOtherDir: "1 ok",
      renameDirInDir: "1 ok",
      renameDirToOtherDir: "4 ok",
      renameOntoItself: "1 ok",
    });
  });

  it("runs a write again under its locks when a row it read changes before it can lock it", async () => {
    const root = await store.getOrCreateRoot("/export", newNode("dir"));
    const base = (await store.create(root.id, "race", newNode("dir"), T)).attr;
    const d = (await store.create(base.id, "d", newNode("dir"), T)).attr;
    // Another server, not counted: its create in d queues behind a transaction holding d's row.
    const other = await PostgresMetadataStore.open({ connectionString: server.connectionString(database), maxConns: 1 });
    const holder = new pg.Client({ connectionString: server.connectionString(database) });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM nodes WHERE id = $1 FOR UPDATE", [d.id]);
      const created = other.create(d.id, "inside", newNode("file"), T);
      await lockWaiters(1);
      // The unlink reads d empty, then waits for d's row behind the create.
      const before = counter.count;
      const removed = store.unlink(base.id, "d", T).then(
        () => "ok",
        (err: { code?: string }) => err.code,
      );
      await lockWaiters(2);
      await holder.query("COMMIT");
      expect((await created).attr.type).toBe("file");
      expect(await removed).toBe("NotEmpty");
      // Its first run saw d change and wrote nothing; BEGIN, lock, the statement again, COMMIT.
      expect(counter.count - before).toBe(5);
      expect((await store.lookup(d.id, "inside")).type).toBe("file");
    } finally {
      await holder.end();
      await other.close();
    }
  });
});

describe("MetadataService round trips to PostgreSQL", () => {
  const alice: AuthContext = { uid: 1000, gid: 1000, gids: [1000] };
  const bob: AuthContext = { uid: 2000, gid: 2000, gids: [2000] };

  it("makes a LOOKUP one round trip, a CREATE two and a REMOVE two", async () => {
    const svc = new MetadataService(silentLogger);
    const top = await svc.registerShare({ name: "/svc", store, readOnly: false, rootUid: 1000, rootGid: 1000, rootMode: 0o777 });
    const dir = (await svc.mkdir(alice, "/svc", top.id, "d", {})).attr;
    const sticky = (await svc.mkdir(alice, "/svc", top.id, "sticky", { mode: 0o1777 })).attr;
    const closed = (await svc.mkdir(alice, "/svc", top.id, "closed", { mode: 0o700 })).attr;
    await svc.create(alice, "/svc", sticky.id, "alices", { mode: "guarded", attrs: {} });
    await svc.create(bob, "/svc", sticky.id, "bobs", { mode: "guarded", attrs: {} });
    const guarded = { mode: "guarded", attrs: {} } as const;

    // What libnfs sends per file: two LOOKUPs and a CREATE; a LOOKUP and a REMOVE.
    const counts = {
      lookupMiss: await roundTrips(() => svc.lookup(alice, "/svc", dir.id, "f")),
      create: await roundTrips(() => svc.create(alice, "/svc", dir.id, "f", guarded)),
      createWithSize: await roundTrips(() => svc.create(alice, "/svc", dir.id, "g", { mode: "unchecked", attrs: { size: 0 } })),
      createTaken: await roundTrips(() => svc.create(alice, "/svc", dir.id, "f", guarded)),
      createOverExisting: await roundTrips(() => svc.create(alice, "/svc", dir.id, "f", { mode: "unchecked", attrs: {} })),
      lookup: await roundTrips(() => svc.lookup(alice, "/svc", dir.id, "f")),
      lookupNoSearch: await roundTrips(() => svc.lookup(bob, "/svc", closed.id, "missing")),
      remove: await roundTrips(() => svc.remove(alice, "/svc", dir.id, "f")),
      removeMissing: await roundTrips(() => svc.remove(alice, "/svc", dir.id, "f")),
      removeDir: await roundTrips(() => svc.remove(alice, "/svc", top.id, "d")),
      removeOthersInStickyDir: await roundTrips(() => svc.remove(bob, "/svc", sticky.id, "alices")),
      removeOwnInStickyDir: await roundTrips(() => svc.remove(bob, "/svc", sticky.id, "bobs")),
      mkdir: await roundTrips(() => svc.mkdir(alice, "/svc", dir.id, "sub", {})),
      rmdir: await roundTrips(() => svc.rmdir(alice, "/svc", dir.id, "sub")),
    };
    expect(counts).toEqual({
      lookupMiss: "1 NotFound",
      create: "2 ok",
      createWithSize: "2 ok",
      // A taken name costs the lookup the create spared.
      createTaken: "3 Exists",
      createOverExisting: "3 ok",
      lookup: "1 ok",
      lookupNoSearch: "1 Access",
      remove: "2 ok",
      removeMissing: "2 NotFound",
      removeDir: "2 IsDir",
      // In a sticky directory not their own, a caller needs the victim's owner first.
      removeOthersInStickyDir: "2 Perm",
      removeOwnInStickyDir: "3 ok",
      mkdir: "2 ok",
      rmdir: "2 ok",
    });
  });
});
