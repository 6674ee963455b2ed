import type { XdrReader } from "../xdr/reader.js";
import type { XdrWriter } from "../xdr/writer.js";

/** Port mapper program, version 2 (RFC 1833 §3). */
export const PMAP_PROG = 100000;
export const PMAP_VERS = 2;

export const PMAPPROC_NULL = 0;
export const PMAPPROC_SET = 1;
export const PMAPPROC_UNSET = 2;
export const PMAPPROC_GETPORT = 3;
export const PMAPPROC_DUMP = 4;

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** struct mapping: a program version reachable over a protocol at a port. */
export interface Mapping {
  prog: number;
  vers: number;
  prot: number;
  port: number;
}

export function decodeMapping(r: XdrReader): Mapping {
  return { prog: r.u32(), vers: r.u32(), prot: r.u32(), port: r.u32() };
}

export function encodeMapping(w: XdrWriter, m: Mapping): XdrWriter {
  return w.u32(m.prog).u32(m.vers).u32(m.prot).u32(m.port);
}

/** pmaplist: XDR's linked list, each entry preceded by TRUE and the end marked by FALSE. */
export function encodeMappingList(w: XdrWriter, mappings: readonly Mapping[]): XdrWriter {
  for (const m of mappings) encodeMapping(w.bool(true), m);
  return w.bool(false);
}

export function decodeMappingList(r: XdrReader): Mapping[] {
  const mappings: Mapping[] = [];
  while (r.bool()) mappings.push(decodeMapping(r));
  return mappings;
}
