import { isIP } from "node:net";

/** One entry of a share's allowed_clients: an address (a /32 or /128) or a CIDR block. */
export interface ClientRule {
  family: "ipv4" | "ipv6";
  address: string;
  prefix: number;
}

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * Parses "192.168.1.7", "10.0.0.0/8", "::1" or "fd00::/8"; undefined when malformed. An
 * IPv4-mapped IPv6 rule ("::ffff:10.0.0.1") becomes the IPv4 rule it stands for, so that it
 * matches however the peer's address is reported.
 */
export function parseClientRule(text: string): ClientRule | undefined {
  const slash = text.indexOf("/");
  const address = slash === -1 ? text : text.slice(0, slash);
  const version = isIP(address);
  if (version === 0 || address.includes("%")) return undefined;
  const family = version === 4 ? "ipv4" : "ipv6";
  const maxPrefix = version === 4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash !== -1) {
    const digits = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(digits)) return undefined;
    prefix = Number(digits);
    if (prefix > maxPrefix) return undefined;
  }
  const mapped = family === "ipv6" ? IPV4_MAPPED.exec(address) : null;
  if (mapped && prefix >= 96) {
    return { family: "ipv4", address: mapped[1]!, prefix: prefix - 96 };
  }
  return { family, address, prefix };
}

/** "::ffff:127.0.0.1" → "127.0.0.1"; other addresses unchanged. */
export function unmapIpv4(address: string): string {
  const mapped = IPV4_MAPPED.exec(address);
  return mapped ? mapped[1]! : address;
}
