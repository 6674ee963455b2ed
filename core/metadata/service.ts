// CONTRACT SKELETON — the metadata helper replaces every body; signatures are the agreed API.
import type { Logger } from "../util/logger.js";
import type { MetadataStore } from "./store.js";
import type { AuthContext, DirPage, FileAttr, FileId, FileType, DeviceNumber, StoreUsage, Timespec, Unlinked, Wcc } from "./types.js";
import type { LockManager } from "./locking.js";

/** Attribute changes a client asks for (NFS sattr3, SMB set-info). */
export interface SetAttrRequest {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Timespec | "now";
  mtime?: Timespec | "now";
}

export type CreateHow =
  | { mode: "unchecked" | "guarded"; attrs: SetAttrRequest }
  | { mode: "exclusive"; verifier: Buffer };

/** ACCESS bits, as RFC 1813 §3.3.4 numbers them (the service speaks them; they are plain bits). */
export const ACCESS_READ = 0x01;
export const ACCESS_LOOKUP = 0x02;
export const ACCESS_MODIFY = 0x04;
export const ACCESS_EXTEND = 0x08;
export const ACCESS_DELETE = 0x10;
export const ACCESS_EXECUTE = 0x20;

export interface ShareBinding {
  name: string;
  store: MetadataStore;
  readOnly: boolean;
  /** Owner and mode of the share's root directory when it is first created. */
  rootUid: number;
  rootGid: number;
  rootMode: number;
}

export class MetadataService {
  constructor(_logger: Logger) {}
  registerShare(_binding: ShareBinding): Promise<FileAttr> { throw new Error("contract"); }
  unregisterShare(_share: string): void { throw new Error("contract"); }
  locks(_share: string): LockManager { throw new Error("contract"); }
  root(_share: string): Promise<FileAttr> { throw new Error("contract"); }
  getAttr(_share: string, _id: FileId): Promise<FileAttr> { throw new Error("contract"); }
  lookup(_ctx: AuthContext, _share: string, _dirId: FileId, _name: string): Promise<{ attr: FileAttr; dir: FileAttr }> { throw new Error("contract"); }
  access(_ctx: AuthContext, _share: string, _id: FileId, _requested: number): Promise<{ granted: number; attr: FileAttr }> { throw new Error("contract"); }
  setAttr(_ctx: AuthContext, _share: string, _id: FileId, _req: SetAttrRequest, _guardCtime: Timespec | null): Promise<{ wcc: Wcc; attr: FileAttr }> { throw new Error("contract"); }
  create(_ctx: AuthContext, _share: string, _dirId: FileId, _name: string, _how: CreateHow): Promise<{ attr: FileAttr; dirWcc: Wcc }> { throw new Error("contract"); }
  mkdir(_ctx: AuthContext, _share: string, _dirId: FileId, _name: string, _attrs: SetAttrRequest): Promise<{ attr: FileAttr; dirWcc: Wcc }> { throw new Error("contract"); }
  symlink(_ctx: AuthContext, _share: string, _dirId: FileId, _name: string, _target: string, _attrs: SetAttrRequest): Promise<{ attr: FileAttr; dirWcc: Wcc }> { throw new Error("contract"); }
  mknod(_ctx: AuthContext, _share: string, _dirId: FileId, _name: string, _type: Exclude<FileType, "file" | "dir" | "symlink">, _attrs: SetAttrRequest, _rdev: DeviceNumber): Promise<{ attr: FileAttr; dirWcc: Wcc }> { throw new Error("contract"); }
  remove(_ctx: AuthContext, _share: string, _dirId: FileId, _name: string): Promise<{ removed: Unlinked; dirWcc: Wcc }> { throw new Error("contract"); }
  rmdir(_ctx: AuthContext, _share: string, _dirId: FileId, _name: string): Promise<{ dirWcc: Wcc }> { throw new Error("contract"); }
  rename(_ctx: AuthContext, _share: string, _fromDir: FileId, _fromName: string, _toDir: FileId, _toName: string): Promise<{ fromWcc: Wcc; toWcc: Wcc; replaced: Unlinked | null }> { throw new Error("contract"); }
  link(_ctx: AuthContext, _share: string, _fileId: FileId, _dirId: FileId, _name: string): Promise<{ attr: FileAttr; dirWcc: Wcc }> { throw new Error("contract"); }
  readDir(_ctx: AuthContext, _share: string, _dirId: FileId, _afterCookie: number, _limit: number): Promise<{ dir: FileAttr; page: DirPage }> { throw new Error("contract"); }
  readLink(_ctx: AuthContext, _share: string, _id: FileId): Promise<{ target: string; attr: FileAttr }> { throw new Error("contract"); }
  checkRead(_ctx: AuthContext, _share: string, _id: FileId): Promise<FileAttr> { throw new Error("contract"); }
  checkWrite(_ctx: AuthContext, _share: string, _id: FileId): Promise<FileAttr> { throw new Error("contract"); }
  recordWrite(_share: string, _id: FileId, _end: number): Promise<{ wcc: Wcc; attr: FileAttr }> { throw new Error("contract"); }
  usage(_share: string): Promise<StoreUsage> { throw new Error("contract"); }
}
