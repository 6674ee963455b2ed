import type { CallHeader } from "../../protocol/rpc/call.js";
import { AUTH_TOOWEAK } from "../../protocol/rpc/constants.js";
import {
  encodeAuthError,
  encodeProcUnavail,
  encodeProgMismatch,
  encodeProgUnavail,
} from "../../protocol/rpc/reply.js";
import type { Procedure, RpcProgram } from "../../protocol/rpc/types.js";
import type { XdrWriter } from "../../protocol/xdr/writer.js";

/** Procedure 0 is every program's NULL ping and never requires authentication (RFC 5531 §12). */
const NULL_PROCEDURE = 0;

/** Programs by number, with each program's version range for PROG_MISMATCH. */
export class ProgramTable {
  private readonly byNumber = new Map<number, { program: RpcProgram; low: number; high: number }>();

  constructor(programs: readonly RpcProgram[]) {
    for (const program of programs) {
      if (this.byNumber.has(program.prog)) throw new Error(`RPC program ${program.prog} registered twice`);
      const versions = [...program.versions.keys()];
      if (versions.length === 0) throw new Error(`RPC program ${program.name} has no versions`);
      this.byNumber.set(program.prog, { program, low: Math.min(...versions), high: Math.max(...versions) });
    }
  }

  /**
   * The procedure a call asks for. When there is none, or the credential's flavor is refused,
   * the matching rejection is written into `out` and null is returned.
   */
  resolve(call: CallHeader, out: XdrWriter): Procedure | null {
    const entry = this.byNumber.get(call.prog);
    if (!entry) {
      encodeProgUnavail(out, call.xid);
      return null;
    }
    if (call.proc !== NULL_PROCEDURE && !entry.program.acceptedFlavors.includes(call.cred.flavor)) {
      encodeAuthError(out, call.xid, AUTH_TOOWEAK);
      return null;
    }
    const table = entry.program.versions.get(call.vers);
    if (!table) {
      encodeProgMismatch(out, call.xid, entry.low, entry.high);
      return null;
    }
    const procedure = table.get(call.proc);
    if (!procedure) {
      encodeProcUnavail(out, call.xid);
      return null;
    }
    return procedure;
  }
}
