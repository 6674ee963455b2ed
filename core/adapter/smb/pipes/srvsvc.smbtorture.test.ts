/**
 * The srvsvc pipe against a real, independent DCE/RPC client: Samba's smbtorture and its
 * "rpc.srvsvc.srvsvc anonymous access" tests (NetShareEnumAll, NetShareEnum, NetShareGetInfo at
 * every level) and its NetSrvGetInfo test, with Samba's strict NDR parser on our replies. smbtorture speaks ncacn_ip_tcp
 * here: the same connection-oriented PDUs as over the SMB named pipe, on a TCP stream, so a small
 * socket loop stands in for the SMB layer until the lead wires the pipe into SMB2 CREATE/READ/WRITE.
 */
import { execFile } from "node:child_process";
import net from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PFC_LAST_FRAG, PTYPE_RESPONSE } from "../../../protocol/dcerpc/pdu.js";
import { type PipeShare, SrvsvcPipe } from "./srvsvc.js";

const run = promisify(execFile);
const INSTALL_HINT = "install Samba's test suite: apt-get install -y samba-testsuite";

/** Enough shares that a NetShareEnumAll reply spans several 5840-byte fragments. */
const SHARES: PipeShare[] = [
  ...Array.from({ length: 150 }, (_, i): PipeShare => ({ name: `share-${i}`, type: "disk", comment: `Share number ${i}` })),
  { name: "IPC$", type: "ipc", comment: "IPC Service" },
];

describe("srvsvc pipe with smbtorture", () => {
  let server: net.Server;
  let port = 0;
  let fragmentedReplies = 0;
  const errors: unknown[] = [];

  beforeAll(async () => {
    try {
      await run("sh", ["-c", "command -v smbtorture"]);
    } catch {
      throw new Error(`smbtorture not found; ${INSTALL_HINT}`);
    }
    server = net.createServer((socket) => {
      const pipe = new SrvsvcPipe({ shares: () => SHARES, serverName: "DITTOFS" });
      socket.on("data", (chunk) => {
        try {
          pipe.write(chunk);
        } catch (err) {
          errors.push(err);
          socket.destroy();
          return;
        }
        while (pipe.available > 0) {
          const { data } = pipe.read(65536);
          if (data[2] === PTYPE_RESPONSE && (data[3]! & PFC_LAST_FRAG) === 0) fragmentedReplies++;
          socket.write(data);
        }
      });
      socket.on("error", (err) => errors.push(err));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  const torture = async (test: string) => {
    const result = await run("smbtorture", [`ncacn_ip_tcp:127.0.0.1[${port}]`, "-U%", test], {
      timeout: 60_000,
    }).catch((err: { stdout?: string; stderr?: string; code?: number }) => err);
    return `${result.stdout ?? ""}${result.stderr ?? ""}`;
  };

  it("passes the anonymous srvsvc share tests, multi-fragment replies included", async () => {
    const output = await torture("rpc.srvsvc.srvsvc anonymous access");
    for (const test of ["NetShareEnumAll", "NetShareEnum", "NetShareGetInfo"]) {
      expect(output).toContain(`success: srvsvc anonymous access.${test}`);
    }
    expect(output).not.toMatch(/^(failure|error):/m);
    expect(errors).toEqual([]);
    expect(fragmentedReplies).toBeGreaterThan(0);
  });

  it("answers NetSrvGetInfo at levels 100, 101, 102, 502 and 503 in replies smbtorture can parse", async () => {
    const output = await torture("rpc.srvsvc.srvsvc (admin access).NetSrvGetInfo");
    expect(output).toContain("success: srvsvc (admin access).NetSrvGetInfo");
    expect(output).toMatch(/level 101\n(?!NetSrvGetInfo failed)/);
    expect(output.match(/NetSrvGetInfo failed: WERR_INVALID_LEVEL/g)).toHaveLength(3); // 102, 502, 503
    expect(errors).toEqual([]);
  });
});
