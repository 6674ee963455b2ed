/* global process */
/**
 * The third-party peers the tests drive. A missing peer is installed when we can (root with
 * apt-get, as on CI) and otherwise fails with the command that installs it — never a skip.
 */
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { run } from "./proc.mjs";

/** Tool → how to tell it is there, and the Debian packages that provide it. */
export const TOOLS = {
  "nfs-ls": { command: "nfs-ls", packages: ["libnfs-utils"] },
  "nfs-cp": { command: "nfs-cp", packages: ["libnfs-utils"] },
  "nfs-cat": { command: "nfs-cat", packages: ["libnfs-utils"] },
  "libnfs-dev": { file: "/usr/include/nfsc/libnfs.h", packages: ["libnfs-dev"] },
  gcc: { command: "gcc", packages: ["gcc", "libc6-dev"] },
  "ganesha.nfsd": { command: "ganesha.nfsd", packages: ["nfs-ganesha"] },
  "ganesha-vfs": { file: "/usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so", packages: ["nfs-ganesha-vfs"] },
  smbclient: { command: "smbclient", packages: ["smbclient"] },
  smbtorture: { command: "smbtorture", packages: ["samba-testsuite"] },
  "gvfs-smb": { file: "/usr/libexec/gvfsd-smb", packages: ["gvfs", "gvfs-backends", "gvfs-fuse", "dbus", "dbus-x11"] },
  "gvfs-fuse": { file: "/usr/libexec/gvfsd-fuse", packages: ["gvfs-fuse"] },
  "dbus-run-session": { command: "dbus-run-session", packages: ["dbus"] },
  "dbus-daemon": { command: "dbus-daemon", packages: ["dbus"] },
  "gnome-keyring": { command: "gnome-keyring-daemon", packages: ["gnome-keyring"] },
};

/** The tools an NFS e2e test needs. */
export const NFS_CLIENT_TOOLS = ["nfs-ls", "nfs-cp", "nfs-cat", "libnfs-dev", "gcc"];

function onPath(command) {
  const dirs = (process.env.PATH ?? "").split(delimiter).concat(["/usr/sbin", "/sbin"]);
  return dirs.some((dir) => dir && existsSync(join(dir, command)));
}

function present(tool) {
  const spec = TOOLS[tool];
  if (!spec) throw new Error(`unknown tool ${tool}`);
  return spec.file ? existsSync(spec.file) : onPath(spec.command);
}

function installHint(packages) {
  return `apt-get install -y ${packages.join(" ")}`;
}

/**
 * Ensures every named tool is present. Installs the missing ones with apt-get when running as
 * root; throws with the install command otherwise or when the install fails.
 */
export async function requireTools(tools) {
  let missing = tools.filter((tool) => !present(tool));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.flatMap((tool) => TOOLS[tool].packages))];
  let installLog = "";
  if (process.getuid?.() === 0 && onPath("apt-get")) {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const install = () =>
      run("apt-get", ["install", "-y", "--no-install-recommends", ...packages], { env, timeoutMs: 600_000 });
    let result = await install();
    if (result.code !== 0) {
      // A fresh machine may have no package lists yet.
      await run("apt-get", ["update"], { env, timeoutMs: 300_000 });
      result = await install();
    }
    installLog = `\n(apt-get install exited with ${result.code}: ${result.stderr.trim().split("\n").slice(-3).join(" | ")})`;
    missing = missing.filter((tool) => !present(tool));
    if (missing.length === 0) return;
  }
  throw new Error(`missing ${missing.join(", ")}: install with \`${installHint(packages)}\`${installLog}`);
}
