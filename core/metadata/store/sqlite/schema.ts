/**
 * Schema migrations of the SQLite metadata store. MIGRATIONS[i] takes the database from version i
 * to version i + 1; `schema_version` holds the version reached. Append new migrations, never edit
 * one that has shipped. The SQL stays close to what PostgreSQL accepts, so both stores can share it.
 */
export const MIGRATIONS: readonly string[] = [
  // Version 1: nodes, directory entries, share roots.
  `
  CREATE TABLE nodes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    type           TEXT    NOT NULL,
    mode           INTEGER NOT NULL,
    nlink          INTEGER NOT NULL,
    uid            INTEGER NOT NULL,
    gid            INTEGER NOT NULL,
    size           INTEGER NOT NULL,
    atime_sec      INTEGER NOT NULL,
    atime_nsec     INTEGER NOT NULL,
    mtime_sec      INTEGER NOT NULL,
    mtime_nsec     INTEGER NOT NULL,
    ctime_sec      INTEGER NOT NULL,
    ctime_nsec     INTEGER NOT NULL,
    content_id     TEXT,
    rdev_major     INTEGER NOT NULL DEFAULT 0,
    rdev_minor     INTEGER NOT NULL DEFAULT 0,
    symlink_target TEXT,
    -- Directories only: the cookie the next entry gets; cookies are never reused in a directory.
    next_cookie    INTEGER NOT NULL DEFAULT 1
  );

  CREATE TABLE entries (
    dir_id   INTEGER NOT NULL REFERENCES nodes (id),
    name     TEXT    NOT NULL,
    child_id INTEGER NOT NULL REFERENCES nodes (id),
    cookie   INTEGER NOT NULL,
    PRIMARY KEY (dir_id, name)
  );
  -- Listing in cookie order (READDIR resumes after a cookie).
  CREATE UNIQUE INDEX entries_by_cookie ON entries (dir_id, cookie);
  -- A directory's parent, and the foreign-key check when a node is deleted.
  CREATE INDEX entries_by_child ON entries (child_id);

  CREATE TABLE roots (
    share   TEXT    PRIMARY KEY,
    node_id INTEGER NOT NULL REFERENCES nodes (id)
  );
  `,
  // Version 2: fewer b-trees to write when a name is added or removed. Entries live in their
  // primary key's b-tree (WITHOUT ROWID), and a directory's parent is a column of its node
  // instead of an index over every entry's child (which a foreign key on child_id would need).
  `
  ALTER TABLE nodes ADD COLUMN parent_id INTEGER;
  UPDATE nodes SET parent_id = (SELECT e.dir_id FROM entries e WHERE e.child_id = nodes.id LIMIT 1) WHERE type = 'dir';
  CREATE TABLE entries_v2 (
    dir_id   INTEGER NOT NULL REFERENCES nodes (id),
    name     TEXT    NOT NULL,
    -- The store deletes a node only together with its last entry.
    child_id INTEGER NOT NULL,
    cookie   INTEGER NOT NULL,
    PRIMARY KEY (dir_id, name)
  ) WITHOUT ROWID;
  INSERT INTO entries_v2 (dir_id, name, child_id, cookie) SELECT dir_id, name, child_id, cookie FROM entries;
  DROP TABLE entries;
  ALTER TABLE entries_v2 RENAME TO entries;
  CREATE UNIQUE INDEX entries_by_cookie ON entries (dir_id, cookie);
  `,
  // Version 3: every node names the root of the share whose tree holds it (a file handle of one
  // share must not reach another share's nodes), and secrets (the file handle signing key).
  `
  ALTER TABLE nodes ADD COLUMN share_root INTEGER;
  WITH RECURSIVE tree (id, root) AS (
    SELECT node_id, node_id FROM roots
    UNION SELECT e.child_id, t.root FROM entries e JOIN tree t ON e.dir_id = t.id
  )
  UPDATE nodes SET share_root = (SELECT root FROM tree WHERE tree.id = nodes.id);
  CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
  );
  `,
  // Version 4: what Windows keeps and POSIX does not: the creation time and the DOS attribute
  // bits. A node made before has no birth time of its own: it gets the earliest of its atime,
  // mtime and ctime, which is what the server reported as its creation time until now, so no
  // client sees it change.
  `
  ALTER TABLE nodes ADD COLUMN birth_sec INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE nodes ADD COLUMN birth_nsec INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE nodes ADD COLUMN dos_attributes INTEGER NOT NULL DEFAULT 0;
  UPDATE nodes SET birth_sec = atime_sec, birth_nsec = atime_nsec;
  UPDATE nodes SET birth_sec = mtime_sec, birth_nsec = mtime_nsec WHERE (mtime_sec, mtime_nsec) < (birth_sec, birth_nsec);
  UPDATE nodes SET birth_sec = ctime_sec, birth_nsec = ctime_nsec WHERE (ctime_sec, ctime_nsec) < (birth_sec, birth_nsec);
  `,
];
