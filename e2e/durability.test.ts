/**
 * What a client was told is stable survives `kill -9`: data written FILE_SYNC or UNSTABLE +
 * COMMIT, the namespace around it, and the file handles the client holds. A graceful SIGTERM
 * exits 0 and loses nothing either.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { useDittofs } from "./helpers/harness.js";
import {
  type CheckPatternJson,
  type DigestJson,
  type PatternJson,
  type RawJson,
  type StatJson,
  patternBytes,
  sha256,
} from "./helpers/nfsclient.mjs";

const MiB = 1024 * 1024;
/** ftype3 NF3REG (RFC 1813 §2.6). */
const NF3REG = 1;

interface Written extends PatternJson {
  path: string;
}

describe("durability across kill -9 (sqlite + fs)", () => {
  const dittofs = useDittofs();
  const files: Written[] = [];

  beforeAll(async () => {
    const c = await dittofs().client();
    for (const [path, size, seed, mode] of [
      ["/committed.bin", 8 * MiB + 123, 11, "commit"],
      ["/synced.bin", 3 * MiB + 5, 12, "sync"],
    ] as const) {
      const written = await c.json<PatternJson>("write-pattern", path, String(size), String(seed), mode);
      expect(written.sha256).toBe(sha256(patternBytes(0, size, seed)));
      files.push({ path, ...written });
    }
    await c.bytes("mkdir", "/dir");
    await c.bytes("write", "/dir/draft.txt", "final words");
    await c.bytes("rename", "/dir/draft.txt", "/dir/final.txt");
    await c.bytes("link", "/synced.bin", "/dir/synced-link.bin");

    const killed = await dittofs().server.kill9();
    expect(killed.signal).toBe("SIGKILL");
    await dittofs().restart();
  });

  it("reads every acknowledged byte back after the restart", async () => {
    const c = await dittofs().client();
    for (const file of files) {
      expect(await c.json<DigestJson>("read-sha256", file.path), file.path).toEqual({ size: file.size, sha256: file.sha256 });
    }
  });

  it("keeps inode numbers and the namespace", async () => {
    const c = await dittofs().client();
    for (const file of files) expect((await c.json<StatJson>("stat", file.path)).ino, file.path).toBe(file.ino);
    expect((await c.lines("readdir", "/dir")).filter((n) => n !== "." && n !== "..").sort()).toEqual([
      "final.txt",
      "synced-link.bin",
    ]);
    expect((await c.bytes("cat", "/dir/final.txt")).toString()).toBe("final words");
    expect((await c.json<StatJson>("stat", "/dir/synced-link.bin")).nlink).toBe(2);
  });

  it("accepts the file handles issued before the crash", async () => {
    const c = await dittofs().client();
    for (const file of files) {
      expect(await c.json<RawJson>("fh-getattr", file.fh), file.path).toMatchObject({
        status: 0,
        type: NF3REG,
        ino: file.ino,
        size: file.size,
      });
      expect(await c.json<RawJson>("fh-read", file.fh), file.path).toEqual({ status: 0, size: file.size, sha256: file.sha256 });
    }
  });

  it("exits 0 on SIGTERM and keeps everything over a graceful restart", async () => {
    const c = await dittofs().client();
    await c.bytes("write", "/late.txt", "written just before shutdown");

    const status = await dittofs().server.stop();
    expect(status).toEqual({ code: 0, signal: null });
    await dittofs().restart();

    const after = await dittofs().client();
    expect((await after.bytes("cat", "/late.txt")).toString()).toBe("written just before shutdown");
    for (const file of files) {
      expect(await after.json<RawJson>("fh-read", file.fh), file.path).toEqual({ status: 0, size: file.size, sha256: file.sha256 });
    }
  });
});

describe("kill -9 in the middle of a large write (sqlite + fs)", () => {
  const dittofs = useDittofs();

  it("restarts cleanly, keeps committed files, and the torn file holds only written bytes or zeros", async () => {
    const c = await dittofs().client();
    const committed = await c.json<PatternJson>("write-pattern", "/before.bin", String(MiB), "41", "commit");
    const size = 512 * MiB;
    const writing = c.run("write-pattern", "/torn.bin", String(size), "42", "unstable");

    const observer = await dittofs().client();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const stat = await observer.run("stat", "/torn.bin");
      if (stat.code === 0 && (JSON.parse(stat.stdout.toString()) as StatJson).size >= 16 * MiB) break;
      expect(Date.now(), "the write never reached 16 MiB").toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await dittofs().server.kill9();
    const writer = await writing;
    expect(writer.code, "the writer should have lost its server mid-way").not.toBe(0);

    await dittofs().restart();
    const after = await dittofs().client();
    expect(await after.json<DigestJson>("read-sha256", "/before.bin")).toEqual({ size: MiB, sha256: committed.sha256 });
    const torn = await after.json<CheckPatternJson>("check-pattern", "/torn.bin", "42");
    expect(torn.other, `first foreign byte at ${torn.first_other}`).toBe(0);
    expect(torn.size).toBeLessThanOrEqual(size);

    await after.json("write-pattern", "/torn.bin", String(MiB), "43", "commit");
    expect(await after.json<CheckPatternJson>("check-pattern", "/torn.bin", "43")).toEqual({
      size: MiB,
      matching: MiB,
      zeros: 0,
      other: 0,
      first_other: -1,
    });
  });
});
