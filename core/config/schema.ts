import { isIP } from "node:net";
import { z } from "zod";
import { parseClientRule } from "./clients.js";
import { describeValue } from "./errors.js";
import { parseSecretRef } from "./secrets.js";
import type {
  ContentStoreConfig,
  DittoConfig,
  MetadataStoreConfig,
  SecretRef,
  ShareConfig,
  SmbAdapterConfig,
  SmbUserConfig,
} from "./types.js";
import { LOG_LEVELS, SMB_DIALECTS } from "./types.js";
import { formatSize, parseDuration, parseSize } from "./units.js";
import { MAX_NAME_PATTERNS, namePatternProblem } from "../util/name-patterns.js";

/**
 * The YAML schema: snake_case keys as written, validated with messages of the form
 * "expected …, got …", transformed into the camelCase DittoConfig. Every mapping is strict, so a
 * misspelt key is an error rather than a silently ignored setting. Cross-references (store names,
 * duplicate shares, port clashes) are checked afterwards, in validate.ts.
 */

const KiB = 2 ** 10;
const MiB = 2 ** 20;
const GiB = 2 ** 30;
const MAX_ID = 2 ** 32 - 1;
const MAX_MODE = 0o7777;
/** MNTPATHLEN (RFC 1813 §5.1): the longest path a MOUNT client may send. */
const MAX_SHARE_NAME_BYTES = 1024;

type ErrorInput = { input?: unknown };

function expecting(what: string): (issue: ErrorInput) => string {
  return (issue) =>
    issue.input === undefined ? `missing: expected ${what}` : `expected ${what}, got ${describeValue(issue.input)}`;
}

/** A scalar checked and converted by `convert`, which returns undefined for bad input. */
function scalar<T>(what: string, convert: (value: unknown) => T | undefined) {
  const message = expecting(what);
  return z.unknown().transform((value, ctx): T => {
    const converted = value === undefined ? undefined : convert(value);
    if (converted === undefined) {
      ctx.addIssue({ code: "custom", message: message({ input: value }), input: value });
      return z.NEVER;
    }
    return converted;
  });
}

function mapping<S extends z.ZodRawShape>(shape: S) {
  const keys = Object.keys(shape).join(", ");
  const notMapping = expecting("a mapping");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `unknown key (expected one of: ${keys})` : notMapping(issue),
  });
}

const bool = z.boolean({ error: expecting("true or false") });

function integer(min: number, max: number, what = `an integer from ${min} to ${max}`) {
  const error = expecting(what);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

const port = integer(0, 65535);
const id = integer(0, MAX_ID);

function size(min: number, max: number) {
  return scalar(`a size from ${formatSize(min)} to ${formatSize(max)} (bytes, or a string like "64MiB")`, (value) => {
    const bytes = parseSize(value);
    return bytes !== undefined && bytes >= min && bytes <= max ? bytes : undefined;
  });
}

function duration(maxMs: number) {
  return scalar(
    `a duration up to ${maxMs / 1000}s (milliseconds, or a string like "10s" or "500ms")`,
    (value) => {
      const ms = parseDuration(value);
      return ms !== undefined && ms <= maxMs ? ms : undefined;
    },
  );
}

const address = scalar("an IP address like 127.0.0.1 or ::1", (value) =>
  typeof value === "string" && isIP(value) !== 0 ? value : undefined,
);

const text = (what: string) =>
  scalar(what, (value) => (typeof value === "string" && value.trim() !== "" ? value : undefined));

/** A permission mode: a number (0o755 in YAML) or an octal string ("0755", "0o755", "755"). */
const mode = scalar(`a mode from 0 to 0o7777 (a number like 0o755 or an octal string like "0755")`, (value) => {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 && value <= MAX_MODE ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = /^(?:0o?)?([0-7]{1,4})$/i.exec(value.trim());
  return match ? parseInt(match[1]!, 8) : undefined;
});

const logLevel = z.enum(LOG_LEVELS, { error: expecting(`one of: ${LOG_LEVELS.join(", ")}`) });

/** Share names are export paths: "/export", "/data/photos". Specific messages for each rule. */
const shareName = z.unknown().transform((value, ctx): string => {
  const fail = (message: string) => {
    ctx.addIssue({ code: "custom", message, input: value });
    return z.NEVER;
  };
  if (typeof value !== "string") return fail(expecting('an export path like "/export"')({ input: value }));
  const got = `, got ${JSON.stringify(value)}`;
  if (!value.startsWith("/")) return fail(`expected an export path starting with "/"${got}`);
  if (value === "/") return fail(`expected an export path below "/", like "/export"${got}`);
  const parts = value.slice(1).split("/");
  if (parts.includes("..") || parts.includes(".")) return fail(`"." and ".." are not allowed in a share name${got}`);
  if (parts.includes("")) return fail(`empty path components (a trailing "/" or "//") are not allowed${got}`);
  if (hasControlCharOrBackslash(value)) return fail(`control characters and "\\" are not allowed in a share name${got}`);
  if (Buffer.byteLength(value) > MAX_SHARE_NAME_BYTES) return fail(`a share name may have at most ${MAX_SHARE_NAME_BYTES} bytes${got}`);
  return value;
});

function hasControlCharOrBackslash(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x5c) return true;
  }
  return false;
}

const STORE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function storeMap<T extends z.ZodType>(store: T) {
  const notMapping = expecting("a mapping of store names to stores");
  return z
    .record(z.string(), store, {
      error: (issue) => (issue.code === "invalid_key" ? "invalid store name" : notMapping(issue)),
    })
    .superRefine((stores, ctx) => {
      const names = Object.keys(stores);
      if (names.length === 0) ctx.addIssue({ code: "custom", message: "expected at least one store", input: stores });
      for (const name of names) {
        if (!STORE_NAME.test(name)) {
          ctx.addIssue({
            code: "custom",
            path: [name],
            message: `invalid store name ${JSON.stringify(name)} (expected up to 64 letters, digits, "_", "-" or ".")`,
            input: name,
          });
        }
      }
    });
}

/** A store's `type` picks its option block; an unknown type names the known ones. */
function storeTypeError(types: readonly string[]): (issue: ErrorInput & { code?: string }) => string | undefined {
  const expected = `one of: ${types.join(", ")}`;
  return (issue) => {
    const input = issue.input;
    if (input === null || typeof input !== "object" || Array.isArray(input)) return expecting("a mapping")(issue);
    if (issue.code !== "invalid_union") return undefined;
    return expecting(expected)({ input: (input as Record<string, unknown>).type });
  };
}

const SECRET_REF_HINT = "a secret reference like env:NAME, file:/run/secrets/name or secret:name (never the secret itself)";

/**
 * A secret is always referenced, so that no config file ever has to hold one. A rejected value
 * is never echoed: it may be the secret itself.
 */
const secretRef = z.unknown().transform((value, ctx): SecretRef => {
  const ref = typeof value === "string" ? parseSecretRef(value) : undefined;
  if (ref) return ref;
  const got = value === undefined ? "missing: " : "";
  const what = typeof value === "string" ? ", got a plain string (not shown)" : value === undefined ? "" : `, got ${describeValue(value)}`;
  ctx.addIssue({ code: "custom", message: `${got}expected ${SECRET_REF_HINT}${what}`, input: undefined });
  return z.NEVER;
});

const hostName = scalar("a host name or IP address", (value) =>
  typeof value === "string" && /^[A-Za-z0-9._:-]{1,253}$/.test(value.trim()) ? value.trim() : undefined,
);

const postgres = mapping({
  host: hostName.default("127.0.0.1"),
  port: integer(1, 65535).default(5432),
  database: text("a database name"),
  user: text("a user name"),
  password: secretRef.nullable().default(null),
  max_conns: integer(1, 1000).default(10),
  ssl: bool.default(false),
  connect_timeout: duration(600_000).default(5_000),
});

const metadataStore = z
  .discriminatedUnion(
    "type",
    [
      mapping({ type: z.literal("memory") }),
      mapping({ type: z.literal("sqlite"), sqlite: mapping({ path: text("a file path") }) }),
      mapping({ type: z.literal("postgres"), postgres }),
    ],
    { error: storeTypeError(["memory", "sqlite", "postgres"]) },
  )
  .transform((raw): MetadataStoreConfig => {
    switch (raw.type) {
      case "sqlite":
        return { type: "sqlite", sqlite: { path: raw.sqlite.path } };
      case "postgres": {
        const pg = raw.postgres;
        return {
          type: "postgres",
          postgres: {
            host: pg.host,
            port: pg.port,
            database: pg.database,
            user: pg.user,
            password: pg.password,
            maxConns: pg.max_conns,
            ssl: pg.ssl,
            connectTimeout: pg.connect_timeout,
          },
        };
      }
      default:
        return { type: "memory" };
    }
  });

/** S3 bucket naming rules (3–63 lower-case letters, digits, "." and "-"), relaxed to allow "_" as some servers do. */
const bucketName = scalar('a bucket name like "photos" (3 to 63 lower-case letters, digits, ".", "-" or "_")', (value) =>
  typeof value === "string" && /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/.test(value) ? value : undefined,
);

const keyPrefix = scalar('a key prefix like "backups/" (ending in "/", or "" for the whole bucket)', (value) => {
  if (typeof value !== "string") return undefined;
  if (value === "") return value;
  const parts = value.split("/");
  const wellFormed = value.endsWith("/") && !value.startsWith("/") && parts.slice(0, -1).every((part) => part !== "" && part !== "." && part !== "..");
  return wellFormed && Buffer.byteLength(value) <= 512 ? value : undefined;
});

const endpoint = scalar('an endpoint URL like "http://127.0.0.1:9000" or "https://s3.example.com"', (value) => {
  if (typeof value !== "string") return undefined;
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === "" ? value : undefined;
  } catch {
    return undefined;
  }
});

const accessKeyId = scalar(`an access key id, or ${SECRET_REF_HINT}`, (value): string | SecretRef | undefined => {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  return parseSecretRef(value) ?? (/^[A-Za-z0-9_+=,.@-]{1,128}$/.test(value) ? value : undefined);
});

const s3 = mapping({
  layout: z.enum(["bucket", "opaque"], { error: expecting('"bucket" (one object per file) or "opaque" (one object per content id)') }).default("bucket"),
  list_ttl: duration(86_400_000).default(30_000),
  bucket: bucketName,
  prefix: keyPrefix.default(""),
  endpoint: endpoint.nullable().default(null),
  region: text("a region like us-east-1").default("us-east-1"),
  path_style: bool.optional(),
  access_key_id: accessKeyId.nullable().default(null),
  secret_access_key: secretRef.nullable().default(null),
  request_timeout: duration(3_600_000).default(60_000),
  connect_timeout: duration(600_000).default(5_000),
  concurrency: integer(1, 64).default(8),
  part_size: size(5 * MiB, 5 * GiB).default(16 * MiB),
}).superRefine((raw, ctx) => {
  if ((raw.access_key_id === null) !== (raw.secret_access_key === null)) {
    ctx.addIssue({
      code: "custom",
      path: [raw.access_key_id === null ? "access_key_id" : "secret_access_key"],
      message: "set both access_key_id and secret_access_key, or neither (to use the AWS default credential chain)",
      input: undefined,
    });
  }
});

const remoteCache = mapping({
  path: text("a directory path").nullable().default(null),
  max_size: size(64 * MiB, 2 ** 50).default(10 * GiB),
  min_free: size(0, 2 ** 50).default(GiB),
  uploads: integer(1, 64).default(4),
  upload_after: duration(3_600_000).default(10_000),
  remote_timeout: duration(3_600_000).default(60_000),
  full_wait: duration(60_000).default(30_000),
  read_ahead: integer(0, 256).default(16),
  revalidate_after: duration(86_400_000).default(3_000),
}).prefault({});

const contentStore = z
  .discriminatedUnion(
    "type",
    [
      mapping({ type: z.literal("memory") }),
      mapping({
        type: z.literal("fs"),
        fs: mapping({
          layout: z.enum(["opaque", "folder"], { error: expecting('"opaque" (one file per content id) or "folder" (the directory exported as it is)') }).default("opaque"),
          path: text("a directory path"),
          max_open_files: integer(1, 65536).default(256),
          index: text("a file path").nullable().default(null),
          revalidate_after: duration(3_600_000).default(1_000),
        }),
      }),
      mapping({ type: z.literal("s3"), s3, cache: remoteCache }),
    ],
    { error: storeTypeError(["memory", "fs", "s3"]) },
  )
  .transform((raw): ContentStoreConfig => {
    switch (raw.type) {
      case "fs":
        return {
          type: "fs",
          fs: { layout: raw.fs.layout, path: raw.fs.path, maxOpenFiles: raw.fs.max_open_files, index: raw.fs.index, revalidateAfter: raw.fs.revalidate_after },
        };
      case "s3":
        return {
          type: "s3",
          s3: {
            layout: raw.s3.layout,
            listTtl: raw.s3.list_ttl,
            bucket: raw.s3.bucket,
            prefix: raw.s3.prefix,
            endpoint: raw.s3.endpoint,
            region: raw.s3.region,
            // Custom endpoints (MinIO, s3rver…) rarely have per-bucket DNS names.
            forcePathStyle: raw.s3.path_style ?? raw.s3.endpoint !== null,
            accessKeyId: raw.s3.access_key_id,
            secretAccessKey: raw.s3.secret_access_key,
            requestTimeout: raw.s3.request_timeout,
            connectTimeout: raw.s3.connect_timeout,
            concurrency: raw.s3.concurrency,
            partSize: raw.s3.part_size,
          },
          cache: {
            path: raw.cache.path,
            maxSize: raw.cache.max_size,
            minFree: raw.cache.min_free,
            uploads: raw.cache.uploads,
            uploadAfter: raw.cache.upload_after,
            remoteTimeout: raw.cache.remote_timeout,
            fullWait: raw.cache.full_wait,
            readAhead: raw.cache.read_ahead,
            revalidateAfter: raw.cache.revalidate_after,
          },
        };
      default:
        return { type: "memory" };
    }
  });

const clientRule = scalar('an IP address or CIDR like "127.0.0.1", "::1" or "192.168.0.0/16"', (value) =>
  typeof value === "string" && parseClientRule(value.trim()) !== undefined ? value.trim() : undefined,
);

const allowedClients = z
  .array(clientRule, { error: expecting("a list of addresses or CIDRs") })
  .min(1, { error: 'expected at least one address or CIDR (use "0.0.0.0/0" and "::/0" to allow every client)' })
  .default(["127.0.0.1", "::1"]);

/** Finder's and Explorer's own files, kept out of remote stores by default (see ShareConfig.litter). */
export const DEFAULT_LITTER = [".DS_Store", "._*", "Thumbs.db", "desktop.ini"];

const litterPattern = scalar('a file name pattern (1 to 255 characters with * and ? wildcards, no "/" or NUL)', (value) =>
  typeof value === "string" && namePatternProblem(value) === null ? value : undefined,
);

const litter = z
  .array(litterPattern, { error: expecting("a list of file name patterns") })
  .max(MAX_NAME_PATTERNS, { error: `expected at most ${MAX_NAME_PATTERNS} patterns` })
  .default(() => [...DEFAULT_LITTER]);

/** The protocols a share is served over; each at least once, NFS and SMB by default. */
const protocols = z
  .array(z.enum(["nfs", "smb"], { error: expecting('"nfs" or "smb"') }), { error: expecting('a list of protocols: [nfs], [smb] or [nfs, smb]') })
  .min(1, { error: "expected at least one protocol (nfs, smb)" })
  .refine((list) => new Set(list).size === list.length, { error: "expected each protocol once" })
  .default((): ("nfs" | "smb")[] => ["nfs", "smb"]);

/** The ids the server process runs as (0 where the platform has none, e.g. Windows). */
export function processIds(): { uid: number; gid: number } {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

/** SMB share names: what \\\\server\\name shows; Windows forbids these characters in them. */
const smbShareName = scalar('a share name of 1 to 80 characters without \\ / : * ? " < > | or control characters', (value) =>
  typeof value === "string" &&
  value.length >= 1 &&
  value.length <= 80 &&
  !/[/:*?"<>|]/.test(value) &&
  !hasControlCharOrBackslash(value) &&
  value.toUpperCase() !== "IPC$"
    ? value
    : undefined,
);

const smbEncryption = z.enum(["off", "preferred", "required"], { error: expecting('"off", "preferred" or "required"') });

const smbDialect = z.enum(SMB_DIALECTS, { error: expecting(`one of: ${SMB_DIALECTS.join(", ")}`) });

const smbUser = mapping({
  name: scalar("a user name of 1 to 104 characters without \\ / @ or control characters", (value) =>
    typeof value === "string" && value.length >= 1 && value.length <= 104 && !/[/@]/.test(value) && !hasControlCharOrBackslash(value) ? value : undefined,
  ),
  password: secretRef,
  uid: id,
  gid: id,
  gids: z.array(id, { error: expecting("a list of group ids") }).max(16, { error: "expected at most 16 group ids" }).default([]),
}).transform((raw): SmbUserConfig => ({ ...raw }));

const smbAdapter = mapping({
  enabled: bool.default(false),
  bind: address.default("127.0.0.1"),
  port: port.default(12445),
  min_dialect: smbDialect.default("2.0.2"),
  max_dialect: smbDialect.default("3.1.1"),
  signing: z.enum(["required", "enabled"], { error: expecting('"required" or "enabled"') }).default("required"),
  encryption: smbEncryption.default("off"),
  guest: bool.default(false),
  users: z.array(smbUser, { error: expecting("a list of users") }).default([]),
  max_connections: integer(1, 65535).default(256),
  idle_timeout: duration(86_400_000).default(15 * 60_000),
})
  .superRefine((raw, ctx) => {
    if (SMB_DIALECTS.indexOf(raw.min_dialect) > SMB_DIALECTS.indexOf(raw.max_dialect)) {
      ctx.addIssue({ code: "custom", path: ["min_dialect"], message: `expected a dialect no newer than max_dialect (${raw.max_dialect}), got ${raw.min_dialect}`, input: raw.min_dialect });
    }
    const seen = new Set<string>();
    raw.users.forEach((user, i) => {
      const key = user.name.toUpperCase();
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["users", i, "name"], message: `user ${JSON.stringify(user.name)} is listed twice (names compare without case)`, input: user.name });
      seen.add(key);
    });
  })
  .transform(
    (raw): SmbAdapterConfig => ({
      enabled: raw.enabled,
      bind: raw.bind,
      port: raw.port,
      minDialect: raw.min_dialect,
      maxDialect: raw.max_dialect,
      signing: raw.signing,
      encryption: raw.encryption,
      guest: raw.guest,
      users: raw.users,
      maxConnections: raw.max_connections,
      idleTimeout: raw.idle_timeout,
    }),
  );

const share = mapping({
  name: shareName,
  metadata_store: text("the name of a metadata store"),
  content_store: text("the name of a content store"),
  read_only: bool.default(false),
  allowed_clients: allowedClients,
  root_squash: bool.default(true),
  all_squash: bool.default(false),
  anonymous_uid: id.default(65534),
  anonymous_gid: id.default(65534),
  root: mapping({
    uid: id.default(() => processIds().uid),
    gid: id.default(() => processIds().gid),
    mode: mode.default(0o755),
  }).prefault({}),
  durability: z.enum(["local", "remote"], { error: expecting('"local" or "remote"') }).default("local"),
  require_privileged_port: bool.default(false),
  protocols,
  litter,
  smb: mapping({
    name: smbShareName.nullable().default(null),
    encryption: smbEncryption.nullable().default(null),
  }).prefault({}),
}).transform(
  (raw): ShareConfig => ({
    name: raw.name,
    metadataStore: raw.metadata_store,
    contentStore: raw.content_store,
    readOnly: raw.read_only,
    allowedClients: raw.allowed_clients,
    rootSquash: raw.root_squash,
    allSquash: raw.all_squash,
    anonymousUid: raw.anonymous_uid,
    anonymousGid: raw.anonymous_gid,
    root: { uid: raw.root.uid, gid: raw.root.gid, mode: raw.root.mode },
    durability: raw.durability,
    requirePrivilegedPort: raw.require_privileged_port,
    protocols: raw.protocols,
    litter: raw.litter,
    smb: { name: raw.smb.name ?? raw.name.slice(raw.name.lastIndexOf("/") + 1), encryption: raw.smb.encryption },
  }),
);

/** The whole document. */
export const configSchema = mapping({
  logging: mapping({ level: logLevel.default("info") }).prefault({}),
  server: mapping({ shutdown_timeout: duration(3_600_000).default(10_000) }).prefault({}),
  adapters: mapping({
    nfs: mapping({
      enabled: bool.default(true),
      bind: address.default("127.0.0.1"),
      port: port.default(12049),
      mount_port: port.nullable().default(null),
      // Must hold a 1 MiB READ/WRITE (rtmax/wtmax) plus RPC and NFS headers.
      max_record_size: size(MiB + 4 * KiB, 64 * MiB).default(2 * MiB),
      idle_timeout: duration(86_400_000).default(5 * 60_000),
      max_connections: integer(1, 65535).default(256),
      max_inflight_bytes: size(MiB + 4 * KiB, 64 * GiB).default(128 * MiB),
      drc_entries: integer(0, 1_000_000).default(4096),
    })
      .superRefine((raw, ctx) => {
        if (raw.max_inflight_bytes < raw.max_record_size) {
          ctx.addIssue({
            code: "custom",
            path: ["max_inflight_bytes"],
            message: `expected at least max_record_size (${formatSize(raw.max_record_size)}), got ${formatSize(raw.max_inflight_bytes)}`,
            input: raw.max_inflight_bytes,
          });
        }
      })
      .prefault({}),
    portmap: mapping({
      enabled: bool.default(false),
      bind: address.default("127.0.0.1"),
      port: port.default(10111),
    }).prefault({}),
    smb: smbAdapter.prefault({}),
  }).prefault({}),
  control: mapping({
    enabled: bool.default(false),
    bind: address.default("127.0.0.1"),
    port: port.default(12080),
  }).prefault({}),
  cache: mapping({
    max_dirty_bytes: size(MiB, 64 * GiB).default(64 * MiB),
    flush_after: duration(3_600_000).default(5_000),
  }).prefault({}),
  metadata: mapping({ stores: storeMap(metadataStore) }),
  content: mapping({ stores: storeMap(contentStore) }),
  shares: z
    .array(share, { error: expecting("a list of shares") })
    .min(1, { error: "expected at least one share" }),
}).transform(
  (raw): DittoConfig => ({
    logging: { level: raw.logging.level },
    server: { shutdownTimeout: raw.server.shutdown_timeout },
    adapters: {
      nfs: {
        enabled: raw.adapters.nfs.enabled,
        bind: raw.adapters.nfs.bind,
        port: raw.adapters.nfs.port,
        mountPort: raw.adapters.nfs.mount_port,
        maxRecordSize: raw.adapters.nfs.max_record_size,
        idleTimeout: raw.adapters.nfs.idle_timeout,
        maxConnections: raw.adapters.nfs.max_connections,
        maxInflightBytes: raw.adapters.nfs.max_inflight_bytes,
        drcEntries: raw.adapters.nfs.drc_entries,
      },
      portmap: { ...raw.adapters.portmap },
      smb: raw.adapters.smb,
    },
    control: { ...raw.control },
    cache: { maxDirtyBytes: raw.cache.max_dirty_bytes, flushAfter: raw.cache.flush_after },
    metadata: { stores: raw.metadata.stores },
    content: { stores: raw.content.stores },
    shares: raw.shares,
  }),
);
