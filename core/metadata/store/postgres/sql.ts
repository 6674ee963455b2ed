/**
 * The statements of the PostgreSQL metadata store. Each has a name, so every pooled connection
 * parses and plans it once. Rows come back as arrays (rowMode "array"); a statement that returns
 * a node puts NODE_COLUMNS at a fixed position, read by attrFromRow.
 */
import type { FileAttr, FileType } from "../../types.js";
import { DIRECTORY_MOVE_LOCK } from "./schema.js";

export interface Statement {
  readonly name: string;
  readonly text: string;
}

/** One row as the driver returns it in array mode (bigint columns already parsed to numbers). */
export type Row = readonly unknown[];

const NODE_COLUMN_LIST = [
  "id",
  "ino",
  "type",
  "mode",
  "nlink",
  "uid",
  "gid",
  "size",
  "atime_sec",
  "atime_nsec",
  "mtime_sec",
  "mtime_nsec",
  "ctime_sec",
  "ctime_nsec",
  "content_id",
  "rdev_major",
  "rdev_minor",
] as const;
/** How many cells a node takes in a row. */
export const NODE_WIDTH = NODE_COLUMN_LIST.length;
const NODE_COLUMNS = NODE_COLUMN_LIST.join(", ");
const nodeColumnsOf = (alias: string) => NODE_COLUMN_LIST.map((c) => `${alias}.${c}`).join(", ");

/** The node whose NODE_COLUMNS start at `at`; null when that part of the row is empty (an outer join missed). */
export function attrFromRow(r: Row, at = 0): FileAttr | null {
  if (r[at] === null) return null;
  return {
    id: r[at] as string,
    ino: r[at + 1] as number,
    type: r[at + 2] as FileType,
    mode: r[at + 3] as number,
    nlink: r[at + 4] as number,
    uid: r[at + 5] as number,
    gid: r[at + 6] as number,
    size: r[at + 7] as number,
    atime: { sec: r[at + 8] as number, nsec: r[at + 9] as number },
    mtime: { sec: r[at + 10] as number, nsec: r[at + 11] as number },
    ctime: { sec: r[at + 12] as number, nsec: r[at + 13] as number },
    contentId: r[at + 14] as string | null,
    rdev: { major: r[at + 15] as number, minor: r[at + 16] as number },
  };
}

function statement(name: string, text: string): Statement {
  return { name: `dittofs_${name}`, text: text.replace(/\s+/g, " ").trim() };
}

/** The SET list giving a directory mtime = ctime = the time in the two named parameters. */
const touch = (sec: string, nsec: string) =>
  `mtime_sec = ${sec}, mtime_nsec = ${nsec}, ctime_sec = ${sec}, ctime_nsec = ${nsec}`;

/** The values of a new node, in the order of INSERT_NODE_COLUMNS, as parameters from $first on. */
const INSERT_NODE_COLUMNS =
  "id, type, mode, nlink, uid, gid, size, atime_sec, atime_nsec, mtime_sec, mtime_nsec, " +
  "ctime_sec, ctime_nsec, content_id, rdev_major, rdev_minor, symlink_target, parent_id";
const INSERT_NODE_TYPES = [
  "uuid", "text", "integer", "integer", "bigint", "bigint", "bigint", "bigint", "integer", "bigint", "integer",
  "bigint", "integer", "text", "bigint", "bigint", "text", "uuid",
];
/** How many parameters the values of a new node take. */
export const NEW_NODE_PARAMS = INSERT_NODE_TYPES.length;
const newNodeValues = (first: number) => INSERT_NODE_TYPES.map((type, i) => `$${first + i}::${type}`).join(", ");
/** Many new nodes as one array parameter per column of INSERT_NODE_COLUMNS, from $first on. */
const newNodeArrays = (first: number) => INSERT_NODE_TYPES.map((type, i) => `$${first + i}::${type}[]`).join(", ");

/**
 * Whether the directory in a parameter has entries. Written as "its first cookie" so that even a
 * generic plan walks the cookie index: with EXISTS, a plan built for an average directory may
 * scan the whole table, which for the usual case, an empty directory, finds nothing at the end.
 */
const hasEntries = (dir: string) =>
  `(SELECT cookie FROM entries WHERE dir_id = ${dir} ORDER BY cookie LIMIT 1) IS NOT NULL`;

export const SQL = {
  /** $1 id → node. */
  get: statement("get", `SELECT ${NODE_COLUMNS} FROM nodes WHERE id = $1`),

  /** $1 dir, $2 name → [dir type, child node…]: no row when the directory is missing. */
  lookup: statement(
    "lookup",
    `SELECT d.type, ${nodeColumnsOf("n")} FROM nodes d
     LEFT JOIN entries e ON e.dir_id = d.id AND e.name = $2
     LEFT JOIN nodes n ON n.id = e.child_id
     WHERE d.id = $1`,
  ),

  /**
   * $1 dir, $2 after cookie, $3 limit → [dir type, name, cookie, child node…] in cookie order;
   * one row of nulls after the type when the page is empty, no row when the directory is missing.
   */
  readDir: statement(
    "read_dir",
    `SELECT d.type, page.* FROM nodes d
     LEFT JOIN LATERAL (
       SELECT e.name, e.cookie, ${nodeColumnsOf("n")} FROM entries e JOIN nodes n ON n.id = e.child_id
       WHERE e.dir_id = d.id AND e.cookie > $2 ORDER BY e.cookie LIMIT $3
     ) page ON true
     WHERE d.id = $1
     ORDER BY page.cookie`,
  ),

  /** $1 dir → [dir type, parent node…] (a root is its own parent; other types name themselves). */
  parentOf: statement(
    "parent_of",
    `SELECT d.type, ${nodeColumnsOf("p")} FROM nodes d JOIN nodes p ON p.id = COALESCE(d.parent_id, d.id) WHERE d.id = $1`,
  ),

  /** $1 id → [type, symlink target]. */
  readLink: statement("read_link", `SELECT type, symlink_target FROM nodes WHERE id = $1`),

  /** $1 share → root node. */
  getRoot: statement(
    "get_root",
    `SELECT ${nodeColumnsOf("n")} FROM roots r JOIN nodes n ON n.id = r.node_id WHERE r.share = $1`,
  ),

  /** $1 share, new node from $2 → the root, or no row when another server created it first. */
  insertRoot: statement(
    "insert_root",
    `WITH root AS (
       INSERT INTO roots (share, node_id) VALUES ($1, $2::uuid) ON CONFLICT (share) DO NOTHING RETURNING node_id
     )
     INSERT INTO nodes (${INSERT_NODE_COLUMNS}) SELECT ${newNodeValues(2)} FROM root
     RETURNING ${NODE_COLUMNS}`,
  ),

  /**
   * $1 dir, $2 name, $3 dir nlink delta, ($4, $5) now, new node from $6 → the new node. One
   * statement: the UPDATE locks the directory and hands out its next cookie, so concurrent
   * creators in one directory queue there; no row when $1 is not a directory; a unique
   * violation on entries_pkey when the name is taken.
   */
  create: statement(
    "create",
    `WITH dir AS (
       UPDATE nodes SET next_cookie = next_cookie + 1, nlink = nlink + $3, ${touch("$4", "$5")}
       WHERE id = $1 AND type = 'dir'
       RETURNING id, next_cookie - 1 AS cookie
     ), child AS (
       INSERT INTO nodes (${INSERT_NODE_COLUMNS}) SELECT ${newNodeValues(6)} FROM dir
       RETURNING ${NODE_COLUMNS}
     ), entry AS (
       INSERT INTO entries (dir_id, name, child_id, cookie) SELECT dir.id, $2::text, child.id, dir.cookie FROM dir, child
     )
     SELECT ${NODE_COLUMNS} FROM child`,
  ),

  /**
   * $1 dir, locked by the caller, ($2, $3) now, $4 names, new nodes from $5 as arrays (one
   * element per name) → [position of the name in $4 from 1, new node…] for each name created.
   * Names taken in the directory, and repeats of a name in $4, are left out. One UPDATE of the
   * directory hands out the cookies (in $4's order), adds the new directories to its nlink and
   * sets its times; it changes nothing when no name is left.
   */
  createMany: statement(
    "create_many",
    `WITH input AS (
       SELECT * FROM unnest($4::text[], ${newNodeArrays(5)}) WITH ORDINALITY AS i (name, ${INSERT_NODE_COLUMNS}, ord)
     ), fresh AS (
       SELECT DISTINCT ON (i.name) i.* FROM input i
       WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.dir_id = $1 AND e.name = i.name)
       ORDER BY i.name, i.ord
     ), numbered AS (
       SELECT fresh.*, row_number() OVER (ORDER BY ord) AS k FROM fresh
     ), dir AS (
       UPDATE nodes SET next_cookie = next_cookie + (SELECT count(*) FROM numbered),
         nlink = nlink + (SELECT count(*) FROM numbered WHERE type = 'dir'), ${touch("$2", "$3")}
       WHERE id = $1 AND EXISTS (SELECT 1 FROM numbered)
       RETURNING next_cookie - (SELECT count(*) FROM numbered) AS first_cookie
     ), child AS (
       INSERT INTO nodes (${INSERT_NODE_COLUMNS}) SELECT ${INSERT_NODE_COLUMNS} FROM numbered
       RETURNING ${NODE_COLUMNS}
     ), entry AS (
       INSERT INTO entries (dir_id, name, child_id, cookie)
       SELECT $1, n.name, n.id, dir.first_cookie + n.k - 1 FROM numbered n, dir
     )
     SELECT n.ord, ${nodeColumnsOf("child")} FROM child JOIN numbered n ON n.id = child.id`,
  ),

  /** $1 dir type → the type of a node, to tell NotFound from NotDir after a write matched nothing. */
  typeOf: statement("type_of", `SELECT type FROM nodes WHERE id = $1`),

  /**
   * $1 ids → [id, type, nlink] of those that exist, locked. Every transaction that locks more
   * than one node takes all its locks in this one statement, in id order, so two of them never
   * wait for each other in a cycle.
   */
  lockNodes: statement(
    "lock_nodes",
    `SELECT id, type, nlink FROM nodes WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
  ),

  /** $1 dir, $2 name → [dir type, child id, child type]; no row when the directory is missing. */
  probeEntry: statement(
    "probe_entry",
    `SELECT d.type, e.child_id, c.type FROM nodes d
     LEFT JOIN entries e ON e.dir_id = d.id AND e.name = $2
     LEFT JOIN nodes c ON c.id = e.child_id
     WHERE d.id = $1`,
  ),

  /** $1 dir, $2 name, $3 a directory → [child id now, whether $3 has entries]; run under the locks. */
  checkEntry: statement(
    "check_entry",
    `SELECT (SELECT child_id FROM entries WHERE dir_id = $1 AND name = $2),
            ${hasEntries("$3")}`,
  ),

  /**
   * $1 dir, $2 name, $3 target, ($4, $5) now → the target after its new name: nlink + 1,
   * ctime = now. Unique violation on entries_pkey when the name is taken.
   */
  link: statement(
    "link",
    `WITH dir AS (
       UPDATE nodes SET next_cookie = next_cookie + 1, ${touch("$4", "$5")}
       WHERE id = $1 RETURNING id, next_cookie - 1 AS cookie
     ), entry AS (
       INSERT INTO entries (dir_id, name, child_id, cookie) SELECT id, $2::text, $3::uuid, cookie FROM dir
     )
     UPDATE nodes SET nlink = nlink + 1, ctime_sec = $4, ctime_nsec = $5 WHERE id = $3::uuid
     RETURNING ${NODE_COLUMNS}`,
  ),

  /**
   * $1 dir, $2 name, $3 child, $4 dir nlink delta, ($5, $6) now → the child as it was: removes
   * the child's last name and the child with it.
   */
  removeLastName: statement(
    "remove_last_name",
    `WITH entry AS (
       DELETE FROM entries WHERE dir_id = $1 AND name = $2
     ), dir AS (
       UPDATE nodes SET nlink = nlink + $4, ${touch("$5", "$6")} WHERE id = $1
     )
     DELETE FROM nodes WHERE id = $3 RETURNING ${NODE_COLUMNS}`,
  ),

  /** Like removeLastName for a node with other names left → the node with nlink - 1, ctime = now. */
  removeOneName: statement(
    "remove_one_name",
    `WITH entry AS (
       DELETE FROM entries WHERE dir_id = $1 AND name = $2
     ), dir AS (
       UPDATE nodes SET nlink = nlink + $4, ${touch("$5", "$6")} WHERE id = $1
     )
     UPDATE nodes SET nlink = nlink - 1, ctime_sec = $5, ctime_nsec = $6 WHERE id = $3
     RETURNING ${NODE_COLUMNS}`,
  ),

  /**
   * $1 from dir, $2 from name, $3 to dir, $4 to name → [from dir type, to dir type, source id,
   * source type, target id]; always one row.
   */
  probeRename: statement(
    "probe_rename",
    `SELECT f.type, t.type, s.child_id, sn.type, x.child_id
     FROM (VALUES (1)) AS one (x)
     LEFT JOIN nodes f ON f.id = $1
     LEFT JOIN nodes t ON t.id = $3
     LEFT JOIN entries s ON s.dir_id = $1 AND s.name = $2
     LEFT JOIN nodes sn ON sn.id = s.child_id
     LEFT JOIN entries x ON x.dir_id = $3 AND x.name = $4`,
  ),

  /**
   * Under the rename's locks: $1 from dir, $2 from name, $3 to dir, $4 to name, $5 target id (or
   * null), $6 source id, $7 whether to check ancestry → [source id, target id, whether the
   * target has entries, whether $3 is $6 or lies below it].
   */
  checkRename: statement(
    "check_rename",
    `WITH RECURSIVE up (id) AS (
       SELECT $3::uuid WHERE $7::boolean
       UNION
       SELECT n.parent_id FROM up JOIN nodes n ON n.id = up.id WHERE n.parent_id IS NOT NULL
     )
     SELECT (SELECT child_id FROM entries WHERE dir_id = $1 AND name = $2),
            (SELECT child_id FROM entries WHERE dir_id = $3 AND name = $4),
            ${hasEntries("$5::uuid")},
            EXISTS (SELECT 1 FROM up WHERE id = $6::uuid)`,
  ),

  lockDirectoryMoves: statement("lock_directory_moves", `SELECT pg_advisory_xact_lock(${DIRECTORY_MOVE_LOCK})`),

  /**
   * $1 from dir, $2 from name, $3 to dir, $4 to name, $5 to-dir nlink delta, $6 from-dir nlink
   * delta, ($7, $8) now, $9 the moved node → the moved node. The entry takes the target
   * directory's next cookie (a renamed entry is a new entry to a listing); both directories get
   * mtime and ctime = now; the node gets ctime = now and, for a directory, its new parent.
   */
  moveEntry: statement(
    "move_entry",
    `WITH to_dir AS (
       UPDATE nodes SET next_cookie = next_cookie + 1, nlink = nlink + $5, ${touch("$7", "$8")}
       WHERE id = $3 RETURNING next_cookie - 1 AS cookie
     ), from_dir AS (
       UPDATE nodes SET nlink = nlink + $6, ${touch("$7", "$8")} WHERE id = $1 AND id <> $3
     ), entry AS (
       UPDATE entries SET dir_id = $3, name = $4, cookie = (SELECT cookie FROM to_dir)
       WHERE dir_id = $1 AND name = $2
     )
     UPDATE nodes SET ctime_sec = $7, ctime_nsec = $8, parent_id = CASE WHEN type = 'dir' THEN $3::uuid END
     WHERE id = $9
     RETURNING ${NODE_COLUMNS}`,
  ),

  /**
   * $1 id, $2 mode, $3 uid, $4 gid, $5 size, ($6, $7) atime, ($8, $9) mtime, ($10, $11) ctime,
   * each null to keep → [node…, size before]. The row is locked first so the old size is the
   * one this update replaced.
   */
  setAttr: statement(
    "set_attr",
    `UPDATE nodes n SET mode = COALESCE($2, n.mode), uid = COALESCE($3, n.uid), gid = COALESCE($4, n.gid),
       size = COALESCE($5, n.size),
       atime_sec = COALESCE($6, n.atime_sec), atime_nsec = COALESCE($7, n.atime_nsec),
       mtime_sec = COALESCE($8, n.mtime_sec), mtime_nsec = COALESCE($9, n.mtime_nsec),
       ctime_sec = COALESCE($10, n.ctime_sec), ctime_nsec = COALESCE($11, n.ctime_nsec)
     FROM (SELECT id, size FROM nodes WHERE id = $1 FOR UPDATE) old
     WHERE n.id = old.id
     RETURNING ${nodeColumnsOf("n")}, old.size`,
  ),

  /** → [files, bytes in regular files]. */
  usage: statement(
    "usage",
    `SELECT COUNT(*), COALESCE(SUM(size) FILTER (WHERE type = 'file'), 0)::bigint FROM nodes`,
  ),
} as const;
