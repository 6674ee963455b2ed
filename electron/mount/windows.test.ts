import { describe, expect, it } from "vitest";
import {
  isNetUseMounted,
  parseNetUse,
  tcpPortSupport,
  windowsForgetCredentialCommand,
  windowsListCommand,
  windowsMountCommand,
  windowsStoreCredentialCommand,
  windowsUnmountCommand,
} from "./windows.js";

/** `net use` on Windows 11: a DittoFS drive, a dropped one, a NAS, a letterless IPC$ and a wrapped long name. */
const NET_USE = [
  "New connections will be remembered.",
  "",
  "",
  "Status       Local     Remote                    Network",
  "",
  "-------------------------------------------------------------------------------",
  "OK           Z:        \\\\127.0.0.1\\export        Microsoft Windows Network",
  "Disconnected Y:        \\\\127.0.0.1\\photos        Microsoft Windows Network",
  "Unavailable  X:        \\\\nas\\media               Microsoft Windows Network",
  "OK                     \\\\127.0.0.1\\IPC$          Microsoft Windows Network",
  "OK           W:        \\\\fileserver.corp.example.com\\departments-engineering",
  "                                                Microsoft Windows Network",
  "             V:        \\\\127.0.0.1\\music         Microsoft Windows Network",
  "The command completed successfully.",
  "",
].join("\r\n");

const NO_ENTRIES = "New connections will be remembered.\r\n\r\nThere are no entries in the list.\r\n\r\n";

describe("Windows net use", () => {
  it("knows /TCPPORT needs Windows 11 24H2 (build 26100) and explains otherwise", () => {
    expect(tcpPortSupport("10.0.26100")).toEqual({ supported: true });
    expect(tcpPortSupport("10.0.26200")).toEqual({ supported: true });
    expect(tcpPortSupport("11.0.1")).toEqual({ supported: true });
    const older = tcpPortSupport("10.0.22631"); // Windows 11 23H2
    expect(older.supported).toBe(false);
    if (!older.supported) expect(older.message).toMatch(/build 22631\) can only reach file servers on port 445.*Windows 11 24H2 \(build 26100\) or later/);
    expect(tcpPortSupport("10.0.19045").supported).toBe(false); // Windows 10 22H2
    expect(tcpPortSupport("6.1.7601").supported).toBe(false); // Windows 7
    const unknown = tcpPortSupport("garbage");
    expect(unknown.supported).toBe(false);
    if (!unknown.supported) expect(unknown.message).toMatch(/Cannot tell which Windows this is \(version "garbage"\)/);
  });

  it("maps a drive on the server's port, without a password or a remembered connection", () => {
    expect(windowsMountCommand({ drive: "z", share: "export", port: 10445 })).toEqual({
      command: "net",
      args: ["use", "Z:", "\\\\127.0.0.1\\export", "/TCPPORT:10445", "/PERSISTENT:NO"],
    });
    expect(windowsUnmountCommand("Z:")).toEqual({ command: "net", args: ["use", "Z:", "/DELETE", "/Y"] });
    expect(windowsListCommand()).toEqual({ command: "net", args: ["use"] });
  });

  it("refuses hostile drives, shares and ports", () => {
    expect(() => windowsMountCommand({ drive: "C:", share: "export", port: 10445 })).toThrow(/invalid drive letter "C:"/);
    expect(() => windowsMountCommand({ drive: "Z:", share: "export /DELETE", port: 10445 })).toThrow(/cannot mount share/);
    expect(() => windowsMountCommand({ drive: "Z:", share: "..\\admin$", port: 10445 })).toThrow(/cannot mount share/);
    expect(() => windowsMountCommand({ drive: "Z:", share: "export", port: 0 })).toThrow(/invalid SMB port 0/);
    expect(() => windowsUnmountCommand("* /Y")).toThrow(/invalid drive letter/);
  });

  it("stores and forgets the login for 127.0.0.1 with cmdkey", () => {
    expect(windowsStoreCredentialCommand("bob", "pass phrase")).toEqual({ command: "cmdkey", args: ["/add:127.0.0.1", "/user:bob", "/pass:pass phrase"] });
    expect(windowsForgetCredentialCommand()).toEqual({ command: "cmdkey", args: ["/delete:127.0.0.1"] });
    expect(() => windowsStoreCredentialCommand("/user:evil", "x")).toThrow(/invalid user name/);
  });

  it("parses net use's table, blank statuses, letterless and wrapped rows included", () => {
    expect(parseNetUse(NET_USE)).toEqual([
      { status: "OK", local: "Z:", remote: "\\\\127.0.0.1\\export" },
      { status: "Disconnected", local: "Y:", remote: "\\\\127.0.0.1\\photos" },
      { status: "Unavailable", local: "X:", remote: "\\\\nas\\media" },
      { status: "OK", local: "", remote: "\\\\127.0.0.1\\IPC$" },
      { status: "OK", local: "W:", remote: "\\\\fileserver.corp.example.com\\departments-engineering" },
      { status: "", local: "V:", remote: "\\\\127.0.0.1\\music" },
    ]);
    expect(parseNetUse(NO_ENTRIES)).toEqual([]);
  });

  it("counts a drive as mounted only when it is OK and points at the share", () => {
    expect(isNetUseMounted(NET_USE, "Z:", "export")).toBe(true);
    expect(isNetUseMounted(NET_USE, "z", "EXPORT")).toBe(true);
    expect(isNetUseMounted(NET_USE, "Y:", "photos")).toBe(false); // disconnected
    expect(isNetUseMounted(NET_USE, "V:", "music")).toBe(false); // no status
    expect(isNetUseMounted(NET_USE, "Z:", "photos")).toBe(false);
    expect(isNetUseMounted(NET_USE, "X:", "media")).toBe(false); // another server
    expect(isNetUseMounted(NO_ENTRIES, "Z:", "export")).toBe(false);
  });
});
