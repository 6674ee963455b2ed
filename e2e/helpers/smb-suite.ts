/**
 * The server and clients of a raw-client SMB test file: registers the vitest hooks that start a
 * server with these users and shares, drop each test's connections after it, check the server
 * is alive and logged no internal error, and stop it at the end.
 */
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { E2eServer } from "./harness.js";
import { freePort } from "./ports.mjs";
import { prepareSmb, smbServer, type SmbTestUser } from "./smb.js";
import { SmbRawClient } from "./smbraw.js";

export interface RawSmbSuite {
  readonly server: E2eServer;
  readonly port: number;
  /** Connects, negotiates, logs on and connects to `share`; the connection goes after the test. */
  logon(user: string, password: string, share?: string, clientGuid?: Buffer): Promise<SmbRawClient>;
  /** Drops `client` after the test. */
  track<T extends { destroy(): void }>(client: T): T;
}

export function useRawSmbServer(users: readonly SmbTestUser[], shares: Parameters<typeof smbServer>[2]): RawSmbSuite {
  let server: E2eServer | undefined;
  let port = 0;
  let logChecked = 0;
  const clients: Array<{ destroy(): void }> = [];
  const suite: RawSmbSuite = {
    get server() {
      if (!server) throw new Error("the SMB test server is not started");
      return server;
    },
    get port() {
      return port;
    },
    async logon(user, password, share = "export", clientGuid) {
      return suite.track(await SmbRawClient.logon(port, user, password, share, clientGuid));
    },
    track(client) {
      clients.push(client);
      return client;
    },
  };

  beforeAll(async () => {
    await prepareSmb();
    port = await freePort();
    server = await E2eServer.start(...smbServer(port, users, shares));
  });

  afterEach((context) => {
    for (const client of clients.splice(0)) client.destroy();
    const running = suite.server.server;
    if (context.task.result?.state === "fail") console.error(running.describe());
    expect(running.alive, running.describe()).toBe(true);
    const lines = running.stdoutLines.slice(logChecked);
    logChecked += lines.length;
    expect(lines.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
  });

  afterAll(async () => {
    await server?.dispose();
  });

  return suite;
}
