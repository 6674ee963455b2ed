/**
 * Schema migrations of the PostgreSQL metadata store. MIGRATIONS[i] takes the database from
 * version i to version i + 1; `schema_version` holds the version reached. Append new migrations,
 * never edit one that has shipped. All of them run in one transaction under MIGRATION_LOCK, so
 * servers starting together against one database migrate it exactly once.
 */
export const MIGRATIONS: readonly string[] = [
  // Version 1: nodes, directory entries, share roots.
  `
  CREATE TABLE nodes (
    id             uuid    PRIMARY KEY,
    -- The NFS fileid: never reused, and small enough for a JavaScript number.
    ino            bigint  GENERATED ALWAYS AS IDENTITY (MAXVALUE 9007199254740991),
    type           text    NOT NULL,
    mode           integer NOT NULL,
    nlink          integer NOT NULL,
    uid            bigint  NOT NULL,
    gid            bigint  NOT NULL,
    size           bigint  NOT NULL,
    atime_sec      bigint  NOT NULL,
    atime_nsec     integer NOT NULL,
    mtime_sec      bigint  NOT NULL,
    mtime_nsec     integer NOT NULL,
    ctime_sec      bigint  NOT NULL,
    ctime_nsec     integer NOT NULL,
    content_id     text,
    rdev_major     bigint  NOT NULL DEFAULT 0,
    rdev_minor     bigint  NOT NULL DEFAULT 0,
    symlink_target text,
    -- Directories only: the parent (null for a root), and the cookie the next entry gets.
    parent_id      uuid,
    next_cookie    bigint  NOT NULL DEFAULT 1
  ) WITH (fillfactor = 90); -- room for the in-place (HOT) updates every directory change makes

  -- No foreign keys on entries: every change to a directory's entries holds that directory's
  -- row lock, and a directory is deleted only when empty, so a key check would only cost a lookup
  -- and a share lock per insert.
  CREATE TABLE entries (
    dir_id   uuid   NOT NULL,
    name     text   COLLATE "C" NOT NULL,
    child_id uuid   NOT NULL,
    cookie   bigint NOT NULL,
    PRIMARY KEY (dir_id, name)
  );
  -- Listing in cookie order (READDIR resumes after a cookie).
  CREATE UNIQUE INDEX entries_by_cookie ON entries (dir_id, cookie);

  CREATE TABLE roots (
    share   text PRIMARY KEY,
    node_id uuid NOT NULL REFERENCES nodes (id)
  );
  `,
  // Version 2: every node names the root of the share whose tree holds it (a file handle of one
  // share must not reach another share's nodes), and secrets (the file handle signing key).
  `
  ALTER TABLE nodes ADD COLUMN share_root uuid;
  WITH RECURSIVE tree (id, root) AS (
    SELECT node_id, node_id FROM roots
    UNION SELECT e.child_id, t.root FROM entries e JOIN tree t ON e.dir_id = t.id
  )
  UPDATE nodes SET share_root = tree.root FROM tree WHERE tree.id = nodes.id;
  CREATE TABLE secrets (
    name  text  PRIMARY KEY,
    value bytea NOT NULL
  );
  -- Which server may write a file's content now (see MetadataStore.acquireLease).
  CREATE TABLE write_leases (
    key        text        PRIMARY KEY,
    holder     text        NOT NULL,
    expires_at timestamptz NOT NULL
  );
  `,
  // Version 3: what Windows keeps and POSIX does not: the creation time and the DOS attribute
  // bits. A node made before has no birth time of its own: it gets the earliest of its atime,
  // mtime and ctime, which is what the server reported as its creation time until now, so no
  // client sees it change.
  `
  ALTER TABLE nodes ADD COLUMN birth_sec bigint NOT NULL DEFAULT 0,
    ADD COLUMN birth_nsec integer NOT NULL DEFAULT 0,
    ADD COLUMN dos_attributes integer NOT NULL DEFAULT 0;
  UPDATE nodes SET (birth_sec, birth_nsec) = (
    SELECT t.sec, t.nsec FROM (VALUES (atime_sec, atime_nsec), (mtime_sec, mtime_nsec), (ctime_sec, ctime_nsec)) AS t (sec, nsec)
    ORDER BY t.sec, t.nsec LIMIT 1
  );
  `,
];

/**
 * Transaction-scoped advisory locks, as the (key1, key2) pair of pg_advisory_xact_lock. key1 is
 * "ditt" in ASCII, so the locks stay clear of other applications sharing the database.
 */
const LOCK_NAMESPACE = 0x64697474;
/** Held while migrating. */
export const MIGRATION_LOCK = `${LOCK_NAMESPACE}, 1`;
/**
 * Held by every rename that moves a directory to another parent, as Linux's per-filesystem
 * rename mutex: two such moves could otherwise each pass the "not into its own subtree" check
 * and together make a cycle.
 */
export const DIRECTORY_MOVE_LOCK = `${LOCK_NAMESPACE}, 2`;
