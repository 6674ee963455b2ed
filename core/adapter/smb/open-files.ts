import {
  DELETE,
  FILE_APPEND_DATA,
  FILE_EXECUTE,
  FILE_READ_DATA,
  FILE_SHARE_DELETE,
  FILE_SHARE_READ,
  FILE_SHARE_WRITE,
  FILE_WRITE_DATA,
  STATUS_SHARING_VIOLATION,
} from "../../protocol/smb2/constants.js";
import { smbError } from "./errors.js";
import type { Lease } from "./oplocks.js";
import type { Open } from "./state.js";

/** What an open does to a file, and what it lets others do meanwhile (MS-FSA §2.1.5.1.2). */
export interface Sharing {
  access: number;
  shareAccess: number;
}

interface OpenFile {
  opens: Set<Open>;
  /** The file goes when its last open closes (delete on close, or FileDispositionInformation). */
  deletePending: boolean;
}

const READS = FILE_READ_DATA | FILE_EXECUTE;
const WRITES = FILE_WRITE_DATA | FILE_APPEND_DATA;

/**
 * The opens of every file across connections and sessions: share modes between them (a second
 * open that wants what an earlier one does not share, or does not share what an earlier one
 * does, is STATUS_SHARING_VIOLATION), and delete pending, which belongs to the file.
 */
export class OpenFiles {
  private readonly files = new Map<string, OpenFile>();

  /** Counts a new open of the file, if its access and sharing agree with the opens already there. */
  admit(key: string, open: Open): void {
    if (this.conflicts(key, open)) throw smbError(STATUS_SHARING_VIOLATION, "the file is open in a way that does not share this access");
    const file = this.files.get(key);
    if (file) file.opens.add(open);
    else this.files.set(key, { opens: new Set([open]), deletePending: false });
  }

  /** Whether an open of the file that asks for `open`'s access and sharing would be refused. */
  conflicts(key: string, open: Open): boolean {
    const file = this.files.get(key);
    if (!file || !touchesData(open)) return false;
    for (const other of file.opens) {
      // Opens for attributes only take no part in sharing (MS-FSA §2.1.5.1.2).
      if (other !== open && touchesData(other) && (conflicts(open, other) || conflicts(other, open))) return true;
    }
    return false;
  }

  /**
   * Whether the file has an open other than `open` and outside `lease`: any open, even of
   * attributes only, when `lease` is given (a lease caches writes only on a file nobody else has
   * open), else only one that reads, writes or deletes it (oplocks, MS-FSA §2.1.5.17.2).
   */
  othersUseData(key: string, open: Open, lease: Lease | null, forLease: boolean): boolean {
    for (const other of this.files.get(key)?.opens ?? []) {
      if (other === open || (lease !== null && other.lease === lease)) continue;
      if (forLease || touchesData(other)) return true;
    }
    return false;
  }

  /**
   * Forgets an open; returns whether it was the file's last and the file is to be deleted. An open
   * withdrawn (its CREATE failed after admit) leaves delete on close unapplied.
   */
  release(key: string, open: Open, withdrawn = false): { last: boolean; deletePending: boolean } {
    const file = this.files.get(key);
    if (!file?.opens.delete(open)) return { last: false, deletePending: false };
    if (open.deleteOnClose && !withdrawn) file.deletePending = true;
    if (file.opens.size > 0) return { last: false, deletePending: file.deletePending };
    this.files.delete(key);
    return { last: true, deletePending: file.deletePending };
  }

  /** Whether another open of the file withholds FILE_SHARE_DELETE (a rename or delete of it is a sharing violation). */
  othersDenyDelete(key: string, open: Open): boolean {
    const file = this.files.get(key);
    if (!file) return false;
    for (const other of file.opens) if (other !== open && touchesData(other) && !(other.shareAccess & FILE_SHARE_DELETE)) return true;
    return false;
  }

  /** One of the file's opens (for its name), if it has any. */
  anyOpen(key: string): Open | undefined {
    return this.files.get(key)?.opens.values().next().value;
  }

    setDeletePending(key: string, pending: boolean): void {
    const file = this.files.get(key);
    if (file) file.deletePending = pending;
  }

  isDeletePending(key: string): boolean {
    return this.files.get(key)?.deletePending ?? false;
  }
}

/** An open that reads, writes, runs or deletes the file: opens of attributes only take no part in sharing or oplocks. */
export function touchesData(open: Pick<Sharing, "access">): boolean {
  return (open.access & (READS | WRITES | DELETE)) !== 0;
}

/** Whether `wanted` asks for data access that `held` does not share. */
function conflicts(wanted: Sharing, held: Sharing): boolean {
  return (
    ((wanted.access & READS) !== 0 && (held.shareAccess & FILE_SHARE_READ) === 0) ||
    ((wanted.access & WRITES) !== 0 && (held.shareAccess & FILE_SHARE_WRITE) === 0) ||
    ((wanted.access & DELETE) !== 0 && (held.shareAccess & FILE_SHARE_DELETE) === 0)
  );
}
