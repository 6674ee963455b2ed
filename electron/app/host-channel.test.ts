import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { FromHost } from "../host/protocol.js";
import { utilityHostChannel, type UtilityProcessLike } from "./host-channel.js";

/** Electron's UtilityProcess: an EventEmitter with postMessage and kill. */
class FakeUtilityProcess extends EventEmitter implements UtilityProcessLike {
  readonly posted: unknown[] = [];
  killed = false;
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
  kill(): boolean {
    this.killed = true;
    return true;
  }
}

describe("utilityHostChannel", () => {
  it("carries messages both ways, the exit code and kill", () => {
    const child = new FakeUtilityProcess();
    const channel = utilityHostChannel(child);
    const heard: FromHost[] = [];
    const exits: Array<number | null> = [];
    channel.onMessage((message) => heard.push(message));
    channel.onExit((code) => exits.push(code));
    channel.postMessage({ kind: "stop", timeoutMs: 5 });
    child.emit("message", { kind: "ready", nfsPort: 1, smbPort: null });
    child.emit("exit", 3);
    channel.kill();
    expect(child.posted).toEqual([{ kind: "stop", timeoutMs: 5 }]);
    expect(heard).toEqual([{ kind: "ready", nfsPort: 1, smbPort: null }]);
    expect(exits).toEqual([3]);
    expect(child.killed).toBe(true);
  });
});
