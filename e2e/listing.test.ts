/**
 * A directory of 5,000 entries listed through READDIRPLUS/READDIR paging: every entry exactly
 * once, through nfs-ls and through the C client.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { useDittofs } from "./helpers/harness.js";
import { nfsLs } from "./helpers/nfsclient.mjs";

const COUNT = 5000;
const EXPECTED = Array.from({ length: COUNT }, (_, i) => `f${String(i).padStart(6, "0")}`);

function duplicates(names: string[]): string[] {
  const seen = new Set<string>();
  return names.filter((name) => (seen.has(name) ? true : (seen.add(name), false)));
}

describe(`a directory of ${COUNT} entries`, () => {
  const dittofs = useDittofs({ shares: [{ name: "/export" }, { name: "/many" }] });

  beforeAll(async () => {
    const client = await dittofs().client({ share: "/many" });
    await client.bytes("mkdir", "/sub");
    await client.json("create-many", "/sub", String(COUNT));
    // The share root gets the same names, for nfs-ls (which lists the export it mounts).
    await client.json("create-many", "", String(COUNT));
  });

  it("is listed exactly once per entry by nfs-ls", async () => {
    const names = (await nfsLs(dittofs().url({ share: "/many" }))).map((entry) => entry.name).filter((name) => name !== "sub");
    expect(duplicates(names)).toEqual([]);
    expect(names.length).toBe(COUNT);
    expect([...names].sort()).toEqual(EXPECTED);
  });

  it("is listed exactly once per entry by the C client's readdir, in a subdirectory and at the root", async () => {
    const client = await dittofs().client({ share: "/many" });
    for (const [dir, extra] of [
      ["/sub", []],
      ["/", ["sub"]],
    ] as const) {
      const names = (await client.lines("readdir", dir)).filter((name) => name !== "." && name !== "..");
      expect(duplicates(names), dir).toEqual([]);
      expect([...names].sort(), dir).toEqual([...EXPECTED, ...extra].sort());
    }
  });
});
