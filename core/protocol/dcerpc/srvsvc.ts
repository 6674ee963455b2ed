/**
 * The srvsvc calls that list shares (MS-SRVS): NetrShareEnum (opnum 15, §3.1.4.8), its twin
 * NetrShareEnumSticky (opnum 36, §3.1.4.9) and NetrShareGetInfo (opnum 16, §3.1.4.10), and
 * NetrServerGetInfo (opnum 21, §3.1.4.17) that browsers ask beside them, as NDR 2.0 stubs. Requests are decoded and responses encoded for the server; the other directions exist for
 * round-trip tests and tools. Malformed stubs throw NdrError.
 *
 * Union arms follow MS-SRVS §2.2.3 (SHARE_ENUM_UNION) and §2.2.3.6 (SHARE_INFO): a level with an
 * arm carries a unique pointer, any other level carries nothing (as Samba's IDL has it), so the
 * server can answer an unknown level with ERROR_INVALID_LEVEL instead of a fault. Entries are
 * encoded and decoded for levels 0, 1 and 501 (and 1005 for NetrShareGetInfo); input containers
 * of other levels must be empty, as every client sends them.
 */
import { NdrError, NdrReader, NdrWriter } from "./ndr.js";
import type { SyntaxId } from "./pdu.js";

/** The srvsvc interface (MS-SRVS §1.9). */
export const SRVSVC_SYNTAX: SyntaxId = { uuid: "4b324fc8-1670-01d3-1278-5a47bf6ee188", major: 3, minor: 0 };

export const OPNUM_NetrShareEnum = 15;
export const OPNUM_NetrShareGetInfo = 16;
export const OPNUM_NetrShareEnumSticky = 36;

/** Share types (MS-SRVS §2.2.2.4). */
export const STYPE_DISKTREE = 0x00000000;
export const STYPE_IPC = 0x00000003;
export const STYPE_SPECIAL = 0x80000000;

/** Win32 and network error codes the calls return (MS-ERREF §2.2, MS-SRVS §3.1.4). */
export const ERROR_SUCCESS = 0;
export const ERROR_ACCESS_DENIED = 5;
export const ERROR_INVALID_LEVEL = 124;
export const ERROR_MORE_DATA = 234;
export const NERR_NetNameNotFound = 2310;

/** PreferedMaximumLength asking for everything (MS-SRVS §2.2.2.2). */
export const MAX_PREFERRED_LENGTH = 0xffffffff;

/** A share as the info levels describe it. */
export interface ShareInfo {
  netname: string;
  /** STYPE_* bits. */
  type: number;
  remark: string;
  /** shi501_flags / shi1005_flags (MS-SRVS §2.2.4.27): caching and namespace flags. */
  flags: number;
}

/** Levels whose entries this codec encodes and decodes. */
export const ENUM_ENTRY_LEVELS: readonly number[] = [0, 1, 501];
export const GET_INFO_LEVELS: readonly number[] = [0, 1, 501, 1005];
/**
 * Levels that reveal local paths and security descriptors: MS-SRVS §3.1.4.8 and §3.1.4.10 give
 * them to administrators only, and nobody administers this server over RPC.
 */
export const ADMIN_ONLY_LEVELS: readonly number[] = [2, 502, 503];

/** SHARE_ENUM_UNION arms (MS-SRVS §2.2.3.1). */
const ENUM_UNION_ARMS = new Set([0, 1, 2, 501, 502, 503]);
/** SHARE_INFO arms (MS-SRVS §2.2.3.6). */
const INFO_UNION_ARMS = new Set([0, 1, 2, 501, 502, 503, 1004, 1005, 1006, 1501]);

/** Longest server or share name we read (NNLEN is 80; server names are DNS names or UNC paths). */
const MAX_NAME_CHARS = 1024;
/** Longest remark we read. */
const MAX_REMARK_CHARS = 4096;
/** Most entries we read in a container. */
const MAX_ENTRIES = 65536;

export interface NetrShareEnumRequest {
  serverName: string | null;
  level: number;
  preferedMaximumLength: number;
  /** The resume handle, or null when the client passed none. */
  resumeHandle: number | null;
}

export interface NetrShareEnumResponse {
  level: number;
  /** The container's entries; null writes a null container pointer (an error reply). */
  entries: ShareInfo[] | null;
  totalEntries: number;
  resumeHandle: number | null;
  status: number;
}

export interface NetrShareGetInfoRequest {
  serverName: string | null;
  netName: string;
  level: number;
}

export interface NetrShareGetInfoResponse {
  level: number;
  /** The share's information; null writes a null pointer (an error reply). */
  info: ShareInfo | null;
  status: number;
}

/** Fixed part of one entry: netname pointer, then type and remark pointer, then flags. */
function entryScalarSize(level: number): number {
  return level === 0 ? 4 : level === 1 ? 12 : 16;
}

interface EntryScalars {
  netname: number;
  type: number;
  remark: number;
  flags: number;
}

function readEntryScalars(r: NdrReader, level: number): EntryScalars {
  const netname = r.pointer();
  if (level === 0) return { netname, type: 0, remark: 0, flags: 0 };
  const type = r.u32();
  const remark = r.pointer();
  return { netname, type, remark, flags: level === 501 ? r.u32() : 0 };
}

function readEntryDeferred(r: NdrReader, s: EntryScalars): ShareInfo {
  const netname = s.netname ? r.wstring(MAX_NAME_CHARS) : "";
  const remark = s.remark ? r.wstring(MAX_REMARK_CHARS) : "";
  return { netname, type: s.type, remark, flags: s.flags };
}

function writeEntryScalars(w: NdrWriter, level: number, e: ShareInfo): void {
  w.pointer(true);
  if (level === 0) return;
  w.u32(e.type).pointer(true);
  if (level === 501) w.u32(e.flags);
}

function writeEntryDeferred(w: NdrWriter, level: number, e: ShareInfo): void {
  w.wstring(e.netname);
  if (level !== 0) w.wstring(e.remark);
}

function checkEntryLevel(level: number): void {
  if (!ENUM_ENTRY_LEVELS.includes(level)) throw new RangeError(`share entries of level ${level} are not encoded`);
}

/** SHARE_INFO_n_CONTAINER referent: EntriesRead, Buffer pointer, then the deferred array. */
function readContainer(r: NdrReader, level: number): ShareInfo[] | null {
  const entriesRead = r.u32();
  const buffer = r.pointer();
  if (!buffer) return [];
  if (!ENUM_ENTRY_LEVELS.includes(level)) throw new NdrError(`a container of level ${level} must be empty`);
  const count = r.conformantCount(entryScalarSize(level), MAX_ENTRIES);
  if (count !== entriesRead) throw new NdrError(`container holds ${count} entries but says EntriesRead ${entriesRead}`);
  const scalars: EntryScalars[] = [];
  for (let i = 0; i < count; i++) scalars.push(readEntryScalars(r, level));
  return scalars.map((s) => readEntryDeferred(r, s));
}

function writeContainer(w: NdrWriter, level: number, entries: ShareInfo[]): void {
  w.u32(entries.length).pointer(entries.length > 0);
  if (entries.length === 0) return;
  checkEntryLevel(level);
  w.u32(entries.length);
  for (const e of entries) writeEntryScalars(w, level, e);
  for (const e of entries) writeEntryDeferred(w, level, e);
}

/** SHARE_ENUM_STRUCT (MS-SRVS §2.2.4.38): Level, the union's discriminant, its arm. */
function readEnumStruct(r: NdrReader): { level: number; entries: ShareInfo[] | null } {
  const level = r.u32();
  const discriminant = r.u32();
  if (discriminant !== level) throw new NdrError(`share enum union discriminant ${discriminant} differs from Level ${level}`);
  if (!ENUM_UNION_ARMS.has(level)) return { level, entries: null };
  const container = r.pointer();
  return { level, entries: container ? readContainer(r, level) : null };
}

function writeEnumStruct(w: NdrWriter, level: number, entries: ShareInfo[] | null): void {
  w.u32(level).u32(level);
  if (!ENUM_UNION_ARMS.has(level)) return;
  w.pointer(entries !== null);
  if (entries !== null) writeContainer(w, level, entries);
}

function readServerName(r: NdrReader): string | null {
  return r.pointer() ? r.wstring(MAX_NAME_CHARS) : null;
}

function writeServerName(w: NdrWriter, serverName: string | null): void {
  w.pointer(serverName !== null);
  if (serverName !== null) w.wstring(serverName);
}

function readOptionalU32(r: NdrReader): number | null {
  return r.pointer() ? r.u32() : null;
}

function writeOptionalU32(w: NdrWriter, v: number | null): void {
  w.pointer(v !== null);
  if (v !== null) w.u32(v);
}

/** NetrShareEnum / NetrShareEnumSticky [in] parameters (MS-SRVS §3.1.4.8). */
export function decodeNetrShareEnumRequest(stub: Buffer): NetrShareEnumRequest {
  const r = new NdrReader(stub);
  const serverName = readServerName(r);
  const { level } = readEnumStruct(r);
  const preferedMaximumLength = r.u32();
  const resumeHandle = readOptionalU32(r);
  return { serverName, level, preferedMaximumLength, resumeHandle };
}

export function encodeNetrShareEnumRequest(req: NetrShareEnumRequest): Buffer {
  const w = new NdrWriter();
  writeServerName(w, req.serverName);
  writeEnumStruct(w, req.level, []);
  w.u32(req.preferedMaximumLength);
  writeOptionalU32(w, req.resumeHandle);
  return w.toBuffer();
}

/** NetrShareEnum [out] parameters: InfoStruct, TotalEntries, ResumeHandle, then the WERROR. */
export function encodeNetrShareEnumResponse(res: NetrShareEnumResponse): Buffer {
  const w = new NdrWriter(512);
  writeEnumStruct(w, res.level, res.entries);
  w.u32(res.totalEntries);
  writeOptionalU32(w, res.resumeHandle);
  w.u32(res.status);
  return w.toBuffer();
}

export function decodeNetrShareEnumResponse(stub: Buffer): NetrShareEnumResponse {
  const r = new NdrReader(stub);
  const { level, entries } = readEnumStruct(r);
  const totalEntries = r.u32();
  const resumeHandle = readOptionalU32(r);
  return { level, entries, totalEntries, resumeHandle, status: r.u32() };
}

/** NetrShareGetInfo [in] parameters (MS-SRVS §3.1.4.10); NetName is a [ref] string. */
export function decodeNetrShareGetInfoRequest(stub: Buffer): NetrShareGetInfoRequest {
  const r = new NdrReader(stub);
  const serverName = readServerName(r);
  const netName = r.wstring(MAX_NAME_CHARS);
  return { serverName, netName, level: r.u32() };
}

export function encodeNetrShareGetInfoRequest(req: NetrShareGetInfoRequest): Buffer {
  const w = new NdrWriter();
  writeServerName(w, req.serverName);
  w.wstring(req.netName).u32(req.level);
  return w.toBuffer();
}

/** NetrShareGetInfo [out] parameters: the SHARE_INFO union, then the WERROR. */
export function encodeNetrShareGetInfoResponse(res: NetrShareGetInfoResponse): Buffer {
  const w = new NdrWriter();
  w.u32(res.level);
  if (INFO_UNION_ARMS.has(res.level)) {
    w.pointer(res.info !== null);
    if (res.info !== null) {
      if (res.level === 1005) {
        w.u32(res.info.flags);
      } else {
        checkEntryLevel(res.level);
        writeEntryScalars(w, res.level, res.info);
        writeEntryDeferred(w, res.level, res.info);
      }
    }
  }
  w.u32(res.status);
  return w.toBuffer();
}

export function decodeNetrShareGetInfoResponse(stub: Buffer): NetrShareGetInfoResponse {
  const r = new NdrReader(stub);
  const level = r.u32();
  let info: ShareInfo | null = null;
  if (INFO_UNION_ARMS.has(level) && r.pointer()) {
    if (level === 1005) {
      info = { netname: "", type: 0, remark: "", flags: r.u32() };
    } else {
      if (!ENUM_ENTRY_LEVELS.includes(level)) throw new NdrError(`share information of level ${level} is not decoded`);
      info = readEntryDeferred(r, readEntryScalars(r, level));
    }
  }
  return { level, info, status: r.u32() };
}

export const OPNUM_NetrServerGetInfo = 21;

/** sv10x_platform_id (MS-SRVS §2.2.4.40): a Windows NT family server. */
export const PLATFORM_ID_NT = 500;
/** sv101_type bits (MS-SRVS §2.2.2.7). */
export const SV_TYPE_WORKSTATION = 0x00000001;
export const SV_TYPE_SERVER = 0x00000002;
export const SV_TYPE_SERVER_NT = 0x00008000;

export interface NetrServerGetInfoRequest {
  serverName: string | null;
  level: number;
}

/** SERVER_INFO_100 / SERVER_INFO_101 (MS-SRVS §2.2.4.40, §2.2.4.41); level 100 carries the first two. */
export interface ServerInfo {
  platformId: number;
  name: string;
  versionMajor: number;
  versionMinor: number;
  type: number;
  comment: string;
}

export interface NetrServerGetInfoResponse {
  level: number;
  /** Null writes a null pointer: every SERVER_INFO arm (MS-SRVS §2.2.3.7) is a pointer. */
  info: ServerInfo | null;
  status: number;
}

/** Levels whose SERVER_INFO this codec encodes and decodes. */
export const SERVER_INFO_LEVELS: readonly number[] = [100, 101];

/** NetrServerGetInfo [in] parameters (MS-SRVS §3.1.4.17). */
export function decodeNetrServerGetInfoRequest(stub: Buffer): NetrServerGetInfoRequest {
  const r = new NdrReader(stub);
  const serverName = readServerName(r);
  return { serverName, level: r.u32() };
}

export function encodeNetrServerGetInfoRequest(req: NetrServerGetInfoRequest): Buffer {
  const w = new NdrWriter();
  writeServerName(w, req.serverName);
  return w.u32(req.level).toBuffer();
}

export function encodeNetrServerGetInfoResponse(res: NetrServerGetInfoResponse): Buffer {
  const w = new NdrWriter();
  w.u32(res.level).pointer(res.info !== null);
  if (res.info !== null) {
    if (!SERVER_INFO_LEVELS.includes(res.level)) throw new RangeError(`server information of level ${res.level} is not encoded`);
    const i = res.info;
    w.u32(i.platformId).pointer(true);
    if (res.level === 101) w.u32(i.versionMajor).u32(i.versionMinor).u32(i.type).pointer(true);
    w.wstring(i.name);
    if (res.level === 101) w.wstring(i.comment);
  }
  return w.u32(res.status).toBuffer();
}

export function decodeNetrServerGetInfoResponse(stub: Buffer): NetrServerGetInfoResponse {
  const r = new NdrReader(stub);
  const level = r.u32();
  let info: ServerInfo | null = null;
  if (r.pointer()) {
    if (!SERVER_INFO_LEVELS.includes(level)) throw new NdrError(`server information of level ${level} is not decoded`);
    const platformId = r.u32();
    const name = r.pointer();
    const [versionMajor, versionMinor, type, comment] = level === 101 ? [r.u32(), r.u32(), r.u32(), r.pointer()] : [0, 0, 0, 0];
    info = {
      platformId,
      name: name ? r.wstring(MAX_NAME_CHARS) : "",
      versionMajor,
      versionMinor,
      type,
      comment: comment ? r.wstring(MAX_REMARK_CHARS) : "",
    };
  }
  return { level, info, status: r.u32() };
}
