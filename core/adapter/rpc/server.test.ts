import { createHash, randomBytes } from "node:crypto";
import { connect } from "node:net";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import {
  AUTH_BADCRED,
  AUTH_ERROR,
  AUTH_TOOWEAK,
  GARBAGE_ARGS,
  PROC_UNAVAIL,
  PROG_MISMATCH,
  PROG_UNAVAIL,
  SUCCESS,
  SYSTEM_ERR,
} from "../../protocol/rpc/constants.js";
import { recordMark } from "../../protocol/rpc/record.js";
import { decodeReply } from "../../protocol/rpc/reply.js";
import { AUTH_NONE, AUTH_SYS, type DispatchTable, type Procedure, type RpcProgram } from "../../protocol/rpc/types.js";
import { XdrReader } from "../../protocol/xdr/reader.js";
import { XdrWriter } from "../../protocol/xdr/writer.js";
import { RpcClient } from "./client.js";
import { RpcServer, type RpcServerOptions } from "./server.js";

const TEST_PROG = 0x2000_0001;
const SYS_ONLY_PROG = 0x2000_0002;
const HOST = "127.0.0.1";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** Calls parked in the GATE procedure until the test opens the gate. */
class Gate {
  private waiting: Array<() => void> = [];
  get parked(): number {
    return this.waiting.length;
  }
  park(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  open(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const release of waiting) release();
  }
}

const BIG_PAYLOAD = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));

function testProgram(gate: Gate, bigReplies: { count: number }, counted: { count: number }): RpcProgram {
  const v1: DispatchTable = new Map<number, Procedure>([
    [0, { name: "NULL", handler: () => {} }],
    [1, { name: "ECHO", handler: (_c, args, out) => void out.u32(args.u32()) }],
    [
      2,
      {
        name: "WHOAMI",
        handler: (call, _args, out) => {
          out.u32(call.cred.flavor).string(call.remoteAddress).u32(call.localPort);
          out.optional(call.cred.sys, (w, sys) => {
            w.u32(sys.stamp).string(sys.machineName).u32(sys.uid).u32(sys.gid).u32(sys.gids.length);
            for (const g of sys.gids) w.u32(g);
          });
        },
      },
    ],
    [
      3,
      {
        name: "GATE",
        handler: async (_c, args, out) => {
          const tag = args.u32();
          await gate.park();
          out.u32(tag);
        },
      },
    ],
    [
      4,
      {
        name: "THROW",
        handler: () => {
          throw new Error("handler exploded");
        },
      },
    ],
    [5, { name: "REJECT", handler: async () => Promise.reject(new Error("async handler exploded")) }],
    [
      6,
      {
        name: "BIG",
        handler: (_c, _args, out) => {
          bigReplies.count++;
          out.u32(1).opaqueRef(BIG_PAYLOAD).u32(2);
        },
      },
    ],
    [
      7,
      {
        name: "HOLD",
        // Keeps a view of its (large) argument across the wait, then answers its digest.
        handler: async (_c, args, out) => {
          const data = args.opaqueVar(1 << 20);
          await gate.park();
          out.opaqueFixed(createHash("sha256").update(data).digest());
        },
      },
    ],
    [
      10,
      {
        name: "COUNT",
        nonIdempotent: true,
        // Answers how many COUNT calls have run: a retransmission answered from the cache repeats it.
        handler: (_c, args, out) => {
          args.u32();
          out.u32(++counted.count);
        },
      },
    ],
    [
      11,
      {
        name: "GATED_COUNT",
        nonIdempotent: true,
        handler: async (_c, _args, out) => {
          await gate.park();
          out.u32(++counted.count);
        },
      },
    ],
  ]);
  const v3: DispatchTable = new Map([[0, { name: "NULL", handler: () => {} }]]);
  return { prog: TEST_PROG, name: "test", versions: new Map([[1, v1], [3, v3]]), acceptedFlavors: [AUTH_NONE, AUTH_SYS] };
}

const sysOnlyProgram: RpcProgram = {
  prog: SYS_ONLY_PROG,
  name: "sys-only",
  versions: new Map([[1, new Map([[0, { name: "NULL", handler: () => {} }], [1, { name: "PING", handler: () => {} }]])]]),
  acceptedFlavors: [AUTH_SYS],
};

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

const WARN = 40;
const ERROR = 50;

interface Harness {
  server: RpcServer;
  port: number;
  gate: Gate;
  bigReplies: { count: number };
  counted: { count: number };
  logs: LogLine[];
  client(): Promise<RpcClient>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: Partial<RpcServerOptions> = {}): Promise<Harness> {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const gate = new Gate();
  const bigReplies = { count: 0 };
  const counted = { count: 0 };
  const server = new RpcServer({
    logger: pino({ level: "debug" }, sink),
    programs: [testProgram(gate, bigReplies, counted), sysOnlyProgram],
    maxRecordBytes: 64 * 1024,
    name: "test",
    ...options,
  });
  const port = await server.listen(HOST, 0);
  const clients: RpcClient[] = [];
  cleanups.push(async () => {
    gate.open();
    await Promise.all(clients.map((c) => c.close()));
    await server.close(1000);
  });
  return {
    server,
    port,
    gate,
    bigReplies,
    counted,
    logs,
    async client() {
      const c = await RpcClient.connect(HOST, port);
      clients.push(c);
      return c;
    },
  };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const u32 = (...values: number[]): Buffer => {
  const w = new XdrWriter();
  for (const v of values) w.u32(v);
  return w.toBuffer();
};

async function expectServes(h: Harness): Promise<void> {
  const c = await h.client();
  const { reply, results } = await c.call({ prog: TEST_PROG, vers: 1, proc: 1, args: u32(0xabcd) });
  expect(reply).toMatchObject({ status: "accepted", acceptStat: SUCCESS });
  expect(results.u32()).toBe(0xabcd);
  await c.close();
}

describe("RpcServer", () => {
  it("refuses a program registered twice", () => {
    const options = { logger: pino({ level: "silent" }), maxRecordBytes: 1024, name: "dup" };
    expect(() => new RpcServer({ ...options, programs: [sysOnlyProgram, sysOnlyProgram] })).toThrow(/registered twice/);
  });

  it("answers a NULL call with the exact accepted SUCCESS reply", async () => {
    const h = await start();
    const c = await h.client();
    // xid 0x0badcafe, CALL, rpcvers 2, prog, vers 1, proc 0, AUTH_NONE cred and verifier
    c.write(hex(`80000028 0badcafe 00000000 00000002 20000001 00000001 00000000 ${"00000000".repeat(4)}`));
    const reply = await c.nextRecord();
    expect(reply.toString("hex")).toBe(hex("0badcafe 00000001 00000000 00000000 00000000 00000000").toString("hex"));
  });

  it("passes the decoded AUTH_SYS credential and the peer to the handler", async () => {
    const h = await start();
    const c = await h.client();
    const sys = { stamp: 77, machineName: "client.example", uid: 1000, gid: 100, gids: [100, 27, 4] };
    const { reply, results } = await c.call({ prog: TEST_PROG, vers: 1, proc: 2, sys });
    expect(reply).toMatchObject({ status: "accepted", acceptStat: SUCCESS });
    expect(results.u32()).toBe(AUTH_SYS);
    expect(results.string(64)).toBe("127.0.0.1");
    expect(results.u32()).toBe(h.port);
    expect(results.bool()).toBe(true);
    expect([results.u32(), results.string(255), results.u32(), results.u32()]).toEqual([77, "client.example", 1000, 100]);
    const count = results.u32();
    expect(Array.from({ length: count }, () => results.u32())).toEqual([100, 27, 4]);
  });

  it("answers unknown programs, versions and procedures", async () => {
    const h = await start();
    const c = await h.client();
    expect((await c.call({ prog: 0x2000_0099, vers: 1, proc: 0 })).reply).toMatchObject({ acceptStat: PROG_UNAVAIL });
    expect((await c.call({ prog: TEST_PROG, vers: 2, proc: 0 })).reply).toEqual({
      xid: expect.any(Number),
      status: "accepted",
      acceptStat: PROG_MISMATCH,
      mismatch: { low: 1, high: 3 },
    });
    expect((await c.call({ prog: TEST_PROG, vers: 3, proc: 1 })).reply).toMatchObject({ acceptStat: PROC_UNAVAIL });
    expect((await c.call({ prog: TEST_PROG, vers: 3, proc: 0 })).reply).toMatchObject({ acceptStat: SUCCESS });
  });

  it("answers undecodable arguments with GARBAGE_ARGS and keeps the connection", async () => {
    const h = await start();
    const c = await h.client();
    expect((await c.call({ prog: TEST_PROG, vers: 1, proc: 1 })).reply).toMatchObject({
      status: "accepted",
      acceptStat: GARBAGE_ARGS,
    });
    const { results } = await c.call({ prog: TEST_PROG, vers: 1, proc: 1, args: u32(5) });
    expect(results.u32()).toBe(5);
  });

  it("answers failing handlers with SYSTEM_ERR, logs each failure once, keeps the connection", async () => {
    const h = await start();
    const c = await h.client();
    expect((await c.call({ prog: TEST_PROG, vers: 1, proc: 4 })).reply).toMatchObject({ acceptStat: SYSTEM_ERR });
    expect((await c.call({ prog: TEST_PROG, vers: 1, proc: 5 })).reply).toMatchObject({ acceptStat: SYSTEM_ERR });
    const errors = h.logs.filter((l) => l.level === ERROR);
    expect(errors.map((l) => (l.err as { message: string }).message)).toEqual(["handler exploded", "async handler exploded"]);
    expect(errors.map((l) => l.proc)).toEqual(["THROW", "REJECT"]);
    expect((await c.call({ prog: TEST_PROG, vers: 1, proc: 0 })).reply).toMatchObject({ acceptStat: SUCCESS });
  });

  it("denies rpcvers 3 with RPC_MISMATCH 2..2", async () => {
    const h = await start();
    const c = await h.client();
    c.write(hex(`80000028 00000009 00000000 00000003 20000001 00000001 00000000 ${"00000000".repeat(4)}`));
    const reply = await c.nextRecord();
    expect(reply.toString("hex")).toBe(hex("00000009 00000001 00000001 00000000 00000002 00000002").toString("hex"));
    await expectServes(h);
  });

  it("denies a flavor the program refuses with AUTH_TOOWEAK, but not on NULL", async () => {
    const h = await start();
    const c = await h.client();
    expect((await c.call({ prog: SYS_ONLY_PROG, vers: 1, proc: 1 })).reply).toEqual({
      xid: expect.any(Number),
      status: "denied",
      rejectStat: AUTH_ERROR,
      mismatch: null,
      authStat: AUTH_TOOWEAK,
    });
    const sys = { stamp: 0, machineName: "m", uid: 0, gid: 0, gids: [] };
    expect((await c.call({ prog: SYS_ONLY_PROG, vers: 1, proc: 1, sys })).reply).toMatchObject({ acceptStat: SUCCESS });
    expect((await c.call({ prog: SYS_ONLY_PROG, vers: 1, proc: 0 })).reply).toMatchObject({ acceptStat: SUCCESS });
  });

  it("denies a malformed AUTH_SYS credential with AUTH_BADCRED", async () => {
    const h = await start();
    const c = await h.client();
    // AUTH_SYS body of 8 bytes: a stamp and a machine-name length with no name behind it.
    c.sendRecord(hex("00000005 00000000 00000002 20000001 00000001 00000000 00000001 00000008 00000000 00000004 00000000 00000000"));
    const reply = decodeReply(new XdrReader(await c.nextRecord()));
    expect(reply).toMatchObject({ xid: 5, status: "denied", rejectStat: AUTH_ERROR, authStat: AUTH_BADCRED });
  });

  it("assembles a record sent as several fragments", async () => {
    const h = await start();
    const c = await h.client();
    const call = hex(`00000011 00000000 00000002 20000001 00000001 00000001 ${"00000000".repeat(4)} 00000063`);
    c.write(Buffer.concat([hex("0000000a"), call.subarray(0, 10), hex("00000000"), hex("00000014"), call.subarray(10, 30)]));
    c.write(Buffer.concat([hex("8000000e"), call.subarray(30)]));
    const r = new XdrReader(await c.nextRecord());
    expect(decodeReply(r)).toMatchObject({ xid: 0x11, acceptStat: SUCCESS });
    expect(r.u32()).toBe(0x63);
  });

  it("assembles a record written one byte at a time", async () => {
    const h = await start();
    const c = await h.client();
    const call = hex(`8000002c 00000012 00000000 00000002 20000001 00000001 00000001 ${"00000000".repeat(4)} 00000064`);
    for (const byte of call) {
      c.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    const r = new XdrReader(await c.nextRecord());
    expect(decodeReply(r)).toMatchObject({ xid: 0x12, acceptStat: SUCCESS });
    expect(r.u32()).toBe(0x64);
  });

  it("sends a reply made of several chunks intact", async () => {
    const h = await start();
    const c = await h.client();
    const { reply, results } = await c.call({ prog: TEST_PROG, vers: 1, proc: 6 });
    expect(reply).toMatchObject({ acceptStat: SUCCESS });
    expect(results.u32()).toBe(1);
    expect(results.opaqueVar(1 << 20).equals(BIG_PAYLOAD)).toBe(true);
    expect(results.u32()).toBe(2);
  });

  it("keeps a large record's bytes until its call is over, then reuses its buffer safely", async () => {
    const h = await start({ maxRecordBytes: 1 << 20 });
    const c = await h.client();
    const opaque = (data: Buffer) => new XdrWriter().opaqueVar(data).toBuffer();
    const digest = (data: Buffer) => createHash("sha256").update(data).digest("hex");
    // Several records larger than a socket chunk, all parked at once: each in its own buffer.
    const payloads = Array.from({ length: 3 }, () => randomBytes(300_000));
    const xids = payloads.map((p) => c.send({ prog: TEST_PROG, vers: 1, proc: 7, args: opaque(p) }));
    await until(() => h.gate.parked === payloads.length, "the calls to park");
    h.gate.open();
    for (const [i, xid] of xids.entries()) {
      const r = new XdrReader(await c.replyTo(xid));
      expect(decodeReply(r)).toMatchObject({ xid, acceptStat: SUCCESS });
      expect(r.opaqueFixed(32).toString("hex")).toBe(digest(payloads[i]!));
    }
    // Later records land in reused buffers while nothing refers to the earlier ones.
    for (let round = 0; round < 3; round++) {
      const payload = randomBytes(250_000);
      const xid = c.send({ prog: TEST_PROG, vers: 1, proc: 7, args: opaque(payload) });
      await until(() => h.gate.parked === 1, "the call to park");
      h.gate.open();
      const r = new XdrReader(await c.replyTo(xid));
      expect(decodeReply(r)).toMatchObject({ xid, acceptStat: SUCCESS });
      expect(r.opaqueFixed(32).toString("hex")).toBe(digest(payload));
    }
  });

  it("stops starting calls while the client does not read its replies", async () => {
    const h = await start();
    const c = await h.client();
    c.socket.pause();
    const calls = 300; // 60 MB of replies, far more than the socket buffers hold
    for (let i = 0; i < calls; i++) c.send({ prog: TEST_PROG, vers: 1, proc: 6 });
    await until(() => h.bigReplies.count > 0, "the first reply");
    await new Promise((r) => setTimeout(r, 200));
    expect(h.bigReplies.count).toBeLessThan(calls / 2);
    c.socket.resume();
    for (let i = 0; i < calls; i++) {
      const r = new XdrReader(await c.nextRecord());
      expect(decodeReply(r)).toMatchObject({ acceptStat: SUCCESS });
    }
    expect(h.bigReplies.count).toBe(calls);
  });

  it("drops a connection announcing a record over the limit, logs it once, keeps serving", async () => {
    const h = await start({ maxRecordBytes: 4096 });
    const c = await h.client();
    c.write(Buffer.concat([recordMark(5000), Buffer.alloc(1000)]));
    await c.closed();
    const warnings = h.logs.filter((l) => l.level === WARN);
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!.reason)).toMatch(/exceeds the limit of 4096/);
    await expectServes(h);
  });

  it("drops a connection that sends something other than a call, logging once", async () => {
    const h = await start();
    const c = await h.client();
    // Two REPLY messages in one write: one warning, one close.
    c.write(hex("80000008 00000001 00000001 80000008 00000002 00000001"));
    await c.closed();
    expect(h.logs.filter((l) => l.level === WARN)).toHaveLength(1);
    const truncated = await h.client();
    truncated.write(hex("80000008 00000001 00000000"));
    await truncated.closed();
    expect(h.logs.filter((l) => l.level === WARN)).toHaveLength(2);
    await expectServes(h);
  });

  it("runs pipelined calls concurrently and replies as each finishes", async () => {
    const h = await start();
    const c = await h.client();
    const slow = c.send({ prog: TEST_PROG, vers: 1, proc: 3, args: u32(1) }, 101);
    const fast = c.send({ prog: TEST_PROG, vers: 1, proc: 1, args: u32(2) }, 102);
    const faster = c.send({ prog: TEST_PROG, vers: 1, proc: 1, args: u32(3) }, 103);
    const arrived: number[] = [];
    const collect = async (): Promise<void> => {
      const r = new XdrReader(await c.nextRecord());
      const reply = decodeReply(r);
      arrived.push(reply.xid);
      expect(r.u32()).toBe(reply.xid - 100);
    };
    await collect();
    await collect();
    expect(arrived).toEqual([fast, faster]);
    expect(h.server.inFlight()).toBe(1);
    h.gate.open();
    await collect();
    expect(arrived).toEqual([fast, faster, slow]);
  });

  it("pauses reading once a connection has its limit of calls in flight", async () => {
    const h = await start({ maxCallsPerConnection: 2 });
    const c = await h.client();
    for (let tag = 1; tag <= 5; tag++) c.send({ prog: TEST_PROG, vers: 1, proc: 3, args: u32(tag) }, tag);
    await until(() => h.gate.parked === 2, "two parked calls");
    await new Promise((r) => setTimeout(r, 50));
    expect(h.server.inFlight()).toBe(2);
    const tags: number[] = [];
    while (tags.length < 5) {
      h.gate.open();
      const r = new XdrReader(await c.nextRecord());
      decodeReply(r);
      tags.push(r.u32());
      expect(h.server.inFlight()).toBeLessThanOrEqual(2);
    }
    expect(tags.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it("survives a client that disconnects while its call runs", async () => {
    const h = await start();
    const c = await h.client();
    c.send({ prog: TEST_PROG, vers: 1, proc: 3, args: u32(1) });
    await until(() => h.gate.parked === 1, "the call to start");
    await c.close();
    h.gate.open();
    await until(() => h.server.inFlight() === 0, "the call to finish");
    await expectServes(h);
  });

  it("survives a record cut short by the client closing", async () => {
    const h = await start();
    const c = await h.client();
    c.write(Buffer.concat([recordMark(100), Buffer.alloc(10)]));
    c.socket.end();
    await c.closed();
    await expectServes(h);
  });

  it("answers every call sent before the client half-closes", async () => {
    const h = await start();
    const c = await h.client();
    const xid = c.send({ prog: TEST_PROG, vers: 1, proc: 3, args: u32(7) });
    c.socket.end();
    await until(() => h.gate.parked === 1, "the call to start");
    h.gate.open();
    expect(decodeReply(new XdrReader(await c.replyTo(xid)))).toMatchObject({ xid, acceptStat: SUCCESS });
    await c.closed();
  });

  it("never crashes on random garbage", async () => {
    const h = await start({ maxRecordBytes: 4096 });
    let seed = 12345;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const randomBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => random(256)));
    const garbage = (i: number): Buffer => {
      const body = randomBytes(random(160));
      switch (i % 4) {
        case 0: // unframed noise
          return body;
        case 1: // framed noise
          return Buffer.concat([recordMark(body.length), body]);
        case 2: {
          // a valid call header for our program: random version, procedure and arguments
          const header = hex(`${random(1 << 16).toString(16).padStart(8, "0")} 00000000 00000002 20000001`);
          const proc = [0, 1, 2, 4, 5, 6, 9][random(7)]!;
          const call = Buffer.concat([header, u32(random(4), proc, AUTH_NONE, 0, AUTH_NONE, 0), body]);
          return Buffer.concat([recordMark(call.length), call]);
        }
        default: {
          // a valid call with its bytes flipped here and there
          const call = hex(`00000001 00000000 00000002 20000001 00000001 00000001 00000001 00000014 ${"00000001".repeat(5)} 00000000 00000000 00000007`);
          for (let k = 0; k < 3; k++) call[random(call.length)] = random(256);
          return Buffer.concat([recordMark(call.length), call]);
        }
      }
    };
    const started = Date.now();
    const total = 2000;
    let answered = 0;
    for (let batch = 0; batch < total; batch += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, k) => {
          const socket = connect({ host: HOST, port: h.port });
          socket.on("error", () => {});
          socket.once("data", () => answered++);
          const closed = new Promise((r) => socket.once("close", r));
          socket.end(garbage(batch + k));
          await closed;
        }),
      );
    }
    expect(Date.now() - started).toBeLessThan(15_000);
    // The garbage reached every path: calls answered, handlers failing, connections dropped.
    expect(answered).toBeGreaterThan(total / 8);
    expect(h.logs.filter((l) => l.level === WARN).length).toBeGreaterThan(total / 8);
    expect(h.logs.filter((l) => l.level === ERROR).length).toBeGreaterThan(0);
    expect(h.server.inFlight()).toBe(0);
    await expectServes(h);
  });
});

describe("RpcServer.close", () => {
  it("waits for a running call, sends its reply, then closes", async () => {
    const h = await start();
    const c = await h.client();
    const xid = c.send({ prog: TEST_PROG, vers: 1, proc: 3, args: u32(9) });
    await until(() => h.gate.parked === 1, "the call to start");
    let closed = false;
    const closing = h.server.close(5000).then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    await expect(RpcClient.connect(HOST, h.port)).rejects.toThrow(/ECONNREFUSED/);
    h.gate.open();
    const r = new XdrReader(await c.replyTo(xid));
    expect(decodeReply(r)).toMatchObject({ xid, acceptStat: SUCCESS });
    expect(r.u32()).toBe(9);
    await closing;
    await c.closed();
  });

  it("gives up on a call that outlives the grace period", async () => {
    const h = await start();
    const c = await h.client();
    c.send({ prog: TEST_PROG, vers: 1, proc: 3, args: u32(9) });
    await until(() => h.gate.parked === 1, "the call to start");
    const started = Date.now();
    await h.server.close(100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    await c.closed();
    expect(h.server.inFlight()).toBe(1);
    h.gate.open();
    await until(() => h.server.inFlight() === 0, "the abandoned call to finish");
  });
});

describe("RpcServer limits", () => {
  it("closes a connection that sends more fragments than a record may have, and keeps serving", async () => {
    const h = await start();
    const c = await h.client();
    // 1-byte fragments, none of them the last: a record that never ends.
    const fragment = hex("00000001 00");
    c.write(Buffer.concat(Array.from({ length: 5000 }, () => fragment)));
    await c.closed();
    expect(h.logs.some((l) => l.level === WARN && /more than \d+ fragments/.test(String(l.reason)))).toBe(true);
    await expectServes(h);
  });

  it("closes a connection idle for idleTimeoutMs, but not one whose call is still running", async () => {
    const h = await start({ idleTimeoutMs: 150 });
    const idle = await h.client();
    await idle.call({ prog: TEST_PROG, vers: 1, proc: 0 });
    const busy = await h.client();
    const xid = busy.send({ prog: TEST_PROG, vers: 1, proc: 3, args: u32(5) });
    await idle.closed();
    await until(() => h.gate.parked === 1, "the busy call to park");
    await new Promise((r) => setTimeout(r, 400));
    expect(busy.isClosed).toBe(false);
    h.gate.open();
    const r = new XdrReader(await busy.replyTo(xid));
    expect(decodeReply(r)).toMatchObject({ xid, acceptStat: SUCCESS });
    expect(r.u32()).toBe(5);
    await busy.closed();
  });

  it("closes connections over maxConnections at once while the others keep working", async () => {
    const h = await start({ maxConnections: 2 });
    const first = await h.client();
    const second = await h.client();
    await first.call({ prog: TEST_PROG, vers: 1, proc: 0 });
    await second.call({ prog: TEST_PROG, vers: 1, proc: 0 });
    const third = await h.client();
    await third.closed();
    expect(h.server.connectionCount()).toBe(2);
    expect(h.logs.some((l) => l.level === WARN && l.msg === "RPC connection refused: too many connections")).toBe(true);
    for (const c of [first, second]) {
      const { results } = await c.call({ prog: TEST_PROG, vers: 1, proc: 1, args: u32(77) });
      expect(results.u32()).toBe(77);
    }
    await first.close();
    await until(() => h.server.connectionCount() === 1, "the first connection to go");
    await expectServes(h);
  });

  it("stops reading once records in flight reach maxInflightBytes, then serves every call", async () => {
    const record = 60_000;
    const limit = 256 * 1024;
    const h = await start({ maxInflightBytes: limit });
    const opaque = (data: Buffer) => new XdrWriter().opaqueVar(data).toBuffer();
    const digest = (data: Buffer) => createHash("sha256").update(data).digest("hex");
    const clients = await Promise.all(Array.from({ length: 8 }, () => h.client()));
    const sent = clients.flatMap((c) =>
      Array.from({ length: 4 }, () => {
        const payload = randomBytes(record);
        return { c, payload, xid: c.send({ prog: TEST_PROG, vers: 1, proc: 7, args: opaque(payload) }) };
      }),
    );
    await until(() => h.gate.parked > 0, "calls to park");
    // Give every connection time to read all it would read.
    await new Promise((r) => setTimeout(r, 300));
    // Parked calls hold their records: no more than the budget allows, plus one overdraft record.
    const maxParked = Math.ceil(limit / record) + 1;
    const maxBytes = limit + 2 * 64 * 1024 + clients.length * 64 * 1024;
    expect(h.gate.parked).toBeLessThanOrEqual(maxParked);
    expect(h.server.inflightBytes()).toBeLessThan(maxBytes);
    let mostParked = 0;
    let mostBytes = 0;
    const opener = setInterval(() => {
      mostParked = Math.max(mostParked, h.gate.parked);
      mostBytes = Math.max(mostBytes, h.server.inflightBytes());
      h.gate.open();
    }, 10);
    try {
      for (const { c, payload, xid } of sent) {
        const r = new XdrReader(await c.replyTo(xid));
        expect(decodeReply(r)).toMatchObject({ xid, acceptStat: SUCCESS });
        expect(r.opaqueFixed(32).toString("hex")).toBe(digest(payload));
      }
    } finally {
      clearInterval(opener);
    }
    expect(mostParked).toBeLessThanOrEqual(maxParked);
    expect(mostBytes).toBeLessThan(maxBytes);
    await until(() => h.server.inflightBytes() === 0, "the budget to empty");
  });
});

describe("RpcServer limits after the client half-closes", () => {
  it("answers calls sent before FIN that the spent budget held back", async () => {
    const h = await start({ maxInflightBytes: 128 * 1024 });
    const opaque = (data: Buffer) => new XdrWriter().opaqueVar(data).toBuffer();
    // Another client's parked calls spend the budget.
    const greedy = await h.client();
    const held = Array.from({ length: 4 }, () => greedy.send({ prog: TEST_PROG, vers: 1, proc: 7, args: opaque(randomBytes(60_000)) }));
    await until(() => h.server.inflightBytes() >= 128 * 1024, "the budget to be spent");
    const c = await h.client();
    const xids = [c.send({ prog: TEST_PROG, vers: 1, proc: 1, args: u32(1) }), c.send({ prog: TEST_PROG, vers: 1, proc: 1, args: u32(2) })];
    c.socket.end();
    await new Promise((r) => setTimeout(r, 100));
    const opener = setInterval(() => h.gate.open(), 10);
    try {
      for (const xid of xids) expect(decodeReply(new XdrReader(await c.replyTo(xid)))).toMatchObject({ xid, acceptStat: SUCCESS });
      for (const xid of held) expect(decodeReply(new XdrReader(await greedy.replyTo(xid)))).toMatchObject({ xid, acceptStat: SUCCESS });
    } finally {
      clearInterval(opener);
    }
    await c.closed();
  });
});

describe("duplicate request cache", () => {
  const countCall = (arg: number) => ({ prog: TEST_PROG, vers: 1, proc: 10, args: u32(arg) });

  it("answers a resend of a non-idempotent call from the cache, on the same or a new connection", async () => {
    const h = await start({ drcEntries: 16 });
    const c = await h.client();
    const first = c.send(countCall(1), 500);
    const original = await c.replyTo(first);
    c.send(countCall(1), 500);
    expect((await c.replyTo(500)).equals(original)).toBe(true);
    const again = await h.client();
    again.send(countCall(1), 500);
    expect((await again.replyTo(500)).equals(original)).toBe(true);
    expect(h.counted.count).toBe(1);
  });

  it("runs a call with the same xid but other arguments, or another xid, again", async () => {
    const h = await start({ drcEntries: 16 });
    const c = await h.client();
    c.send(countCall(1), 600);
    await c.replyTo(600);
    c.send(countCall(2), 600);
    const other = new XdrReader(await c.replyTo(600));
    decodeReply(other);
    expect(other.u32()).toBe(2);
    c.send(countCall(1), 601);
    await c.replyTo(601);
    expect(h.counted.count).toBe(3);
  });

  it("drops a resend while the original still runs, then answers the original once", async () => {
    const h = await start({ drcEntries: 16 });
    const c = await h.client();
    c.send({ prog: TEST_PROG, vers: 1, proc: 11 }, 700);
    await until(() => h.gate.parked === 1, "the call to park");
    c.send({ prog: TEST_PROG, vers: 1, proc: 11 }, 700);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.gate.parked).toBe(1);
    h.gate.open();
    const reply = new XdrReader(await c.nextRecord());
    expect(decodeReply(reply)).toMatchObject({ xid: 700, acceptStat: SUCCESS });
    expect(reply.u32()).toBe(1);
    // The next record is the answer to a later call, not a second reply to 700.
    c.send({ prog: TEST_PROG, vers: 1, proc: 0 }, 701);
    expect(decodeReply(new XdrReader(await c.nextRecord())).xid).toBe(701);
  });

  it("keeps the reply of a call whose client disconnected, for the resend on a new connection", async () => {
    const h = await start({ drcEntries: 16 });
    const lost = await h.client();
    lost.send({ prog: TEST_PROG, vers: 1, proc: 11 }, 800);
    await until(() => h.gate.parked === 1, "the call to park");
    await lost.close();
    h.gate.open();
    await until(() => h.server.inFlight() === 0, "the call to finish");
    const c = await h.client();
    c.send({ prog: TEST_PROG, vers: 1, proc: 11 }, 800);
    const r = new XdrReader(await c.replyTo(800));
    expect(decodeReply(r)).toMatchObject({ xid: 800, acceptStat: SUCCESS });
    expect(r.u32()).toBe(1);
    expect(h.counted.count).toBe(1);
  });

  it("keeps at most drcEntries replies, the newest", async () => {
    const h = await start({ drcEntries: 2 });
    const c = await h.client();
    for (const xid of [900, 901, 902]) {
      c.send(countCall(0), xid);
      await c.replyTo(xid);
    }
    c.send(countCall(0), 900); // evicted: runs again
    await c.replyTo(900);
    c.send(countCall(0), 902); // still cached
    await c.replyTo(902);
    expect(h.counted.count).toBe(4);
  });
});
