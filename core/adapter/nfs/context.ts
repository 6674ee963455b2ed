import { randomBytes } from "node:crypto";
import { BufferPool } from "../../cache/buffer-pool.js";
import { fsError } from "../../errors.js";
import type { ContentService } from "../../content/service.js";
import type { MetadataService } from "../../metadata/service.js";
import type { AuthContext, FileAttr, FileId, Wcc } from "../../metadata/types.js";
import { NFS3_FHSIZE, NFS3_WRITEVERFSIZE, type Nfsstat3 } from "../../protocol/nfs/v3/constants.js";
import type { Fattr3, WccData3 } from "../../protocol/nfs/v3/types.js";
import type { RpcCall } from "../../protocol/rpc/types.js";
import type { XdrReader } from "../../protocol/xdr/reader.js";
import type { XdrWriter } from "../../protocol/xdr/writer.js";
import type { DataUse } from "../../registry/client-caches.js";
import type { Registry } from "../../registry/registry.js";
import type { Share } from "../../registry/share.js";
import type { Logger } from "../../util/logger.js";
import { toFattr3, toWccData3 } from "./attrs.js";
import { isExpectedError, nfsStatusOf } from "./errors.js";
import { MountTable } from "./mount/mounts.js";
import { MAX_IO_BYTES } from "./limits.js";

/** READ buffers kept for reuse (MAX_IO_BYTES each). */
const IDLE_READ_BUFFERS = 8;

/** A file handle resolved for one call: its share, its file, and who is asking. */
export interface NfsTarget {
  share: Share;
  fileId: FileId;
  auth: AuthContext;
}

/**
 * What every NFS and MOUNT procedure shares: the registry, the write verifier, the mount list,
 * and the steps each call repeats (resolve a handle, convert attributes, turn an error into a
 * status).
 */
export class NfsContext {
  /**
   * writeverf3 (RFC 1813 §3.3.7): random per server start, so a client that sees it change
   * after a restart knows its UNSTABLE writes may be lost and sends them again.
   */
  readonly writeVerifier: Buffer = randomBytes(NFS3_WRITEVERFSIZE);
  readonly mounts = new MountTable();
  /**
   * READ payload buffers, reused once the socket has sent them: a fresh 1 MiB buffer per READ
   * makes V8 run a full garbage collection every few dozen READs.
   */
  readonly readBuffers = new BufferPool(MAX_IO_BYTES, IDLE_READ_BUFFERS);
  private current: Registry | null = null;

  constructor(readonly logger: Logger) {}

  set registry(registry: Registry) {
    this.current = registry;
  }

  get registry(): Registry {
    if (!this.current) throw new Error("NFS adapter used before setRegistry()");
    return this.current;
  }

  get metadata(): MetadataService {
    return this.registry.metadata;
  }

  get content(): ContentService {
    return this.registry.content;
  }

  /**
   * The share and file a handle names, for a client the share admits. Empty or oversized
   * handles are BadHandle; the registry answers BadHandle or Stale for the rest.
   */
  resolve(call: RpcCall, fh: Buffer): NfsTarget {
    if (fh.length === 0 || fh.length > NFS3_FHSIZE) throw fsError("BadHandle", `file handle of ${fh.length} bytes`);
    const { share, fileId } = this.registry.resolveHandle(fh);
    // A handle of a share served over SMB only (made up, or from before the config changed).
    if (!share.servedOver("nfs")) throw fsError("Stale", `share ${share.name} is not served over NFS`);
    if (!share.allowsClient(call.remoteAddress)) {
      throw fsError("Access", `client ${call.remoteAddress} may not use share ${share.name}`);
    }
    // NFS3ERR_PERM, as knfsd answers a call from an insecure port on a `secure` export.
    if (!share.allowsSourcePort(call.remotePort)) {
      throw fsError("Perm", `share ${share.name} requires a privileged source port, got ${call.remotePort}`);
    }
    return { share, fileId, auth: share.authContext(call.cred.sys) };
  }

  /** Modifying calls on a read-only share are refused before any service is asked. */
  requireWritable(target: NfsTarget): void {
    if (target.share.readOnly) throw fsError("ReadOnly", `share ${target.share.name} is read-only`);
  }

  /**
   * SMB clients that cache the file give way first: before a read, one that caches writes
   * flushes them; before a write, every cache goes (see ClientCaches). Null when none does.
   */
  breakClientCaches(target: NfsTarget, use: DataUse): Promise<void> | null {
    return this.registry.clientCaches.settle(target.share, target.fileId, use);
  }

  handleFor(share: Share, fileId: FileId): Buffer {
    return this.registry.handleFor(share, fileId);
  }

  fattr(target: NfsTarget, attr: FileAttr): Fattr3 {
    return toFattr3(attr, target.share.id);
  }

  wcc(target: NfsTarget, wcc: Wcc): WccData3 {
    return toWccData3(wcc, target.share.id);
  }

  /**
   * Attributes for an error arm's post_op_attr: the file's current attributes when they can be
   * had, null otherwise (the RFC lets a server omit them).
   */
  async attrsOrNull(target: NfsTarget | null): Promise<Fattr3 | null> {
    if (!target) return null;
    try {
      return this.fattr(target, await this.metadata.getAttr(target.share.name, target.fileId));
    } catch {
      return null;
    }
  }

  /**
   * The status for a failed call. FsErrors and NfsStatusErrors are expected outcomes (logged at
   * debug); anything else is a server bug, logged once here and answered with
   * NFS3ERR_SERVERFAULT.
   */
  fail(call: RpcCall, procedure: string, err: unknown): Nfsstat3 {
    if (isExpectedError(err)) {
      // Expected failures are frequent (LOOKUP of a missing name): build no log record unless asked.
      if (this.logger.isLevelEnabled("debug")) {
        this.logger.debug({ xid: call.xid, proc: procedure, msg: err.message }, "NFS call failed");
      }
    } else {
      this.logger.error({ err, xid: call.xid, proc: procedure }, "NFS procedure raised an unexpected error");
    }
    return nfsStatusOf(err);
  }
}

/** One NFS or MOUNT procedure: decode `args`, do the work, encode the result into `out`. */
export type NfsHandler = (ctx: NfsContext, call: RpcCall, args: XdrReader, out: XdrWriter) => Promise<void> | void;
