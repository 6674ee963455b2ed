import { BlockList, isIP } from "node:net";
import { parseClientRule, unmapIpv4 } from "../config/clients.js";
import type { ShareConfig, ShareProtocolName } from "../config/types.js";
import type { AuthContext, ClaimedIdentity } from "../metadata/types.js";

const MAX_CACHED_VERDICTS = 1024;
/** Ports below this can only be bound by root (IPPORT_RESERVED). */
const FIRST_UNPRIVILEGED_PORT = 1024;

/** A share as the protocol adapters see it. */
export interface Share {
  /** Export path, e.g. "/export". */
  readonly name: string;
  /** Stable 32-bit id carried in every file handle of the share. */
  readonly id: number;
  readonly readOnly: boolean;
  /** Whether a client at this address may use the share (mount and every call). */
  allowsClient(address: string): boolean;
  /** Whether a call from this source port may use the share (require_privileged_port: below 1024 only). */
  allowsSourcePort(port: number): boolean;
  /** Whether the share is served over this protocol (ShareConfig.protocols). */
  servedOver(protocol: ShareProtocolName): boolean;
  /** The identity to act as, after root squash / all squash; no identity (null, AUTH_NONE) maps to anon. */
  authContext(identity: ClaimedIdentity | null): AuthContext;
}

/** A share built from its config: client filter and identity mapping. */
export class ConfiguredShare implements Share {
  readonly name: string;
  readonly readOnly: boolean;
  private readonly clients = new BlockList();
  /** Verdicts by peer address: every call asks, and a BlockList check costs several µs. */
  private readonly verdicts = new Map<string, boolean>();

  constructor(
    readonly id: number,
    readonly config: Readonly<ShareConfig>,
  ) {
    this.name = config.name;
    this.readOnly = config.readOnly;
    for (const text of config.allowedClients) {
      const rule = parseClientRule(text);
      if (rule === undefined) throw new Error(`share ${config.name}: invalid allowed client ${JSON.stringify(text)}`);
      this.clients.addSubnet(rule.address, rule.prefix, rule.family);
    }
  }

  /**
   * Node reports IPv4 peers of a dual-stack socket as "::ffff:a.b.c.d"; those match IPv4 rules.
   * Anything that is not an IP address is refused.
   */
  allowsClient(address: string): boolean {
    let verdict = this.verdicts.get(address);
    if (verdict === undefined) {
      verdict = this.checkClient(address);
      // Bounded: a flood of distinct peers only costs the cache, never unbounded memory.
      if (this.verdicts.size >= MAX_CACHED_VERDICTS) this.verdicts.clear();
      this.verdicts.set(address, verdict);
    }
    return verdict;
  }

  /**
   * knfsd's `secure`: a source port below 1024 shows the caller is root on its host (or a kernel
   * NFS client), not any local user who could claim any uid over AUTH_SYS.
   */
  servedOver(protocol: ShareProtocolName): boolean {
    return this.config.protocols.includes(protocol);
  }

  allowsSourcePort(port: number): boolean {
    return !this.config.requirePrivilegedPort || port < FIRST_UNPRIVILEGED_PORT;
  }

  private checkClient(address: string): boolean {
    const zone = address.indexOf("%");
    const plain = unmapIpv4(zone === -1 ? address : address.slice(0, zone));
    const version = isIP(plain);
    if (version === 0) return false;
    return this.clients.check(plain, version === 4 ? "ipv4" : "ipv6");
  }

  /**
   * No identity (null: AUTH_NONE) and all_squash act as the anonymous ids. root_squash works as in Linux
   * knfsd: uid 0 becomes anonymous_uid, and gid 0 (primary or supplementary) anonymous_gid.
   */
  authContext(identity: ClaimedIdentity | null): AuthContext {
    const { anonymousUid, anonymousGid } = this.config;
    if (identity === null || this.config.allSquash) return { uid: anonymousUid, gid: anonymousGid, gids: [] };
    if (this.config.rootSquash) {
      return {
        uid: identity.uid === 0 ? anonymousUid : identity.uid,
        gid: identity.gid === 0 ? anonymousGid : identity.gid,
        gids: identity.gids.map((gid) => (gid === 0 ? anonymousGid : gid)),
      };
    }
    return { uid: identity.uid, gid: identity.gid, gids: [...identity.gids] };
  }
}
