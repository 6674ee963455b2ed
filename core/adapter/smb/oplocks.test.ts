import { afterEach, describe, expect, it, vi } from "vitest";
import { STATUS_CANCELLED, STATUS_INVALID_PARAMETER } from "../../protocol/smb2/constants.js";
import { SmbStatusError } from "./errors.js";
import { BREAK_TIMEOUT_MS, CacheGrants, type LeaseRequest } from "./oplocks.js";
import type { Open } from "./state.js";

const R = 1;
const H = 2;
const W = 4;
const FILE = "1:file";
const FILE_READ_DATA = 0x1;
const FILE_WRITE_DATA = 0x2;
const FILE_READ_ATTRIBUTES = 0x80;

/** The break notifications an open's connection was sent: oplock levels (24-byte bodies) or lease states (44). */
function openFor(access = FILE_READ_DATA | FILE_WRITE_DATA): Open & { breaks: number[] } {
  const breaks: number[] = [];
  const open = {
    access,
    isDirectory: false,
    persistentId: 1n,
    volatileId: 1n,
    sessionId: 1n,
    treeId: 1,
    oplock: null,
    lease: null,
    breaks,
    channel: {
      sendBreak(body: Buffer) {
        breaks.push(body.length === 24 ? body[2]! : body.readUInt32LE(28));
      },
    },
  };
  return open as unknown as Open & { breaks: number[] };
}

function request(state: number, key = Buffer.alloc(16, 1)): LeaseRequest {
  return { key, state, version: 2, parentKey: null, epoch: 0 };
}

const noWaiter = { signal: new AbortController().signal, goAsync: () => undefined };

describe("oplocks and leases", () => {
  afterEach(() => vi.useRealTimers());

  it("grants the lease states Windows grants, and only with read caching", () => {
    const cases: Array<[number, number]> = [
      [0, 0],
      [R, R],
      [H, 0],
      [W, 0],
      [R | H, R | H],
      [R | W, R | W],
      [H | W, 0],
      [R | H | W, R | H | W],
    ];
    for (const [asked, granted] of cases) {
      const grants = new CacheGrants();
      expect(grants.grantLease(openFor(), FILE, "client", request(asked), false).state).toBe(granted);
    }
  });

  it("keeps write caching from a lease while another open uses the file, and upgrades a lease only to more that is allowed", () => {
    const grants = new CacheGrants();
    const first = openFor();
    expect(grants.grantLease(first, FILE, "client", request(R | H), false).state).toBe(R | H);
    // Same key, more asked, nobody else: the upgrade is taken whole.
    expect(grants.grantLease(openFor(), FILE, "client", request(R | W | H), false).state).toBe(R | W | H);
    // A lower ask leaves the lease alone.
    expect(grants.grantLease(openFor(), FILE, "client", request(R), false).state).toBe(R | W | H);
    const other = grants.grantLease(openFor(), "1:other", "client", request(R | W | H, Buffer.alloc(16, 2)), true);
    expect(other.state).toBe(R | H);
  });

  it("refuses a lease key already in use for another file", () => {
    const grants = new CacheGrants();
    grants.grantLease(openFor(), FILE, "client", request(R), false);
    expect(() => grants.leaseFor("client", Buffer.alloc(16, 1), "1:elsewhere")).toThrow(SmbStatusError);
    try {
      grants.leaseFor("client", Buffer.alloc(16, 1), "1:elsewhere");
    } catch (err) {
      expect((err as SmbStatusError).status).toBe(STATUS_INVALID_PARAMETER);
    }
    // Another client may use the same key.
    expect(grants.leaseFor("other client", Buffer.alloc(16, 1), "1:elsewhere")).toBeNull();
  });

  it("grants batch alone, level II beside other opens or beside a lease that caches handles, nothing on a directory", () => {
    const grants = new CacheGrants();
    expect(grants.grantOplock(openFor(), FILE, 0x09, false)?.level).toBe(0x09);
    expect(new CacheGrants().grantOplock(openFor(), FILE, 0x09, true)?.level).toBe(0x01);
    // An open of attributes only may hold one too (smbtorture's oplock.exclusive5 expects level II).
    expect(new CacheGrants().grantOplock(openFor(FILE_READ_ATTRIBUTES), FILE, 0x01, true)?.level).toBe(0x01);
    const leased = new CacheGrants();
    leased.grantLease(openFor(), FILE, "client", request(R | H), false);
    expect(leased.grantOplock(openFor(), FILE, 0x09, true)).toBeNull();
    const directory = { ...openFor(), isDirectory: true } as Open;
    expect(new CacheGrants().grantOplock(directory, FILE, 0x09, false)).toBeNull();
  });

  it("waits for the acknowledgment of a break that takes write caching, not for one that takes only read caching", async () => {
    const grants = new CacheGrants();
    const holder = openFor();
    const lease = grants.grantLease(holder, FILE, "client", request(R | W | H), false);
    let done = false;
    const waiting = grants.breakOthers(FILE, null, R | H, noWaiter).then(() => (done = true));
    expect(holder.breaks).toEqual([R | H]);
    expect(lease.breaking).toBe(true);
    await Promise.resolve();
    expect(done).toBe(false);
    lease.settle(R | H);
    await waiting;
    expect(lease.state).toBe(R | H);

    // From RH, a write takes everything: handle caching still needs the acknowledgment.
    grants.breakReaders(FILE, null);
    expect(holder.breaks).toEqual([R | H, 0]);
    expect(lease.breaking).toBe(true);

    const reader = openFor();
    const levelII = grants.grantOplock(reader, "1:second", 0x01, false)!;
    grants.breakReaders("1:second", null);
    expect(reader.breaks).toEqual([0]);
    expect(levelII.breaking).toBe(false);
    expect(levelII.state).toBe(0);
  });

  it("takes a break as acknowledged when the client stays silent for the break timeout", async () => {
    vi.useFakeTimers();
    const grants = new CacheGrants();
    const lease = grants.grantLease(openFor(), FILE, "client", request(R | W), false);
    const waiting = grants.breakOthers(FILE, null, 0, noWaiter);
    vi.advanceTimersByTime(BREAK_TIMEOUT_MS);
    await waiting;
    expect(lease.state).toBe(0);
    expect(lease.breaking).toBe(false);
  });

  it("ends a wait with STATUS_CANCELLED when the request is cancelled", async () => {
    const grants = new CacheGrants();
    grants.grantOplock(openFor(), FILE, 0x09, false);
    const controller = new AbortController();
    let wentAsync = false;
    const waiting = grants.breakOthers(FILE, null, R, { signal: controller.signal, goAsync: () => (wentAsync = true) });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ status: STATUS_CANCELLED });
    expect(wentAsync).toBe(true);
  });

  it("lets a waiter go when the holder closes, and forgets a lease with its last open", async () => {
    const grants = new CacheGrants();
    const a = openFor();
    const b = openFor();
    grants.grantLease(a, FILE, "client", request(R | W | H), false);
    grants.grantLease(b, FILE, "client", request(R | W | H), false);
    const waiting = grants.breakOthers(FILE, null, 0, noWaiter);
    grants.release(a);
    expect(grants.leaseFor("client", Buffer.alloc(16, 1), null)).not.toBeNull();
    grants.release(b);
    await waiting;
    expect(grants.leaseFor("client", Buffer.alloc(16, 1), null)).toBeNull();
    expect(grants.cachedByOthers(FILE, null)).toBe(false);
  });

  it("sends the next break once the one in progress is acknowledged", async () => {
    const grants = new CacheGrants();
    const holder = openFor();
    const lease = grants.grantLease(holder, FILE, "client", request(R | W | H), false);
    const first = grants.breakOthers(FILE, null, R | H, noWaiter);
    const second = grants.breakOthers(FILE, null, 0, noWaiter);
    expect(holder.breaks).toEqual([R | H]);
    lease.settle(R | H);
    await first;
    expect(holder.breaks).toEqual([R | H, 0]);
    lease.settle(0);
    await second;
    expect(lease.state).toBe(0);
  });
});
