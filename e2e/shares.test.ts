/**
 * Shares that share one metadata store stay apart over the wire: a file handle reaches only the
 * share that issued it, so a client cannot use share A's handles (or forge them) to read or write
 * share B's files past B's read_only, allowed_clients and squash settings.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { useDittofs } from "./helpers/harness.js";
import type { HandleJson, RawJson } from "./helpers/nfsclient.mjs";

/** nfsstat3 values (RFC 1813 §2.6). */
const NFS3ERR_STALE = 70;
const NFS3ERR_BADHANDLE = 10001;

describe("two shares on one metadata store", () => {
  const dittofs = useDittofs({ shares: [{ name: "/a" }, { name: "/b" }] });
  let secret: HandleJson;
  let mine: HandleJson;

  beforeAll(async () => {
    const b = await dittofs().client({ share: "/b" });
    await b.bytes("write", "/secret.txt", "b's secret");
    secret = await b.json<HandleJson>("fh", "/secret.txt");
    const a = await dittofs().client({ share: "/a" });
    await a.bytes("write", "/mine.txt", "a's file");
    mine = await a.json<HandleJson>("fh", "/mine.txt");
    // From here on /b is read-only: a way across would show as a write that lands.
    await dittofs().restart({ shares: [{ name: "/a" }, { name: "/b", readOnly: true }] });
  });

  it("keeps issued handles valid across a restart", async () => {
    const a = await dittofs().client({ share: "/a" });
    expect(await a.json<RawJson>("fh-read", mine.fh)).toMatchObject({ status: 0, size: 8 });
    const b = await dittofs().client({ share: "/b" });
    expect(await b.json<RawJson>("fh-read", secret.fh)).toMatchObject({ status: 0, size: 10 });
  });

  it("refuses B's file under A's share id, for reads and writes", async () => {
    const aShareId = Buffer.from(mine.fh, "hex").subarray(1, 5);
    const forged = Buffer.from(secret.fh, "hex");
    aShareId.copy(forged, 1);
    const a = await dittofs().client({ share: "/a" });
    for (const call of [["fh-read", forged.toString("hex")], ["fh-getattr", forged.toString("hex")], ["fh-write", forged.toString("hex"), "0", "owned"]]) {
      const { status } = await a.json<RawJson>(...call);
      expect([NFS3ERR_BADHANDLE, NFS3ERR_STALE], call[0]).toContain(status);
    }
    const b = await dittofs().client({ share: "/b" });
    expect((await b.bytes("cat", "/secret.txt")).toString()).toBe("b's secret");
  });

  it("refuses guessed file ids next to a real one", async () => {
    const a = await dittofs().client({ share: "/a" });
    const real = Buffer.from(mine.fh, "hex");
    // Store ids are small numbers in SQLite: try the neighbours of a known one in every byte.
    for (let i = 5; i < real.length; i++) {
      for (const delta of [1, -1]) {
        const guess = Buffer.from(real);
        guess[i] = (guess[i]! + delta) & 0xff;
        const { status } = await a.json<RawJson>("fh-getattr", guess.toString("hex"));
        expect([NFS3ERR_BADHANDLE, NFS3ERR_STALE], `byte ${i} ${delta > 0 ? "+" : "-"}1`).toContain(status);
      }
    }
  });
});
