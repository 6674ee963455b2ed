import { describe, expect, it } from "vitest";
import { MountTable } from "./mounts.js";

describe("MountTable", () => {
  it("records each (client, path) once and forgets it on UMNT", () => {
    const t = new MountTable();
    t.add("10.0.0.1", "/a");
    t.add("10.0.0.1", "/a");
    t.add("10.0.0.2", "/a");
    expect(t.list()).toEqual([
      { hostname: "10.0.0.1", directory: "/a" },
      { hostname: "10.0.0.2", directory: "/a" },
    ]);
    t.remove("10.0.0.1", "/a");
    expect(t.list()).toEqual([{ hostname: "10.0.0.2", directory: "/a" }]);
  });

  it("forgets every mount of one client on UMNTALL", () => {
    const t = new MountTable();
    t.add("c1", "/a");
    t.add("c1", "/b");
    t.add("c2", "/a");
    t.removeHost("c1");
    expect(t.list()).toEqual([{ hostname: "c2", directory: "/a" }]);
  });

  it("drops the oldest entries past its limit", () => {
    const t = new MountTable(2);
    t.add("c1", "/a");
    t.add("c2", "/a");
    t.add("c3", "/a");
    expect(t.list().map((e) => e.hostname)).toEqual(["c2", "c3"]);
  });
});
