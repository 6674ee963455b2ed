import { randomBytes } from "node:crypto";
import type { Open, Session } from "./state.js";

/** SRV_REQUEST_RESUME_KEY's ResumeKey (MS-SMB2 §2.2.32.3). */
export const RESUME_KEY_BYTES = 24;

/**
 * Resume keys of the server's opens (MS-SMB2 §3.3.5.15.5): FSCTL_SRV_COPYCHUNK names its source
 * by one. A key is random (unguessable), one per open, and lives as long as the open. It serves
 * any session of the user who asked for it, on any connection and share of this server (as Samba
 * lets any open of the same client use it); a guest or anonymous key serves only its own session,
 * so that sessions without a user never reach each other's files.
 */
export class ResumeKeys {
  private readonly byKey = new Map<string, { open: Open; holder: string }>();
  private readonly byOpen = new WeakMap<Open, string>();

  /** The open's key, made on its first request. */
  keyOf(open: Open, session: Session): Buffer {
    let key = this.byOpen.get(open);
    if (key === undefined) {
      do key = randomBytes(RESUME_KEY_BYTES).toString("hex");
      while (this.byKey.has(key));
      this.byKey.set(key, { open, holder: holderOf(session) });
      this.byOpen.set(open, key);
    }
    return Buffer.from(key, "hex");
  }

  /** The open a key names, if it is still open and `session` may use it. */
  find(key: Buffer, session: Session): Open | null {
    const entry = this.byKey.get(key.toString("hex"));
    return entry && entry.holder === holderOf(session) ? entry.open : null;
  }

  /** The open closed: its key names nothing from now on. */
  forget(open: Open): void {
    const key = this.byOpen.get(open);
    if (key === undefined) return;
    this.byKey.delete(key);
    this.byOpen.delete(open);
  }
}

/** Who may use a key: the user (names compare without case), or the very session when it has no user. */
function holderOf(session: Session): string {
  return session.guest || session.anonymous ? `session:${session.id}` : `user:${session.user.toUpperCase()}`;
}
