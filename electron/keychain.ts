import { randomBytes } from "node:crypto";
import { AsyncEntry } from "@napi-rs/keyring";
import { SMB_PASSWORD_REF } from "./host/core-config.js";

/** "keychain:<service>/<account>", as the app's settings name a secret. */
const REF = /^keychain:([\w.-]+)\/([\w.@-]+)$/;

/** The keychain could not be used (no Secret Service on this Linux session, access refused...). */
export class KeychainError extends Error {
  override readonly name = "KeychainError";
}

/** One keychain item, as @napi-rs/keyring's AsyncEntry offers it. */
export interface KeychainEntry {
  setPassword(password: string): Promise<void>;
  getPassword(): Promise<string | null>;
  deletePassword(): Promise<boolean>;
}

/**
 * The app's secrets (S3 secret keys, the SMB password it generates for its own mounts) in the
 * OS keychain: macOS Keychain, Windows Credential Manager, the Secret Service on Linux. The
 * settings window may set, test and delete a secret, never read one back: only `resolver()`,
 * which the core host uses for its `secret:` references, returns values.
 */
export class Keychain {
  constructor(private readonly entry: (service: string, account: string) => KeychainEntry = (service, account) => new AsyncEntry(service, account)) {}

  async set(ref: string, secret: string): Promise<void> {
    if (secret === "") throw new KeychainError("an empty secret cannot be saved");
    await this.call(ref, "save", (item) => item.setPassword(secret));
  }

  /** Whether the item holds a secret (the settings window shows "saved" without seeing it). */
  async has(ref: string): Promise<boolean> {
    return (await this.call(ref, "read", (item) => item.getPassword())) !== null;
  }

  async delete(ref: string): Promise<boolean> {
    return this.call(ref, "delete", (item) => item.deletePassword());
  }

  /** The password of the app's own SMB user, made on first use: long, random, never shown. */
  async smbPassword(): Promise<string> {
    const saved = await this.call(SMB_PASSWORD_REF, "read", (item) => item.getPassword());
    if (saved) return saved;
    const made = randomBytes(24).toString("base64url");
    await this.set(SMB_PASSWORD_REF, made);
    return made;
  }

  /** The core's resolver for `secret:<service>/<account>` (see core-config.ts). */
  resolver(): { resolve(name: string): Promise<string | null> } {
    return { resolve: (name) => this.call(`keychain:${name}`, "read", (item) => item.getPassword()) };
  }

  private async call<T>(ref: string, what: string, body: (item: KeychainEntry) => Promise<T>): Promise<T> {
    const match = REF.exec(ref);
    if (!match) throw new KeychainError(`not a keychain reference: ${JSON.stringify(ref.slice(0, 80))}`);
    try {
      return await body(this.entry(match[1]!, match[2]!));
    } catch (err) {
      // The library's messages name the platform's problem (no Secret Service, locked keychain), never a value.
      throw new KeychainError(`could not ${what} ${ref} in the system keychain: ${(err as Error).message}`, { cause: err });
    }
  }
}
