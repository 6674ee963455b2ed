import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LOG_FILE, prepareLogFile } from "./log-file.js";

describe("the host's log file", () => {
  let work: string;
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it("makes the folder and leaves a small log where it is", () => {
    work = mkdtempSync(join(tmpdir(), "dittofs-logs-"));
    const dir = join(work, "logs", "nested");
    expect(prepareLogFile(dir, 100)).toBe(join(dir, LOG_FILE));
    expect(readdirSync(dir)).toEqual([]);
    writeFileSync(join(dir, LOG_FILE), "x".repeat(100));
    prepareLogFile(dir, 100);
    expect(readdirSync(dir)).toEqual([LOG_FILE]);
  });

  it("moves a log over the limit to .1, replacing the older one: one generation kept", () => {
    work = mkdtempSync(join(tmpdir(), "dittofs-logs-"));
    const path = join(work, LOG_FILE);
    writeFileSync(`${path}.1`, "the oldest");
    writeFileSync(path, "y".repeat(101));
    expect(prepareLogFile(work, 100)).toBe(path);
    expect(readdirSync(work).sort()).toEqual([LOG_FILE + ".1"]);
    expect(readFileSync(`${path}.1`, "utf8")).toBe("y".repeat(101));
  });
});
