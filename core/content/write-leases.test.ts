import { afterEach, describe, expect, it } from "vitest";
import { isFsError } from "../errors.js";
import { silentLogger } from "../util/logger.js";
import { type LeaseTable, WriteLeases } from "./write-leases.js";

/** The lease table's rules (PostgreSQL's write_leases) over one shared map, with a clock. */
class SharedTable implements LeaseTable {
  readonly rows = new Map<string, { holder: string; expiresAt: number }>();
  async acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const row = this.rows.get(key);
    if (row && row.holder !== holder && row.expiresAt > Date.now()) return false;
    this.rows.set(key, { holder, expiresAt: Date.now() + ttlMs });
    return true;
  }
  async releaseLease(key: string, holder: string): Promise<void> {
    if (this.rows.get(key)?.holder === holder) this.rows.delete(key);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const open: WriteLeases[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((leases) => leases.close()));
});

function server(table: LeaseTable, holder: string, settled: string[], options = { ttlMs: 3_000, quietMs: 100 }) {
  const leases = new WriteLeases(table, holder, async (id) => void settled.push(`${holder} ${id}`), silentLogger, options);
  open.push(leases);
  return leases;
}

describe("WriteLeases", () => {
  it("lets one server change a file at a time, and hands the file over once it settled", async () => {
    const table = new SharedTable();
    const settled: string[] = [];
    const a = server(table, "a", settled);
    const b = server(table, "b", settled);
    await a.change("f", async () => {});
    const refused = await b.change("f", async () => {}).catch((err: unknown) => err);
    expect(isFsError(refused, "TryLater")).toBe(true);
    await b.change("g", async () => {});
    // Quiet for quietMs: a settles its changes, then gives the lease back.
    await sleep(400);
    expect(settled).toContain("a f");
    expect(table.rows.has("f")).toBe(false);
    await b.change("f", async () => {});
    expect(table.rows.get("f")?.holder).toBe("b");
  });

  it("keeps the lease while a change runs, however long", async () => {
    const table = new SharedTable();
    const settled: string[] = [];
    const a = server(table, "a", settled);
    await a.change("f", () => sleep(500));
    expect(settled).toEqual([]);
    expect(table.rows.get("f")?.holder).toBe("a");
  });

  it("renews a held lease, so a busy file is never taken over", async () => {
    const table = new SharedTable();
    const settled: string[] = [];
    const a = server(table, "a", settled, { ttlMs: 300, quietMs: 10_000 });
    const b = server(table, "b", settled, { ttlMs: 300, quietMs: 10_000 });
    await a.change("f", async () => {});
    for (let i = 0; i < 8; i++) {
      await sleep(100);
      expect(isFsError(await b.change("f", async () => {}).catch((err: unknown) => err), "TryLater")).toBe(true);
    }
  });

  it("settles and gives back every lease at close", async () => {
    const table = new SharedTable();
    const settled: string[] = [];
    const a = new WriteLeases(table, "a", async (id) => void settled.push(id), silentLogger, { ttlMs: 60_000, quietMs: 60_000 });
    await a.change("f", async () => {});
    await a.change("g", async () => {});
    await a.close();
    expect(settled.sort()).toEqual(["f", "g"]);
    expect(table.rows.size).toBe(0);
  });
});
