// CONTRACT SKELETON — the server helper replaces every body; signatures are the agreed API.
import type { ContentService } from "../content/service.js";
import type { MetadataService } from "../metadata/service.js";
import type { AuthContext, FileId } from "../metadata/types.js";
import type { AuthSysCredential } from "../protocol/rpc/types.js";

/** A share as the protocol adapters see it. */
export interface Share {
  /** Export path, e.g. "/export". */
  readonly name: string;
  /** Stable 32-bit id carried in every file handle of the share. */
  readonly id: number;
  readonly readOnly: boolean;
  /** Whether a client at this address may use the share (mount and every call). */
  allowsClient(address: string): boolean;
  /** The identity to act as, after root squash / all squash; AUTH_NONE (null) maps to anon. */
  authContext(cred: AuthSysCredential | null): AuthContext;
}

export interface ResolvedHandle {
  share: Share;
  fileId: FileId;
}

export class Registry {
  get metadata(): MetadataService { throw new Error("contract"); }
  get content(): ContentService { throw new Error("contract"); }
  shares(): Share[] { throw new Error("contract"); }
  share(_name: string): Share | undefined { throw new Error("contract"); }
  /** Opaque handle (≤ 64 bytes): [version][share id][file id]. */
  handleFor(_share: Share, _fileId: FileId): Buffer { throw new Error("contract"); }
  /** FsError("BadHandle") for malformed handles, FsError("Stale") for an unknown share. */
  resolveHandle(_handle: Buffer): ResolvedHandle { throw new Error("contract"); }
}
