import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { fsError } from "../../errors.js";
import type { RpcCall } from "../../protocol/rpc/types.js";
import { NfsContext } from "./context.js";

const CALL: RpcCall = {
  xid: 7,
  prog: 100003,
  vers: 3,
  proc: 1,
  cred: { flavor: 0, sys: null },
  remoteAddress: "127.0.0.1",
  remotePort: 999,
  localPort: 2049,
};

function capturingContext(): { ctx: NfsContext; lines: Array<{ level: number; msg: string; proc?: string }> } {
  const lines: Array<{ level: number; msg: string; proc?: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { ctx: new NfsContext(pino({ level: "debug" }, sink)), lines };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("NfsContext.fail", () => {
  it("answers an unexpected exception with NFS3ERR_SERVERFAULT and logs it once as an error", async () => {
    const { ctx, lines } = capturingContext();
    expect(ctx.fail(CALL, "GETATTR", new TypeError("undefined is not a function"))).toBe(10006);
    await flush();
    expect(lines.filter((l) => l.level >= 50)).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, proc: "GETATTR" });
  });

  it("answers an FsError with its status and logs it only at debug level", async () => {
    const { ctx, lines } = capturingContext();
    expect(ctx.fail(CALL, "LOOKUP", fsError("NotFound", "no entry"))).toBe(2);
    await flush();
    expect(lines.every((l) => l.level === 20)).toBe(true);
  });
});

describe("NfsContext", () => {
  it("draws a fresh 8-byte write verifier for every adapter instance", () => {
    const a = new NfsContext(pino({ level: "silent" }));
    const b = new NfsContext(pino({ level: "silent" }));
    expect(a.writeVerifier).toHaveLength(8);
    expect(a.writeVerifier.equals(b.writeVerifier)).toBe(false);
  });

  it("refuses to serve before a registry is set", () => {
    const ctx = new NfsContext(pino({ level: "silent" }));
    expect(() => ctx.registry).toThrow(/setRegistry/);
  });
});
