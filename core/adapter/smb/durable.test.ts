import { afterEach, describe, expect, it, vi } from "vitest";
import { STATUS_INVALID_PARAMETER } from "../../protocol/smb2/constants.js";
import { createLogger } from "../../util/logger.js";
import {
  DURABLE_V1_TIMEOUT_MS,
  DURABLE_V2_DEFAULT_TIMEOUT_MS,
  DURABLE_V2_MAX_TIMEOUT_MS,
  DisconnectedOpens,
  MAX_DISCONNECTED_OPENS,
  readDurableContexts,
} from "./durable.js";
import { SmbStatusError } from "./errors.js";
import type { Open } from "./state.js";

const guid = Buffer.alloc(16, 7);

function dh2q(timeoutMs: number): Buffer {
  const data = Buffer.alloc(32);
  data.writeUInt32LE(timeoutMs, 0);
  guid.copy(data, 16);
  return data;
}

function durableOpen(id: bigint, timeoutMs = DURABLE_V1_TIMEOUT_MS): Open {
  return {
    persistentId: id,
    volatileId: id,
    name: `f${id}`,
    oplock: null,
    lease: null,
    channel: { sendBreak: () => undefined },
    durable: { version: 1, timeoutMs, createGuid: Buffer.alloc(16), user: "ALICE", auth: { uid: 1, gid: 1, gids: [] } },
  } as unknown as Open;
}

function statusOf(fn: () => unknown): number | null {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof SmbStatusError ? err.status : -1;
  }
}

describe("durable handle contexts", () => {
  it("reads a v2 request with its timeout: 0 is the default, more than the cap is the cap", () => {
    expect(readDurableContexts(new Map([["DH2Q", dh2q(0)]])).request).toEqual({ version: 2, timeoutMs: DURABLE_V2_DEFAULT_TIMEOUT_MS, createGuid: guid });
    expect(readDurableContexts(new Map([["DH2Q", dh2q(0xffffffff)]])).request).toMatchObject({ timeoutMs: DURABLE_V2_MAX_TIMEOUT_MS });
    expect(readDurableContexts(new Map([["DH2Q", dh2q(1500)]])).request).toMatchObject({ timeoutMs: 1500 });
  });

  it("refuses v1 and v2 contexts together, a v2 request with a v2 reconnect, and short contexts", () => {
    const v1 = Buffer.alloc(16);
    const reconnectV2 = Buffer.alloc(36);
    expect(statusOf(() => readDurableContexts(new Map([["DHnQ", v1], ["DH2Q", dh2q(0)]])))).toBe(STATUS_INVALID_PARAMETER);
    expect(statusOf(() => readDurableContexts(new Map([["DHnC", v1], ["DH2C", reconnectV2]])))).toBe(STATUS_INVALID_PARAMETER);
    expect(statusOf(() => readDurableContexts(new Map([["DH2Q", dh2q(0)], ["DH2C", reconnectV2]])))).toBe(STATUS_INVALID_PARAMETER);
    expect(statusOf(() => readDurableContexts(new Map([["DH2C", Buffer.alloc(20)]])))).toBe(STATUS_INVALID_PARAMETER);
    // A v1 request beside a v1 reconnect is ignored: the reconnect wins.
    const both = readDurableContexts(new Map([["DHnQ", v1], ["DHnC", Buffer.from("0500000000000000ffffffffffffffff", "hex")]]));
    expect(both).toEqual({ request: null, reconnect: { version: 1, persistentId: 5n, createGuid: null } });
  });
});

describe("disconnected opens", () => {
  afterEach(() => vi.useRealTimers());
  const logger = createLogger("silent");

  it("closes a held open once its timeout passes, not before, unless it was taken back", async () => {
    vi.useFakeTimers();
    const closed: bigint[] = [];
    const table = new DisconnectedOpens(async (open) => void closed.push(open.persistentId), logger);
    const kept = durableOpen(1n);
    const taken = durableOpen(2n);
    expect(table.hold(kept)).toBe(true);
    expect(table.hold(taken)).toBe(true);
    table.take(taken);
    await vi.advanceTimersByTimeAsync(DURABLE_V1_TIMEOUT_MS - 1);
    expect(closed).toEqual([]);
    expect(table.find(1n)).toBe(kept);
    await vi.advanceTimersByTimeAsync(1);
    expect(closed).toEqual([1n]);
    expect(table.find(1n)).toBeUndefined();
    expect(table.size).toBe(0);
  });

  it("holds no more than its bound", () => {
    const table = new DisconnectedOpens(async () => undefined, logger);
    for (let i = 1; i <= MAX_DISCONNECTED_OPENS; i++) expect(table.hold(durableOpen(BigInt(i), 60_000))).toBe(true);
    expect(table.hold(durableOpen(BigInt(MAX_DISCONNECTED_OPENS + 1)))).toBe(false);
    expect(table.size).toBe(MAX_DISCONNECTED_OPENS);
    void table.closeAll();
  });

  it("closes an open at once when a break that waits for an acknowledgment reaches it", async () => {
    const closed: bigint[] = [];
    const table = new DisconnectedOpens(async (open) => void closed.push(open.persistentId), logger);
    const open = durableOpen(3n, 60_000);
    const grant = { breaking: false };
    open.oplock = grant as unknown as Open["oplock"];
    table.hold(open);
    open.channel.sendBreak(Buffer.alloc(24), open);
    grant.breaking = true;
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toEqual([3n]);
    expect(table.closedByBreaks).toBe(1);
  });
});
