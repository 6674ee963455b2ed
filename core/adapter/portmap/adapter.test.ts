import { afterEach, describe, expect, it } from "vitest";
import {
  decodeMappingList,
  encodeMapping,
  IPPROTO_TCP,
  IPPROTO_UDP,
  PMAP_PROG,
  PMAP_VERS,
  PMAPPROC_DUMP,
  PMAPPROC_GETPORT,
  PMAPPROC_NULL,
  PMAPPROC_SET,
  PMAPPROC_UNSET,
  type Mapping,
} from "../../protocol/portmap/mapping.js";
import { GARBAGE_ARGS, PROC_UNAVAIL, PROG_MISMATCH, SUCCESS } from "../../protocol/rpc/constants.js";
import { XdrWriter } from "../../protocol/xdr/writer.js";
import { silentLogger } from "../../util/logger.js";
import { RpcClient } from "../rpc/client.js";
import { PortmapAdapter } from "./adapter.js";

const HOST = "127.0.0.1";
const NFS = 100003;
const MOUNT = 100005;

let adapter: PortmapAdapter | undefined;
let client: RpcClient | undefined;
afterEach(async () => {
  await client?.close();
  await adapter?.stop(1000);
  client = adapter = undefined;
});

const served: Array<{ prog: number; vers: number; prot: 6; port: number }> = [];

async function startPortmap(): Promise<RpcClient> {
  served.splice(0, served.length, { prog: NFS, vers: 3, prot: 6, port: 12049 }, { prog: MOUNT, vers: 1, prot: 6, port: 12050 }, { prog: MOUNT, vers: 3, prot: 6, port: 12051 });
  adapter = new PortmapAdapter({ logger: silentLogger, bind: HOST, port: 0, mappings: () => served });
  expect(adapter.port()).toBe(0);
  await adapter.serve();
  client = await RpcClient.connect(HOST, adapter.port());
  return client;
}

async function getport(c: RpcClient, prog: number, vers: number, prot = IPPROTO_TCP): Promise<number> {
  const args = encodeMapping(new XdrWriter(), { prog, vers, prot, port: 0 }).toBuffer();
  const { reply, results } = await c.call({ prog: PMAP_PROG, vers: PMAP_VERS, proc: PMAPPROC_GETPORT, args });
  expect(reply).toMatchObject({ status: "accepted", acceptStat: SUCCESS });
  return results.u32();
}

async function dump(c: RpcClient): Promise<Mapping[]> {
  const { reply, results } = await c.call({ prog: PMAP_PROG, vers: PMAP_VERS, proc: PMAPPROC_DUMP });
  expect(reply).toMatchObject({ acceptStat: SUCCESS });
  return decodeMappingList(results);
}

describe("PortmapAdapter", () => {
  it("answers NULL", async () => {
    const c = await startPortmap();
    const { reply, results } = await c.call({ prog: PMAP_PROG, vers: PMAP_VERS, proc: PMAPPROC_NULL });
    expect(reply).toMatchObject({ acceptStat: SUCCESS });
    expect(results.remaining).toBe(0);
  });

  it("answers GETPORT from the mappings", async () => {
    const c = await startPortmap();
    expect(await getport(c, NFS, 3)).toBe(12049);
    expect(await getport(c, MOUNT, 1)).toBe(12050);
    expect(await getport(c, MOUNT, 3)).toBe(12051);
    expect(await getport(c, PMAP_PROG, PMAP_VERS)).toBe(adapter!.port());
    // Not served: over UDP, or an unknown program.
    expect(await getport(c, NFS, 3, IPPROTO_UDP)).toBe(0);
    expect(await getport(c, 100021, 4)).toBe(0);
    // Another version of a served program: its port, so the client meets PROG_MISMATCH there.
    expect(await getport(c, NFS, 4)).toBe(12049);
  });

  it("reads the mappings afresh on every call", async () => {
    const c = await startPortmap();
    served[0]!.port = 22049;
    expect(await getport(c, NFS, 3)).toBe(22049);
  });

  it("answers DUMP with its own mapping and the served ones", async () => {
    const c = await startPortmap();
    expect(await dump(c)).toEqual([
      { prog: PMAP_PROG, vers: PMAP_VERS, prot: IPPROTO_TCP, port: adapter!.port() },
      { prog: NFS, vers: 3, prot: IPPROTO_TCP, port: 12049 },
      { prog: MOUNT, vers: 1, prot: IPPROTO_TCP, port: 12050 },
      { prog: MOUNT, vers: 3, prot: IPPROTO_TCP, port: 12051 },
    ]);
  });

  it("refuses SET and UNSET from clients", async () => {
    const c = await startPortmap();
    const before = await dump(c);
    for (const proc of [PMAPPROC_SET, PMAPPROC_UNSET]) {
      const args = encodeMapping(new XdrWriter(), { prog: NFS, vers: 3, prot: IPPROTO_TCP, port: 1 }).toBuffer();
      const { reply, results } = await c.call({ prog: PMAP_PROG, vers: PMAP_VERS, proc, args });
      expect(reply).toMatchObject({ acceptStat: SUCCESS });
      expect(results.bool()).toBe(false);
    }
    expect(await dump(c)).toEqual(before);
  });

  it("answers bad requests without dropping the client", async () => {
    const c = await startPortmap();
    const short = new XdrWriter().u32(NFS).u32(3).toBuffer();
    expect((await c.call({ prog: PMAP_PROG, vers: PMAP_VERS, proc: PMAPPROC_GETPORT, args: short })).reply).toMatchObject({
      acceptStat: GARBAGE_ARGS,
    });
    expect((await c.call({ prog: PMAP_PROG, vers: PMAP_VERS, proc: 5 })).reply).toMatchObject({ acceptStat: PROC_UNAVAIL });
    expect((await c.call({ prog: PMAP_PROG, vers: 4, proc: PMAPPROC_NULL })).reply).toMatchObject({
      acceptStat: PROG_MISMATCH,
      mismatch: { low: 2, high: 2 },
    });
    expect(await getport(c, NFS, 3)).toBe(12049);
  });

  it("stops listening on stop()", async () => {
    const c = await startPortmap();
    const port = adapter!.port();
    await adapter!.stop(1000);
    await c.closed();
    await expect(RpcClient.connect(HOST, port)).rejects.toThrow(/ECONNREFUSED/);
  });
});
