import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { CoreSupervisor, type HostChannel } from "../host/supervisor.js";
import type { FromHost, ToHost } from "../host/protocol.js";
import type { TrayNotification } from "../tray/notifications.js";
import { startCore } from "./core-start.js";

/** A host that says "ready" as soon as it is spawned, and can be made to crash. */
function hosts(log: string[]) {
  const spawned: EventEmitter[] = [];
  const spawn = (): HostChannel => {
    const host = new EventEmitter();
    spawned.push(host);
    log.push("spawn");
    setImmediate(() => host.emit("message", { kind: "ready", nfsPort: 12049, smbPort: null } satisfies FromHost));
    return {
      postMessage: (_message: ToHost) => {},
      onMessage: (listener) => void host.on("message", listener),
      onExit: (listener) => void host.on("exit", listener),
      kill: () => void host.emit("exit", null),
    };
  };
  return { spawn, spawned };
}

function control(log: string[], failures: string[], prepare: () => Promise<void> = async () => {}) {
  return {
    prepareHost: async () => {
      log.push("prepareHost");
      await prepare();
    },
    autoMount: async () => {
      log.push("autoMount");
      return failures;
    },
  };
}

describe("startCore", () => {
  it("makes the host's secrets before it starts, and mounts the auto-mount shares once it first runs", async () => {
    const log: string[] = [];
    const { spawn, spawned } = hosts(log);
    const supervisor = new CoreSupervisor(spawn, { firstRetryMs: 1 });
    const notified: TrayNotification[] = [];
    const failures = await startCore({ control: control(log, []), supervisor, notify: (n) => notified.push(n) });
    expect(failures).toEqual([]);
    expect(log).toEqual(["prepareHost", "spawn", "autoMount"]);
    expect(notified).toEqual([]);
    // A restarted host does not mount again: the drives the user unmounted since stay unmounted.
    spawned[0]!.emit("exit", 1);
    await expect.poll(() => supervisor.state().kind).toBe("running");
    expect(log).toEqual(["prepareHost", "spawn", "autoMount", "spawn"]);
  });

  it("tells in one notification which drives did not mount", async () => {
    const log: string[] = [];
    const notified: TrayNotification[] = [];
    const failures = ["Photos: mount_nfs: permission denied", "docs: docs is served over NFS only"];
    await startCore({ control: control(log, failures), supervisor: new CoreSupervisor(hosts(log).spawn), notify: (n) => notified.push(n) });
    expect(notified).toEqual([{ id: "auto-mount", title: "Could not mount 2 drives", body: failures.join("\n") }]);
  });

  it("still starts the host when its secrets could not be made, and says why", async () => {
    const log: string[] = [];
    const notified: TrayNotification[] = [];
    const locked = control(log, [], () => Promise.reject(new Error("could not read the system keychain: locked")));
    await startCore({ control: locked, supervisor: new CoreSupervisor(hosts(log).spawn), notify: (n) => notified.push(n) });
    expect(log).toEqual(["prepareHost", "spawn", "autoMount"]);
    expect(notified).toEqual([{ id: "prepare-host", title: "DittoFS could not prepare the file server", body: "could not read the system keychain: locked" }]);
  });
});
