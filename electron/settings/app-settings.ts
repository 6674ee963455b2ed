import Database from "better-sqlite3";
import { z } from "zod";

/**
 * What the desktop app remembers between runs: its shares (what each one serves and how it is
 * mounted) and its preferences, in one SQLite file in the user's app-data folder. Secrets never
 * come here: an S3 share names the keychain item that holds its secret key.
 */

/** Names Finder and Explorer scatter over every folder they open, kept out of buckets by default. */
export const DEFAULT_LITTER = [".DS_Store", "._*", "Thumbs.db", "desktop.ini"];

const shareName = z
  .string()
  .min(1, "a share needs a name")
  .max(64, "a share name has at most 64 characters")
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u, "a share name is letters, digits, spaces, dots, dashes and underscores, starting with a letter or digit");

/** A keychain item, as "keychain:<service>/<account>"; the secret itself is never stored here. */
const keychainRef = z.string().regex(/^keychain:[\w.-]+\/[\w.@-]+$/, "expected a keychain reference like keychain:dittofs/s3-photos");

const s3Target = z.strictObject({
  endpoint: z.url({ protocol: /^https?$/, error: "expected an http or https URL" }),
  region: z.string().min(1).max(64),
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "expected an S3 bucket name (3-63 lowercase letters, digits, dots, dashes)"),
  prefix: z.string().max(512).default(""),
  layout: z.enum(["bucket", "opaque"]).default("bucket"),
  accessKeyId: z.string().min(1).max(256),
  secretKey: keychainRef,
});

const shareDefinition = z.strictObject({
  name: shareName,
  kind: z.enum(["s3", "folder", "memory"]),
  s3: s3Target.optional(),
  folder: z.strictObject({ path: z.string().min(1) }).optional(),
  cacheBytes: z.number().int().min(64 * 1024 * 1024).max(16 * 1024 ** 4).default(10 * 1024 ** 3),
  protocol: z.enum(["nfs", "smb", "both"]).default("nfs"),
  autoMount: z.boolean().default(true),
  litter: z.array(z.string().min(1).max(255)).max(64).default(DEFAULT_LITTER),
}).check((ctx) => {
  const share = ctx.value;
  if (share.kind === "s3" && !share.s3) ctx.issues.push({ code: "custom", message: "an S3 share needs its bucket", input: share, path: ["s3"] });
  if (share.kind === "folder" && !share.folder) ctx.issues.push({ code: "custom", message: "a folder share needs its folder", input: share, path: ["folder"] });
  if (share.kind !== "s3" && share.s3) ctx.issues.push({ code: "custom", message: `a ${share.kind} share has no bucket`, input: share, path: ["s3"] });
  if (share.kind !== "folder" && share.folder) ctx.issues.push({ code: "custom", message: `a ${share.kind} share has no folder`, input: share, path: ["folder"] });
});

const preferences = z.strictObject({
  launchAtLogin: z.boolean().default(false),
  /** Where drives are mounted (macOS); null: ~/DittoFS. */
  mountFolder: z.string().min(1).nullable().default(null),
  nfsPort: z.number().int().min(1024).max(65535).default(12049),
  smbPort: z.number().int().min(1024).max(65535).default(12445),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error"]).default("info"),
});

export type AppShare = z.output<typeof shareDefinition>;
export type AppShareInput = z.input<typeof shareDefinition>;
export type AppPreferences = z.output<typeof preferences>;

/** A definition the app refuses, with the field it is about ("s3.bucket"). */
export class SettingsError extends Error {
  override readonly name = "SettingsError";
  constructor(
    /** What is wrong, without the field's name (a form shows it beside the field). */
    readonly problem: string,
    readonly field: string | null,
  ) {
    super(field ? `${field}: ${problem}` : problem);
  }
}

/**
 * The schema's history: migration N takes a database from version N-1 to N. Append only; a
 * released migration never changes.
 */
const MIGRATIONS: ReadonlyArray<(db: Database.Database) => void> = [
  (db) =>
    db.exec(`
      CREATE TABLE shares (name TEXT PRIMARY KEY, position INTEGER NOT NULL, definition TEXT NOT NULL);
      CREATE TABLE preferences (id INTEGER PRIMARY KEY CHECK (id = 1), value TEXT NOT NULL);
    `),
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export class AppSettings {
  private readonly db: Database.Database;

  /** Opens (creating and migrating) the settings at `path`; ":memory:" for a throwaway. */
  constructor(path: string) {
    this.db = new Database(path);
    try {
      this.db.pragma("journal_mode = WAL");
      this.migrate();
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  shares(): AppShare[] {
    const rows = this.db.prepare<[], { definition: string }>("SELECT definition FROM shares ORDER BY position, name").all();
    return rows.map((row) => shareDefinition.parse(JSON.parse(row.definition)));
  }

  share(name: string): AppShare | null {
    const row = this.db.prepare<[string], { definition: string }>("SELECT definition FROM shares WHERE name = ?").get(name);
    return row ? shareDefinition.parse(JSON.parse(row.definition)) : null;
  }

  /** The share as it would be saved; SettingsError (naming the field) when it would be refused. */
  check(input: AppShareInput): AppShare {
    return parsed(shareDefinition, input);
  }

  /** Adds a share, or replaces the one of the same name (`replacing` renames it). */
  saveShare(input: AppShareInput, replacing?: string): AppShare {
    const share = parsed(shareDefinition, input);
    const save = this.db.transaction(() => {
      const old = replacing ?? share.name;
      const position = this.db.prepare<[string], { position: number }>("SELECT position FROM shares WHERE name = ?").get(old)?.position;
      if (replacing !== undefined && replacing !== share.name && this.share(share.name)) {
        throw new SettingsError(`a share named ${JSON.stringify(share.name)} exists already`, "name");
      }
      if (replacing !== undefined && position === undefined) throw new SettingsError(`no share named ${JSON.stringify(replacing)}`, null);
      this.db.prepare("DELETE FROM shares WHERE name = ?").run(old);
      const next = position ?? (this.db.prepare<[], { next: number }>("SELECT COALESCE(MAX(position) + 1, 0) AS next FROM shares").get()!.next);
      this.db.prepare("INSERT INTO shares (name, position, definition) VALUES (?, ?, ?)").run(share.name, next, JSON.stringify(share));
    });
    save();
    return share;
  }

  removeShare(name: string): boolean {
    return this.db.prepare("DELETE FROM shares WHERE name = ?").run(name).changes > 0;
  }

  preferences(): AppPreferences {
    const row = this.db.prepare<[], { value: string }>("SELECT value FROM preferences WHERE id = 1").get();
    return preferences.parse(row ? JSON.parse(row.value) : {});
  }

  /** Changes some preferences; the others keep their values. */
  setPreferences(changes: Partial<AppPreferences>): AppPreferences {
    const next = parsed(preferences, { ...this.preferences(), ...changes });
    this.db.prepare("INSERT INTO preferences (id, value) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET value = excluded.value").run(JSON.stringify(next));
    return next;
  }

  close(): void {
    this.db.close();
  }

  private migrate(): void {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new SettingsError(`the settings were written by a newer DittoFS (schema ${version}; this one knows ${SCHEMA_VERSION}): update the app`, null);
    }
    for (let next = version + 1; next <= SCHEMA_VERSION; next++) {
      this.db.transaction(() => {
        MIGRATIONS[next - 1]!(this.db);
        this.db.pragma(`user_version = ${next}`);
      })();
    }
  }
}

function parsed<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new SettingsError(issue.message, issue.path.length ? issue.path.join(".") : null);
}
