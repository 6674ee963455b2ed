/**
 * One order per file across content and metadata, as real clients see it: WRITEs racing
 * truncations never leave a size that covers bytes the content does not hold (zeros), and a WRITE
 * racing the removal of its file never leaves the file's bytes behind in the content store. Both
 * with SQLite metadata and with PostgreSQL, whose round trips widen every window between a
 * metadata step and a content step.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2eServer, type ServerOptions } from "./helpers/harness.js";
import { type PostgresServer, startPostgres } from "./helpers/postgres.mjs";

/** Regular files under `dir`, recursively (the fs content store's objects). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((name) => statSync(join(dir, name)).isFile());
}

let postgres: PostgresServer | undefined;
afterAll(async () => {
  await postgres?.stop();
});

const METADATA: Array<{ name: string; options: () => Promise<{ options: ServerOptions; env: Record<string, string> }> }> = [
  { name: "sqlite", options: async () => ({ options: { metadata: "sqlite", content: "fs" }, env: {} }) },
  {
    name: "postgres",
    options: async () => {
      postgres ??= await startPostgres();
      const database = await postgres.createDatabase();
      const { host, port, user, password } = postgres;
      return {
        options: { metadata: { postgres: { host, port, database, user, passwordEnv: "E2E_PG_PASSWORD" } }, content: "fs" },
        env: { E2E_PG_PASSWORD: password },
      };
    },
  },
];

describe.each(METADATA)("WRITE, truncate and REMOVE of one file from several clients ($name metadata)", ({ options }) => {
  let server: E2eServer;

  beforeAll(async () => {
    const { options: serverOptions, env } = await options();
    server = await E2eServer.start(serverOptions, env);
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it("never shows zeros where a racing WRITE and truncate leave a size", async () => {
    const text = "x".repeat(8192);
    const setup = await server.client();
    await setup.bytes("write", "/raced.txt", text);
    const [writer, truncater, checker] = await Promise.all([server.client(), server.client(), server.client()]);
    const [, , seen] = await Promise.all([
      writer.bytes("race-pwrite", "/raced.txt", "400", text),
      truncater.bytes("race-truncate", "/raced.txt", "400"),
      checker.json<{ reads: number; bad: number }>("race-check", "/raced.txt", "400", "x"),
    ]);
    expect(seen).toEqual({ reads: 400, bad: 0 });
    // Whatever came last, the file is either empty or the text, never a size over zeros.
    const final = (await checker.bytes("cat", "/raced.txt")).toString();
    expect(["", text]).toContain(final);
  });

  it("leaves no content behind for a file removed while it is written", async () => {
    const before = filesUnder(join(server.dir, "content"));
    const [writer, remover] = await Promise.all([server.client(), server.client()]);
    const [rounds] = await Promise.all([
      writer.json<{ done: number; failed: number }>("race-recreate", "/doomed.txt", "300", "y".repeat(4096)),
      remover.bytes("race-unlink", "/doomed.txt", "600"),
    ]);
    expect(rounds.done).toBe(300);
    await remover.bytes("race-unlink", "/doomed.txt", "1");
    // A restart flushes every cached write to the store: an orphan would show as a file now.
    await server.restart();
    expect(filesUnder(join(server.dir, "content"))).toEqual(before);
  });
});
