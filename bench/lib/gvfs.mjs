/**
 * A GNOME-style user mount of SMB shares without root: `gio mount smb://127.0.0.1:PORT/share/`
 * answered on stdin (user, domain, password) in a private gvfs session (e2e/helpers/gvfs.mjs).
 * Files are then copied with plain `cp` under $XDG_RUNTIME_DIR/gvfs/.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../../e2e/helpers/gvfs.mjs";
import { run } from "../../e2e/helpers/proc.mjs";
import { runWithInput } from "./run-input.mjs";

export { requireGvfs, startGvfsSession } from "../../e2e/helpers/gvfs.mjs";

/**
 * Mounts smb://127.0.0.1:`port`/`share`/ in `session` as `user`; resolves with the local
 * directory that shows the share, and an unmount function.
 */
export async function gvfsMountSmb(session, { port, share, user, password }) {
  const url = `smb://127.0.0.1:${port}/${share}/`;
  const result = await runWithInput("gio", ["mount", url], `${user}\nWORKGROUP\n${password}\n`, { env: session.env, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`gio mount ${url} failed (exit ${result.code}${result.timedOut ? ", timed out" : ""}): ${result.output}`);
  // gvfs names it like "smb-share:port=PORT,server=127.0.0.1,share=share".
  const name = await waitFor(
    () => readdirSync(session.fuseDir).find((entry) => entry.startsWith("smb-share:") && entry.includes(`port=${port}`) && entry.includes(`share=${share}`)),
    30_000,
    `${url} under ${session.fuseDir}`,
  );
  return {
    path: join(session.fuseDir, name),
    unmount: () => run("gio", ["mount", "-u", url], { env: session.env, timeoutMs: 60_000 }),
  };
}
