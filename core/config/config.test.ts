import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ConfigError, dataDir, defaultConfig, loadConfig, parseConfig, validateConfig } from "./index.js";

const here = path.dirname(fileURLToPath(import.meta.url));

type RawShare = Record<string, unknown>;
interface RawConfig {
  [key: string]: unknown;
  metadata: { stores: Record<string, unknown> };
  content: { stores: Record<string, unknown> };
  shares: RawShare[];
}

/** The smallest valid config, as the YAML parser would hand it over. */
function minimal(): RawConfig {
  return {
    metadata: { stores: { meta: { type: "memory" } } },
    content: { stores: { data: { type: "memory" } } },
    shares: [{ name: "/export", metadata_store: "meta", content_store: "data" }],
  };
}

/** "path: message" for every issue a raw config produces. */
function issuesOf(raw: unknown): string[] {
  try {
    validateConfig(raw, "test.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error("config was accepted");
}

function yamlIssuesOf(text: string): { path: string; message: string; line?: number }[] {
  try {
    parseConfig(text, "test.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).issues];
  }
  throw new Error("config was accepted");
}

function withChange(change: (config: RawConfig) => void): RawConfig {
  const config = minimal();
  change(config);
  return config;
}

describe("valid configs", () => {
  test("a minimal config gets every default", () => {
    const config = validateConfig(minimal(), "test.yaml");
    expect(config).toEqual({
      logging: { level: "info" },
      server: { shutdownTimeout: 10_000 },
      adapters: {
        nfs: {
          enabled: true,
          bind: "127.0.0.1",
          port: 12049,
          mountPort: null,
          maxRecordSize: 2 * 2 ** 20,
          idleTimeout: 300_000,
          maxConnections: 256,
          maxInflightBytes: 128 * 2 ** 20,
          drcEntries: 4096,
        },
        portmap: { enabled: false, bind: "127.0.0.1", port: 10111 },
        smb: {
          enabled: false,
          bind: "127.0.0.1",
          port: 12445,
          minDialect: "2.0.2",
          maxDialect: "3.1.1",
          signing: "required",
          encryption: "off",
          guest: false,
          users: [],
          maxConnections: 256,
          idleTimeout: 900_000,
        },
      },
      control: { enabled: false, bind: "127.0.0.1", port: 12080 },
      cache: { maxDirtyBytes: 64 * 2 ** 20, flushAfter: 5000 },
      metadata: { stores: { meta: { type: "memory" } } },
      content: { stores: { data: { type: "memory" } } },
      shares: [
        {
          name: "/export",
          metadataStore: "meta",
          contentStore: "data",
          readOnly: false,
          allowedClients: ["127.0.0.1", "::1"],
          rootSquash: true,
          allSquash: false,
          anonymousUid: 65534,
          anonymousGid: 65534,
          root: { uid: process.getuid!(), gid: process.getgid!(), mode: 0o755 },
          durability: "local",
          requirePrivilegedPort: false,
          protocols: ["nfs", "smb"],
          litter: [".DS_Store", "._*", "Thumbs.db", "desktop.ini"],
          smb: { name: "export", encryption: null },
        },
      ],
    });
  });

  test("every setting is read, sizes and durations converted, relative paths resolved against baseDir", () => {
    const text = `
logging: { level: debug }
server: { shutdown_timeout: 500ms }
adapters:
  nfs:
    enabled: true
    bind: "::1"
    port: 0
    mount_port: 20048
    max_record_size: 4MiB
    idle_timeout: 90s
    max_connections: 16
    max_inflight_bytes: 32MiB
    drc_entries: 0
  portmap: { enabled: true, bind: 0.0.0.0, port: 10111 }
cache: { max_dirty_bytes: 1GiB, flush_after: 2s }
metadata:
  stores:
    meta: { type: sqlite, sqlite: { path: db/meta.db } }
content:
  stores:
    data: { type: fs, fs: { path: /srv/content, max_open_files: 32 } }
shares:
  - name: /photos/2024
    metadata_store: meta
    content_store: data
    read_only: true
    allowed_clients: [10.0.0.0/8, "fd00::/8", 192.168.1.7]
    root_squash: false
    all_squash: true
    anonymous_uid: 1001
    anonymous_gid: 1002
    root: { uid: 501, gid: 20, mode: 0o700 }
    require_privileged_port: true
    protocols: [smb]
    litter: ["*.tmp", "~$?.docx"]
    smb: { name: photos, encryption: required }
`;
    const config = parseConfig(text, "test.yaml", { baseDir: "/etc/dittofs" });
    expect(config.logging.level).toBe("debug");
    expect(config.server.shutdownTimeout).toBe(500);
    expect(config.adapters.nfs).toEqual({
      enabled: true,
      bind: "::1",
      port: 0,
      mountPort: 20048,
      maxRecordSize: 4 * 2 ** 20,
      idleTimeout: 90_000,
      maxConnections: 16,
      maxInflightBytes: 32 * 2 ** 20,
      drcEntries: 0,
    });
    expect(config.adapters.portmap).toEqual({ enabled: true, bind: "0.0.0.0", port: 10111 });
    expect(config.cache).toEqual({ maxDirtyBytes: 2 ** 30, flushAfter: 2000 });
    expect(config.metadata.stores.meta).toEqual({ type: "sqlite", sqlite: { path: "/etc/dittofs/db/meta.db" } });
    expect(config.content.stores.data).toEqual({ type: "fs", fs: { layout: "opaque", path: "/srv/content", maxOpenFiles: 32, index: null, revalidateAfter: 1000 } });
    expect(config.shares).toEqual([
      {
        name: "/photos/2024",
        metadataStore: "meta",
        contentStore: "data",
        readOnly: true,
        allowedClients: ["10.0.0.0/8", "fd00::/8", "192.168.1.7"],
        rootSquash: false,
        allSquash: true,
        anonymousUid: 1001,
        anonymousGid: 1002,
        root: { uid: 501, gid: 20, mode: 0o700 },
        durability: "local",
        requirePrivilegedPort: true,
        protocols: ["smb"],
        litter: ["*.tmp", "~$?.docx"],
        smb: { name: "photos", encryption: "required" },
      },
    ]);
  });

  test.each([
    ["0o700", 0o700],
    ["0700", 0o700],
    ['"0700"', 0o700],
    ['"700"', 0o700],
    ['"0o1777"', 0o1777],
    ["448", 448],
    ["0", 0],
  ])("root mode %s reads as %o", (written, mode) => {
    const text = `metadata: { stores: { m: { type: memory } } }
content: { stores: { c: { type: memory } } }
shares: [ { name: /e, metadata_store: m, content_store: c, root: { mode: ${written} } } ]`;
    expect(parseConfig(text, "test.yaml").shares[0]!.root.mode).toBe(mode);
  });

  test("two shares may reference the same stores", () => {
    const config = validateConfig(
      withChange((c) => c.shares.push({ name: "/other", metadata_store: "meta", content_store: "data" })),
      "test.yaml",
    );
    expect(config.shares.map((s) => [s.name, s.metadataStore, s.contentStore])).toEqual([
      ["/export", "meta", "data"],
      ["/other", "meta", "data"],
    ]);
  });

  test("litter: [] keeps no file local", () => {
    const config = validateConfig(withChange((c) => (c.shares[0]!.litter = [])), "test.yaml");
    expect(config.shares[0]!.litter).toEqual([]);
  });

  test("a mount_port of 0 asks for an ephemeral MOUNT port, even with port 0", () => {
    const config = validateConfig(withChange((c) => (c.adapters = { nfs: { port: 0, mount_port: 0 } })), "test.yaml");
    expect(config.adapters.nfs.mountPort).toBe(0);
  });
});

describe("the example file", () => {
  test("parses, with paths relative to its folder", async () => {
    const config = await loadConfig(path.join(here, "dittofs.example.yaml"));
    expect(config.shares.map((s) => s.name)).toEqual(["/export", "/scratch"]);
    expect(config.metadata.stores.meta).toEqual({ type: "sqlite", sqlite: { path: path.join(here, "data/meta.db") } });
    expect(config.content.stores.data).toEqual({ type: "fs", fs: { layout: "opaque", path: path.join(here, "data/content"), maxOpenFiles: 256, index: null, revalidateAfter: 1000 } });
    expect(config.shares[0]!.root.mode).toBe(0o755);
    expect(config.shares[1]!.root.mode).toBe(0o1777);
    expect(config.shares[1]!.allSquash).toBe(true);
    expect(config.adapters.nfs.maxRecordSize).toBe(2 * 2 ** 20);
    expect(config.server.shutdownTimeout).toBe(10_000);
  });
});

describe("errors name the key path and what was expected", () => {
  test.each<[string, (c: RawConfig) => void, string[]]>([
    ["port not a number", (c) => (c.adapters = { nfs: { port: "abc" } }), ['adapters.nfs.port: expected an integer from 0 to 65535, got "abc"']],
    ["port out of range", (c) => (c.adapters = { nfs: { port: 70000 } }), ["adapters.nfs.port: expected an integer from 0 to 65535, got 70000"]],
    ["port not whole", (c) => (c.adapters = { portmap: { port: 1.5 } }), ["adapters.portmap.port: expected an integer from 0 to 65535, got 1.5"]],
    [
      "misspelt key",
      (c) => (c.adapters = { nfs: { prot: 2049 } }),
      [
        "adapters.nfs.prot: unknown key (expected one of: enabled, bind, port, mount_port, max_record_size, idle_timeout, max_connections, max_inflight_bytes, drc_entries)",
      ],
    ],
    [
      "unknown top-level key",
      (c) => (c.sharez = []),
      ["sharez: unknown key (expected one of: logging, server, adapters, control, cache, metadata, content, shares)"],
    ],
    [
      "unknown key in a share",
      (c) => (c.shares[0]!.readonly = true),
      [
        "shares[0].readonly: unknown key (expected one of: name, metadata_store, content_store, read_only, allowed_clients, root_squash, all_squash, anonymous_uid, anonymous_gid, root, durability, require_privileged_port, protocols, litter, smb)",
      ],
    ],
    ["section not a mapping", (c) => (c.adapters = "nfs"), ['adapters: expected a mapping, got "nfs"']],
    [
      "litter pattern with a path",
      (c) => (c.shares[0]!.litter = [".DS_Store", "dir/Thumbs.db"]),
      ['shares[0].litter[1]: expected a file name pattern (1 to 255 characters with * and ? wildcards, no "/" or NUL), got "dir/Thumbs.db"'],
    ],
    ["litter pattern empty", (c) => (c.shares[0]!.litter = [""]), ['shares[0].litter[0]: expected a file name pattern (1 to 255 characters with * and ? wildcards, no "/" or NUL), got ""']],
    ["litter not a list", (c) => (c.shares[0]!.litter = ".DS_Store"), ['shares[0].litter: expected a list of file name patterns, got ".DS_Store"']],
    ["too many litter patterns", (c) => (c.shares[0]!.litter = Array.from({ length: 65 }, (_, i) => `p${i}`)), ["shares[0].litter: expected at most 64 patterns"]],
    ["bool as a string", (c) => (c.shares[0]!.read_only = "yes"), ['shares[0].read_only: expected true or false, got "yes"']],
    ["bad log level", (c) => (c.logging = { level: "verbose" }), ['logging.level: expected one of: trace, debug, info, warn, error, fatal, silent, got "verbose"']],
    [
      "bad duration",
      (c) => (c.server = { shutdown_timeout: "10" }),
      ['server.shutdown_timeout: expected a duration up to 3600s (milliseconds, or a string like "10s" or "500ms"), got "10"'],
    ],
    [
      "bad size",
      (c) => (c.cache = { max_dirty_bytes: "64 potatoes" }),
      ['cache.max_dirty_bytes: expected a size from 1MiB to 64GiB (bytes, or a string like "64MiB"), got "64 potatoes"'],
    ],
    [
      "flush_after beyond an hour",
      (c) => (c.cache = { flush_after: "2h" }),
      ['cache.flush_after: expected a duration up to 3600s (milliseconds, or a string like "10s" or "500ms"), got "2h"'],
    ],
    [
      "record size too small for a 1 MiB WRITE",
      (c) => (c.adapters = { nfs: { max_record_size: "1MiB" } }),
      ['adapters.nfs.max_record_size: expected a size from 1MiB to 64MiB (bytes, or a string like "64MiB"), got "1MiB"'],
    ],
    [
      "in-flight budget below one record",
      (c) => (c.adapters = { nfs: { max_record_size: "4MiB", max_inflight_bytes: "2MiB" } }),
      ["adapters.nfs.max_inflight_bytes: expected at least max_record_size (4MiB), got 2MiB"],
    ],
    ["no connections at all", (c) => (c.adapters = { nfs: { max_connections: 0 } }), ["adapters.nfs.max_connections: expected an integer from 1 to 65535, got 0"]],
    [
      "negative cache size",
      (c) => (c.adapters = { nfs: { drc_entries: -1 } }),
      ["adapters.nfs.drc_entries: expected an integer from 0 to 1000000, got -1"],
    ],
    ["no protocol", (c) => (c.shares[0]!.protocols = []), ["shares[0].protocols: expected at least one protocol (nfs, smb)"]],
    ["unknown protocol", (c) => (c.shares[0]!.protocols = ["nfs", "afp"]), ['shares[0].protocols[1]: expected "nfs" or "smb", got "afp"']],
    ["protocol twice", (c) => (c.shares[0]!.protocols = ["smb", "smb"]), ["shares[0].protocols: expected each protocol once"]],
    [
      "privileged port as a string",
      (c) => (c.shares[0]!.require_privileged_port = "yes"),
      ['shares[0].require_privileged_port: expected true or false, got "yes"'],
    ],
    ["bind to a host name", (c) => (c.adapters = { nfs: { bind: "localhost" } }), ['adapters.nfs.bind: expected an IP address like 127.0.0.1 or ::1, got "localhost"']],
    [
      "unknown metadata store type",
      (c) => (c.metadata.stores.meta = { type: "mysql" }),
      ['metadata.stores.meta.type: expected one of: memory, sqlite, postgres, got "mysql"'],
    ],
    ["store without a type", (c) => (c.content.stores.data = {}), ["content.stores.data.type: missing: expected one of: memory, fs, s3"]],
    ["store not a mapping", (c) => (c.content.stores.data = "fs"), ['content.stores.data: expected a mapping, got "fs"']],
    ["sqlite store without its block", (c) => (c.metadata.stores.meta = { type: "sqlite" }), ["metadata.stores.meta.sqlite: missing: expected a mapping"]],
    ["sqlite store without a path", (c) => (c.metadata.stores.meta = { type: "sqlite", sqlite: {} }), ["metadata.stores.meta.sqlite.path: missing: expected a file path"]],
    [
      "options of another store type",
      (c) => (c.content.stores.data = { type: "memory", fs: { path: "/x" } }),
      ["content.stores.data.fs: unknown key (expected one of: type)"],
    ],
    [
      "unknown fs layout",
      (c) => (c.content.stores.data = { type: "fs", fs: { path: "/x", layout: "mirror" } }),
      ['content.stores.data.fs.layout: expected "opaque" (one file per content id) or "folder" (the directory exported as it is), got "mirror"'],
    ],
    [
      "max_open_files zero",
      (c) => (c.content.stores.data = { type: "fs", fs: { path: "/x", max_open_files: 0 } }),
      ["content.stores.data.fs.max_open_files: expected an integer from 1 to 65536, got 0"],
    ],
    [
      "bad store name",
      (c) => (c.metadata.stores = { "my store": { type: "memory" } }),
      ['metadata.stores["my store"]: invalid store name "my store" (expected up to 64 letters, digits, "_", "-" or ".")'],
    ],
    ["no stores", (c) => (c.content.stores = {}), ["content.stores: expected at least one store"]],
    ["no metadata section", (c) => Reflect.deleteProperty(c, "metadata"), ["metadata: missing: expected a mapping"]],
    ["no shares", (c) => Reflect.deleteProperty(c, "shares"), ["shares: missing: expected a list of shares"]],
    ["empty share list", (c) => (c.shares = []), ["shares: expected at least one share"]],
    ["share name without a slash", (c) => (c.shares[0]!.name = "export"), ['shares[0].name: expected an export path starting with "/", got "export"']],
    ["share name with ..", (c) => (c.shares[0]!.name = "/a/../b"), ['shares[0].name: "." and ".." are not allowed in a share name, got "/a/../b"']],
    ["share name /", (c) => (c.shares[0]!.name = "/"), ['shares[0].name: expected an export path below "/", like "/export", got "/"']],
    [
      "share name with a trailing slash",
      (c) => (c.shares[0]!.name = "/export/"),
      ['shares[0].name: empty path components (a trailing "/" or "//") are not allowed, got "/export/"'],
    ],
    ["share name missing", (c) => delete c.shares[0]!.name, ['shares[0].name: missing: expected an export path like "/export"']],
    [
      "share name too long",
      (c) => (c.shares[0]!.name = "/" + "a".repeat(1024)),
      [`shares[0].name: a share name may have at most 1024 bytes, got "/${"a".repeat(1024)}"`],
    ],
    [
      "duplicate share names",
      (c) => c.shares.push({ ...c.shares[0]! }),
      ['shares[1].name: duplicate share name "/export" (already used by shares[0])'],
    ],
    [
      "unknown metadata store",
      (c) => (c.shares[0]!.metadata_store = "x"),
      ['shares[0].metadata_store: unknown metadata store "x" (expected one of: meta)'],
    ],
    [
      "unknown content store",
      (c) => (c.shares[0]!.content_store = "meta"),
      ['shares[0].content_store: unknown content store "meta" (expected one of: data)'],
    ],
    ["missing metadata_store", (c) => delete c.shares[0]!.metadata_store, ["shares[0].metadata_store: missing: expected the name of a metadata store"]],
    [
      "bad CIDR",
      (c) => (c.shares[0]!.allowed_clients = ["127.0.0.1", "10.0.0.0/33"]),
      ['shares[0].allowed_clients[1]: expected an IP address or CIDR like "127.0.0.1", "::1" or "192.168.0.0/16", got "10.0.0.0/33"'],
    ],
    [
      "host name as a client",
      (c) => (c.shares[0]!.allowed_clients = ["laptop.local"]),
      ['shares[0].allowed_clients[0]: expected an IP address or CIDR like "127.0.0.1", "::1" or "192.168.0.0/16", got "laptop.local"'],
    ],
    [
      "allowed_clients not a list",
      (c) => (c.shares[0]!.allowed_clients = "127.0.0.1"),
      ['shares[0].allowed_clients: expected a list of addresses or CIDRs, got "127.0.0.1"'],
    ],
    [
      "empty allowed_clients",
      (c) => (c.shares[0]!.allowed_clients = []),
      ['shares[0].allowed_clients: expected at least one address or CIDR (use "0.0.0.0/0" and "::/0" to allow every client)'],
    ],
    ["negative uid", (c) => (c.shares[0]!.anonymous_uid = -1), ["shares[0].anonymous_uid: expected an integer from 0 to 4294967295, got -1"]],
    [
      "bad mode",
      (c) => (c.shares[0]!.root = { mode: "0999" }),
      ['shares[0].root.mode: expected a mode from 0 to 0o7777 (a number like 0o755 or an octal string like "0755"), got "0999"'],
    ],
    [
      "mode too large",
      (c) => (c.shares[0]!.root = { mode: 0o17777 }),
      ['shares[0].root.mode: expected a mode from 0 to 0o7777 (a number like 0o755 or an octal string like "0755"), got 8191'],
    ],
    ["NFS disabled", (c) => (c.adapters = { nfs: { enabled: false } }), ["adapters.nfs.enabled: no protocol adapter is enabled: expected true here or in adapters.smb.enabled"]],
    [
      "MOUNT port equal to the NFS port",
      (c) => (c.adapters = { nfs: { port: 20000, mount_port: 20000 } }),
      ["adapters.nfs.mount_port: must differ from adapters.nfs.port (MOUNT is always served on the NFS port too), got 20000"],
    ],
    [
      "portmap on the NFS port",
      (c) => (c.adapters = { nfs: { port: 20000 }, portmap: { enabled: true, port: 20000 } }),
      ["adapters.portmap.port: already used by adapters.nfs.port, got 20000"],
    ],
    [
      "portmap on the MOUNT port",
      (c) => (c.adapters = { nfs: { mount_port: 20001 }, portmap: { enabled: true, port: 20001 } }),
      ["adapters.portmap.port: already used by adapters.nfs.mount_port, got 20001"],
    ],
  ])("%s", (_name, change, expected) => {
    expect(issuesOf(withChange(change))).toEqual(expected);
  });

  test("every problem is reported at once", () => {
    const issues = issuesOf(
      withChange((c) => {
        c.adapters = { nfs: { port: -1 } };
        c.shares[0]!.name = "nope";
        c.shares[0]!.root_squash = 1;
      }),
    );
    expect(issues).toEqual([
      "adapters.nfs.port: expected an integer from 0 to 65535, got -1",
      'shares[0].name: expected an export path starting with "/", got "nope"',
      "shares[0].root_squash: expected true or false, got 1",
    ]);
  });

  test("an empty document and a non-mapping document", () => {
    expect(yamlIssuesOf("")).toEqual([
      { path: "(top level)", message: "the config is empty: expected a mapping with metadata, content and shares" },
    ]);
    expect(yamlIssuesOf("- 1\n")).toEqual([{ path: "(top level)", message: "expected a mapping, got a list", line: 1 }]);
  });

  test("a missing section has no line of its own and is listed after located issues", () => {
    expect(yamlIssuesOf("adapters: { nfs: { port: x } }\n")).toEqual([
      { path: "adapters.nfs.port", message: 'expected an integer from 0 to 65535, got "x"', line: 1 },
      { path: "metadata", message: "missing: expected a mapping" },
      { path: "content", message: "missing: expected a mapping" },
      { path: "shares", message: "missing: expected a list of shares" },
    ]);
  });

  test("a missing key inside a share points at the share", () => {
    const text = "metadata: { stores: { m: { type: memory } } }\ncontent: { stores: { c: { type: memory } } }\nshares:\n  - name: /e\n    metadata_store: m\n";
    expect(yamlIssuesOf(text)).toEqual([
      { path: "shares[0].content_store", message: "missing: expected the name of a content store", line: 4 },
    ]);
  });

  test("YAML syntax errors carry their line", () => {
    const issues = yamlIssuesOf("logging: {}\nserver: a: b\ncache: {}\n");
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe("(yaml)");
    expect(issues[0]!.line).toBe(2);
    expect(issues[0]!.message).not.toMatch(/at line/);
  });

  test("duplicate YAML keys are errors, not a silent override", () => {
    const issues = yamlIssuesOf("logging: { level: info }\nlogging: { level: debug }\n");
    expect(issues).toEqual([{ path: "(yaml)", message: "Map keys must be unique", line: 2 }]);
  });

  test("issues carry the line of the offending key, in file order, and the message shows them", () => {
    const text = `metadata:
  stores:
    meta: { type: memory }
content:
  stores:
    data: { type: memory }
shares:
  - name: /export
    metadata_store: x
    content_store: data
adapters:
  nfs:
    port: abc
`;
    let error: ConfigError | undefined;
    try {
      parseConfig(text, "dittofs.yaml");
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.issues).toEqual([{ path: "adapters.nfs.port", message: 'expected an integer from 0 to 65535, got "abc"', line: 13 }]);
    // Structural errors come first; once fixed, the cross-references are checked.
    try {
      parseConfig(text.replace("port: abc", "port: 20000"), "dittofs.yaml");
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.issues).toEqual([
      { path: "shares[0].metadata_store", message: 'unknown metadata store "x" (expected one of: meta)', line: 9 },
    ]);
    expect(error?.message).toBe(
      'invalid config dittofs.yaml:\n  dittofs.yaml:9: shares[0].metadata_store: unknown metadata store "x" (expected one of: meta)',
    );
  });
});

describe("loadConfig", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "dittofs-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("resolves relative store paths against the file's folder", async () => {
    const file = path.join(dir, "d.yaml");
    await writeFile(
      file,
      "metadata: { stores: { m: { type: sqlite, sqlite: { path: meta.db } } } }\n" +
        "content: { stores: { c: { type: fs, fs: { path: ../content } }, f: { type: fs, fs: { layout: folder, path: docs, index: state/f.db, revalidate_after: 0s } } } }\n" +
        "shares: [ { name: /e, metadata_store: m, content_store: c } ]\n",
    );
    const config = await loadConfig(file);
    expect(config.metadata.stores.m).toEqual({ type: "sqlite", sqlite: { path: path.join(dir, "meta.db") } });
    expect(config.content.stores.c).toEqual({
      type: "fs",
      fs: { layout: "opaque", path: path.join(path.dirname(dir), "content"), maxOpenFiles: 256, index: null, revalidateAfter: 1000 },
    });
    expect(config.content.stores.f).toEqual({
      type: "fs",
      fs: { layout: "folder", path: path.join(dir, "docs"), maxOpenFiles: 256, index: path.join(dir, "state/f.db"), revalidateAfter: 0 },
    });
  });

  test("a missing file is a ConfigError naming the file", async () => {
    const file = path.join(dir, "missing.yaml");
    await expect(loadConfig(file)).rejects.toThrow(new ConfigError(file, [{ path: "(file)", message: "cannot read the config: no such file" }]));
    await expect(loadConfig(file)).rejects.toThrow(`${file}: (file): cannot read the config: no such file`);
  });

  test("the file name prefixes every message", async () => {
    const file = path.join(dir, "bad.yaml");
    await writeFile(file, "logging: { level: loud }\n");
    await expect(loadConfig(file)).rejects.toThrow(`${file}:1: logging.level: expected one of:`);
  });
});

describe("defaultConfig", () => {
  test("puts sqlite metadata and fs content under DITTOFS_DATA_DIR, root owned by the current user", () => {
    const config = defaultConfig({ DITTOFS_DATA_DIR: "/tmp/ditto-data" });
    expect(config.metadata.stores).toEqual({ meta: { type: "sqlite", sqlite: { path: "/tmp/ditto-data/meta.db" } } });
    expect(config.content.stores).toEqual({ data: { type: "fs", fs: { layout: "opaque", path: "/tmp/ditto-data/content", maxOpenFiles: 256, index: null, revalidateAfter: 1000 } } });
    expect(config.shares).toHaveLength(1);
    expect(config.shares[0]).toMatchObject({
      name: "/export",
      metadataStore: "meta",
      contentStore: "data",
      allowedClients: ["127.0.0.1", "::1"],
      root: { uid: process.getuid!(), gid: process.getgid!(), mode: 0o755 },
    });
    expect(config.adapters.nfs).toMatchObject({ enabled: true, bind: "127.0.0.1", port: 12049 });
  });

  test("squashes root unless the server runs as root, whose share root squashing would lock out", () => {
    const asUser = defaultConfig({ DITTOFS_DATA_DIR: "/d" }, "linux", { uid: 1000, gid: 100 });
    expect(asUser.shares[0]).toMatchObject({ rootSquash: true, root: { uid: 1000, gid: 100, mode: 0o755 } });
    const asRoot = defaultConfig({ DITTOFS_DATA_DIR: "/d" }, "linux", { uid: 0, gid: 0 });
    expect(asRoot.shares[0]).toMatchObject({ rootSquash: false, root: { uid: 0, gid: 0, mode: 0o755 } });
  });

  test("DITTOFS_NFS_PORT sets the NFS port; anything but a port is a ConfigError naming it", () => {
    expect(defaultConfig({ DITTOFS_DATA_DIR: "/d", DITTOFS_NFS_PORT: "23049" }).adapters.nfs.port).toBe(23049);
    expect(defaultConfig({ DITTOFS_DATA_DIR: "/d", DITTOFS_NFS_PORT: "0" }).adapters.nfs.port).toBe(0);
    expect(defaultConfig({ DITTOFS_DATA_DIR: "/d", DITTOFS_NFS_PORT: "" }).adapters.nfs.port).toBe(12049);
    for (const bad of ["65536", "12a", "-1", "1e3", "port"]) {
      const call = () => defaultConfig({ DITTOFS_DATA_DIR: "/d", DITTOFS_NFS_PORT: bad });
      expect(call).toThrow(ConfigError);
      expect(call).toThrow(`(built-in default): DITTOFS_NFS_PORT: expected a port from 0 to 65535, got ${JSON.stringify(bad)}`);
    }
  });

  test("a relative DITTOFS_DATA_DIR resolves against the working directory once", () => {
    const config = defaultConfig({ DITTOFS_DATA_DIR: "rel" });
    expect(config.metadata.stores.meta).toEqual({ type: "sqlite", sqlite: { path: path.resolve("rel", "meta.db") } });
  });

  test("uses the per-OS user data directory", () => {
    expect(dataDir({ HOME: "/home/u" }, "linux")).toBe("/home/u/.local/share/dittofs");
    expect(dataDir({ HOME: "/home/u", XDG_DATA_HOME: "/xdg" }, "linux")).toBe("/xdg/dittofs");
    expect(dataDir({ HOME: "/Users/u" }, "darwin")).toBe("/Users/u/Library/Application Support/DittoFS");
    expect(dataDir({ APPDATA: "C:\\Users\\u\\AppData\\Roaming" }, "win32")).toBe("C:\\Users\\u\\AppData\\Roaming\\DittoFS");
    expect(dataDir({ USERPROFILE: "C:\\Users\\u" }, "win32")).toBe("C:\\Users\\u\\AppData\\Roaming\\DittoFS");
    expect(dataDir({ HOME: "/home/u", DITTOFS_DATA_DIR: "/data" }, "linux")).toBe("/data");
  });
});

describe("adapters.smb and shares[].smb", () => {
  const smb = (block: Record<string, unknown>) => withChange((config) => (config.adapters = { smb: { enabled: true, ...block } }));

  test("is off by default, and when on requires signing and encrypts nothing unless asked", () => {
    const config = validateConfig(minimal(), "test.yaml");
    expect(config.adapters.smb).toMatchObject({ enabled: false, bind: "127.0.0.1", port: 12445, signing: "required", encryption: "off", guest: false, users: [] });
    expect(config.shares[0]!.smb).toEqual({ name: "export", encryption: null });
  });

  test("takes users whose passwords are secret references, never the passwords", () => {
    const config = validateConfig(smb({ users: [{ name: "alice", password: "env:ALICE_PW", uid: 1000, gid: 1000 }] }), "test.yaml");
    expect(config.adapters.smb.users).toEqual([{ name: "alice", password: { from: "env", name: "ALICE_PW" }, uid: 1000, gid: 1000, gids: [] }]);
    const issues = issuesOf(smb({ users: [{ name: "alice", password: "hunter2", uid: 1, gid: 1 }] }));
    expect(issues).toEqual([expect.stringContaining("adapters.smb.users[0].password: expected a secret reference")]);
    expect(issues.join()).not.toContain("hunter2");
  });

  test("names what is wrong: dialect order, a user listed twice, an SMB name two shares share, a taken port", () => {
    expect(issuesOf(smb({ min_dialect: "3.1.1", max_dialect: "2.1" }))).toEqual([expect.stringContaining("adapters.smb.min_dialect: expected a dialect no newer than max_dialect")]);
    const twice = [{ name: "Alice", password: "env:A", uid: 1, gid: 1 }, { name: "alice", password: "env:B", uid: 2, gid: 2 }];
    expect(issuesOf(smb({ users: twice }))).toEqual([expect.stringContaining("adapters.smb.users[1].name: user \"alice\" is listed twice")]);
    const clash = withChange((config) => {
      config.adapters = { smb: { enabled: true } };
      config.shares.push({ name: "/other/Export", metadata_store: "meta", content_store: "data" });
    });
    expect(issuesOf(clash)).toEqual([expect.stringContaining("shares[1].smb.name: SMB share name \"Export\" is already used by shares[0]")]);
    expect(issuesOf(smb({ port: 12049 }))).toEqual([expect.stringContaining("adapters.smb.port: already used by another adapter")]);
    expect(issuesOf(withChange((config) => (config.shares[0]!.smb = { name: "IPC$" })))).toEqual([expect.stringContaining("shares[0].smb.name: expected a share name")]);
  });
});
