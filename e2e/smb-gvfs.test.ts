/**
 * A share mounted the way a Linux desktop mounts it without root: gvfs (`gio mount smb://…`)
 * through FUSE, on a private D-Bus. A tree of files goes in and comes out with plain cp, is
 * renamed and deleted, and every byte is checked — and the tree is the same over NFS.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { E2eServer } from "./helpers/harness.js";
import { writeRandomFile } from "./helpers/nfsclient.mjs";
import { freePort } from "./helpers/ports.mjs";
import { run } from "./helpers/proc.mjs";
import { requireTools } from "./helpers/tools.mjs";

const PASSWORD = "gvfs pass phrase";
const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;

/** Every file under `dir` → its sha256, by path relative to `dir`. */
function checksums(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = createHash("sha256").update(readFileSync(path)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

describe("SMB through a gvfs mount", () => {
  let server: E2eServer;
  let port: number;
  let work: string;

  beforeAll(async () => {
    await requireTools(["smbclient", "gvfs-smb", "gvfs-fuse", "dbus-run-session"]);
    port = await freePort();
    server = await E2eServer.start(
      {
        smb: { enabled: true, port, users: [{ name: "bob", password: "env:DITTOFS_E2E_GVFS_PASSWORD", uid, gid }] },
        shares: [{ name: "/export", root: { uid, gid, mode: 0o755 } }],
      },
      { DITTOFS_E2E_GVFS_PASSWORD: PASSWORD },
    );
    work = mkdtempSync(join(tmpdir(), "dittofs-gvfs-"));
  });

  afterEach((context) => {
    if (context.task.result?.state === "fail" && server) console.error(server.server.describe());
  });

  afterAll(async () => {
    await server?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Runs `script` with $M the mounted share, inside a private D-Bus session with gvfs. */
  async function withMount(script: string): Promise<string> {
    const home = join(work, "home");
    const runtime = join(work, "run");
    mkdirSync(home, { recursive: true });
    mkdirSync(runtime, { recursive: true, mode: 0o700 });
    const url = `smb://127.0.0.1:${port}/export/`;
    const wrapped = [
      "set -e",
      `printf 'bob\\nWORKGROUP\\n%s\\n' "$SMB_PASSWORD" | gio mount '${url}' >/dev/null`,
      `M="$XDG_RUNTIME_DIR/gvfs/smb-share:port=${port},server=127.0.0.1,share=export"`,
      `trap "gio mount -u '${url}' >/dev/null 2>&1 || true" EXIT`,
      script,
    ].join("\n");
    const result = await run("dbus-run-session", ["--", "bash", "-c", wrapped], {
      env: { ...process.env, HOME: home, XDG_RUNTIME_DIR: runtime, SMB_PASSWORD: PASSWORD, WORK: work },
      timeoutMs: 180_000,
    });
    if (result.code !== 0) throw new Error(`gvfs script failed (exit ${result.code}):\n${result.stdout}${result.stderr}`);
    return result.stdout.toString();
  }

  it("copies a tree in and out with cp -r, renames and deletes, byte for byte", async () => {
    const tree = join(work, "tree");
    mkdirSync(join(tree, "docs", "deep"), { recursive: true });
    writeRandomFile(join(tree, "big.bin"), 24 * 1024 * 1024 + 7);
    for (let i = 0; i < 40; i++) writeFileSync(join(tree, "docs", `note-${i}.txt`), `note ${i}\n`.repeat(i + 1));
    writeFileSync(join(tree, "docs", "deep", "empty.txt"), "");
    writeFileSync(join(tree, "docs", "deep", "ünïcödé name.txt"), "unicode\n");
    const want = checksums(tree);

    await withMount(`
      cp -r "$WORK/tree" "$M/tree"
      mv "$M/tree/docs/note-0.txt" "$M/tree/docs/renamed.txt"
      rm "$M/tree/docs/note-1.txt"
      cp -r "$M/tree" "$WORK/back"
    `);

    const expected: Record<string, string> = { ...want, "docs/renamed.txt": want["docs/note-0.txt"]! };
    delete expected["docs/note-0.txt"];
    delete expected["docs/note-1.txt"];
    expect(checksums(join(work, "back"))).toEqual(expected);
    // The same bytes over NFS, from the same stores.
    const nfs = await server.client();
    expect((await nfs.bytes("cat", "/tree/docs/renamed.txt")).toString()).toBe("note 0\n");
  });

  it("removes the tree through the mount, and the share is empty again", async () => {
    const output = await withMount(`
      rm -r "$M/tree"
      echo "LISTING[$(ls -A "$M")]"
    `);
    // gvfs' SMB library prints its own notes on stdout; the listing is between the markers.
    expect(/LISTING\[([^\]]*)\]/.exec(output)?.[1]).toBe("");
  });
});
