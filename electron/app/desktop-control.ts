import { ControlError, type ControlApi, type ControlEvent, type S3ProbeRequest, type S3ProbeResult, type ServerStatus } from "../../core/index.js";
import type { CoreSupervisor } from "../host/supervisor.js";
import type { Keychain } from "../keychain.js";
import type { AppSettings, AppShare, AppShareInput } from "../settings/app-settings.js";

/** How long saving a share may wait for uploads before the host restarts with the new shares. */
const RESTART_WAIT_MS = 10_000;

/**
 * The desktop app's side of the control contract: the running server's calls go to the
 * supervised host, and the app's shares are managed here, where they live (settings + keychain).
 * A changed share list restarts the host, which then serves it; a share's secret goes to the
 * keychain and is never handed back.
 */
export class DesktopControl implements ControlApi {
  constructor(
    private readonly settings: AppSettings,
    private readonly keychain: Keychain,
    private readonly supervisor: CoreSupervisor,
  ) {}

  status(): Promise<ServerStatus> {
    return this.supervisor.status();
  }

  retryUploads(share: string): Promise<number> {
    return this.supervisor.retryUploads(share);
  }

  refreshListing(share: string): Promise<boolean> {
    return this.supervisor.refreshListing(share);
  }

  testS3(request: S3ProbeRequest): Promise<S3ProbeResult> {
    return this.supervisor.testS3(request);
  }

  subscribe(listener: (event: ControlEvent) => void): () => void {
    return this.supervisor.subscribe(listener);
  }

  /** The app's shares as defined (secrets appear as their keychain references only). */
  async shareDefinitions(): Promise<AppShare[]> {
    return this.settings.shares();
  }

  /**
   * Adds or changes a share (`replacing` names the one it changes), with the S3 secret key
   * when one is typed, then serves the new list. Refusals name the field (SettingsError).
   */
  async saveShare(input: AppShareInput, options: { replacing?: string; secretAccessKey?: string } = {}): Promise<AppShare> {
    if (options.secretAccessKey !== undefined) {
      const ref = input.s3?.secretKey;
      if (!ref) throw new ControlError("Invalid", "s3.secretKey: a secret key needs the keychain item to keep it in");
      // Checked before the secret is stored, so that a refused share leaves the keychain alone.
      this.settings.check(input);
      await this.keychain.set(ref, options.secretAccessKey);
    }
    const saved = this.settings.saveShare(input, options.replacing);
    await this.serveAgain();
    return saved;
  }

  /** Removes a share and its secret (its data stays where it is: the bucket, the folder). */
  async removeShare(name: string): Promise<boolean> {
    const share = this.settings.share(name);
    if (!share) return false;
    this.settings.removeShare(name);
    if (share.s3 && !this.settings.shares().some((other) => other.s3?.secretKey === share.s3!.secretKey)) {
      await this.keychain.delete(share.s3.secretKey);
    }
    await this.serveAgain();
    return true;
  }

  /** Restarts the host on the changed shares; a host that cannot start with them says why. */
  private async serveAgain(): Promise<void> {
    const state = await this.supervisor.restart(RESTART_WAIT_MS);
    if (state.kind === "restarting") {
      throw new ControlError("Unavailable", `saved, but the file server could not start with it: ${state.error}`);
    }
  }
}
