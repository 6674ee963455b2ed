/**
 * Samba's smbclient against a dittofs SMB port: one process per command string, the password in
 * its environment (never on the command line), failures thrown with what smbclient said.
 */
import { run, type RunResult } from "./proc.mjs";
import type { ServerOptions } from "./harness.js";
import { requireTools } from "./tools.mjs";

export interface SmbLogin {
  port: number;
  user: string;
  password: string;
}

/** smbclient's protocol and integrity options for one of the modes the tests cover. */
export const SMB_MODES = {
  "SMB 2.1, signing required": ["-m", "SMB2_10", "--option=client min protocol=SMB2_10", "--option=client signing=required"],
  "SMB 3.1.1, signing required": ["-m", "SMB3_11", "--option=client min protocol=SMB3_11", "--option=client signing=required"],
  "SMB 3.1.1, encryption required": ["-m", "SMB3_11", "--option=client min protocol=SMB3_11", "--option=client smb encrypt=required"],
} as const;

export type SmbMode = keyof typeof SMB_MODES;

export async function prepareSmb(): Promise<void> {
  await requireTools(["smbclient"]);
}

/** Runs `commands` (smbclient -c syntax) on //127.0.0.1/share; resolves with the result, whatever the exit code. */
export function smbclientRun(login: SmbLogin, share: string, commands: string, options: readonly string[] = [], cwd?: string): Promise<RunResult> {
  return run("smbclient", [`//127.0.0.1/${share}`, "-p", String(login.port), "-U", login.user, ...options, "-c", commands], {
    env: { ...process.env, PASSWD: login.password },
    timeoutMs: 120_000,
    cwd,
  });
}

/** Like smbclientRun, but a failure (non-zero exit or an NT_STATUS error) throws with smbclient's output. */
export async function smbclient(login: SmbLogin, share: string, commands: string, options: readonly string[] = [], cwd?: string): Promise<string> {
  const result = await smbclientRun(login, share, commands, options, cwd);
  const out = `${result.stdout.toString()}${result.stderr}`;
  if (result.code !== 0 || /NT_STATUS_(?!OK)/.test(out)) {
    throw new Error(`smbclient ${commands} failed (exit ${result.code}${result.timedOut ? ", timed out" : ""}):\n${out}`);
  }
  return out;
}

/** The share names `smbclient -L` lists. */
export async function listShares(login: SmbLogin, options: readonly string[] = []): Promise<string[]> {
  const result = await run("smbclient", ["-L", "//127.0.0.1", "-p", String(login.port), "-U", login.user, "-g", ...options], {
    env: { ...process.env, PASSWD: login.password },
    timeoutMs: 60_000,
  });
  const out = result.stdout.toString();
  if (result.code !== 0) throw new Error(`smbclient -L failed (exit ${result.code}):\n${out}${result.stderr}`);
  return out
    .split("\n")
    .filter((line) => line.startsWith("Disk|") || line.startsWith("IPC|"))
    .map((line) => line.split("|")[1]!);
}

/** An SMB user of a test server: its password reaches the server through an environment variable, never the config. */
export interface SmbTestUser {
  name: string;
  password: string;
  uid: number;
  gid: number;
}

/** A server with the SMB adapter on `port`, these users and shares (E2eServer.start's two arguments). */
export function smbServer(
  port: number,
  users: readonly SmbTestUser[],
  shares: ReadonlyArray<{ name: string; root: { uid: number; gid: number; mode: number } }>,
): [options: ServerOptions, env: Record<string, string>] {
  const env: Record<string, string> = {};
  const configured = users.map((user, i) => {
    env[`DITTOFS_E2E_SMB_PASSWORD_${i}`] = user.password;
    return { name: user.name, password: `env:DITTOFS_E2E_SMB_PASSWORD_${i}`, uid: user.uid, gid: user.gid };
  });
  return [{ smb: { enabled: true, port, users: configured }, shares: [...shares] }, env];
}
