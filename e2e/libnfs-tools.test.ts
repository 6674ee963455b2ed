/**
 * libnfs' own command-line clients (nfs-ls, nfs-cp, nfs-cat) against dittofs with sqlite + fs
 * stores.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { useDittofs } from "./helpers/harness.js";
import { type DigestJson, type StatJson, fileSha256, nfsCat, nfsCp, nfsLs, writeRandomFile } from "./helpers/nfsclient.mjs";

const MiB = 1024 * 1024;

describe("libnfs tools", () => {
  const dittofs = useDittofs();
  const local = mkdtempSync(join(tmpdir(), "dittofs-e2e-local-"));
  afterAll(() => rmSync(local, { recursive: true, force: true }));

  it("nfs-ls lists what the export holds, with sizes", async () => {
    const client = await dittofs().client();
    await client.bytes("write", "/hello.txt", "hello, dittofs\n");
    await client.bytes("mkdir", "/docs");

    const entries = await nfsLs(dittofs().url());
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    expect([...byName.keys()].sort()).toEqual(["docs", "hello.txt"]);
    expect(byName.get("hello.txt")).toMatchObject({ size: 15, nlink: 1 });
    expect(byName.get("hello.txt")!.mode).toMatch(/^-rw-r--r--/);
    expect(byName.get("docs")!.mode).toMatch(/^d/);
  });

  it("nfs-cat prints a small file", async () => {
    const client = await dittofs().client();
    const text = "Small file\nwith two lines ✓\n";
    await client.bytes("write", "/small.txt", text);

    expect((await nfsCat(dittofs().url({ path: "/small.txt" }))).toString("utf8")).toBe(text);
  });

  it("nfs-cp copies 256 MiB in and back out unchanged", async () => {
    const size = 256 * MiB;
    const source = join(local, "random.bin");
    const back = join(local, "random.back");
    const sha = writeRandomFile(source, size);
    const remote = dittofs().url({ path: "/random.bin" });

    await nfsCp(source, remote);
    const client = await dittofs().client();
    expect(await client.json<StatJson>("stat", "/random.bin")).toMatchObject({ type: "file", size });
    expect(await client.json<DigestJson>("read-sha256", "/random.bin")).toEqual({ size, sha256: sha });

    await nfsCp(remote, back);
    expect(await fileSha256(back)).toBe(sha);
  });
});
