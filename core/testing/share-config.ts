import { DEFAULT_LITTER } from "../config/schema.js";
import type { ShareConfig } from "../config/types.js";

/** A share config as the schema's defaults would give it (root owned by uid 0, no squashing), for tests. */
export function shareConfig(name: string, overrides: Partial<ShareConfig> = {}): ShareConfig {
  return {
    name,
    metadataStore: "meta",
    contentStore: "content",
    readOnly: false,
    allowedClients: ["127.0.0.1", "::1"],
    rootSquash: false,
    allSquash: false,
    anonymousUid: 65534,
    anonymousGid: 65534,
    root: { uid: 0, gid: 0, mode: 0o755 },
    durability: "local",
    requirePrivilegedPort: false,
    protocols: ["nfs", "smb"],
    litter: [...DEFAULT_LITTER],
    smb: { name: name.slice(name.lastIndexOf("/") + 1), encryption: null },
    ...overrides,
  };
}
