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
  "share_root",
  "birth_sec",
  "birth_nsec",
  "dos_attributes",
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
    shareRoot: (r[at + 17] as string | null) ?? "",
    birthtime: { sec: r[at + 18] as number, nsec: r[at + 19] as number },
    dosAttributes: r[at + 20] as number,
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
  "ctime_sec, ctime_nsec, content_id, rdev_major, rdev_minor, symlink_target, parent_id, " +
  "birth_sec, birth_nsec, dos_attributes";
const INSERT_NODE_TYPES = [
  "uuid", "text", "integer", "integer", "bigint", "bigint", "bigint", "bigint", "integer", "bigint", "integer",
  "bigint", "integer", "text", "bigint", "bigint", "text", "uuid", "bigint", "integer", "integer",
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

/**
 * Checked writes (createMany, link, unlink, rename) are one statement each: one round trip, one
 * implicit transaction. Such a statement
 *   1. reads what it needs (entries, types, link counts) from its snapshot, with the version
 *      (xmin) of every node row it will change, and decides errors (NotFound, NotEmpty…) from
 *      that alone: the snapshot is a committed state of the database during the call;
 *   2. otherwise locks those rows, in one pass in id order, so writers never deadlock;
 *   3. writes only when each locked row is still the version it read (status 'ok'). Every
 *      change to a directory's entries updates the directory's row, so an unchanged row means
 *      unchanged entries too. A row that changed in between means the snapshot may be stale:
 *      nothing is written (status 'restart'). Each write is gated on the verdict, which reads
 *      every lock, so all locks are taken before anything is written.
 * After 'restart' the store runs the statement again in a transaction that first locks the rows
 * it named (lock ids), so that its new snapshot, taken under the locks, is the current state.
 * Every checked statement returns [status, lock ids, …].
 */
export type CheckedStatus =
  | "ok"
  | "restart"
  | "move_lock"
  | "no_dir"
  | "not_dir"
  | "no_entry"
  | "not_empty"
  | "no_target"
  | "target_is_dir"
  | "target_not_dir"
  | "no_from_dir"
  | "from_not_dir"
  | "no_to_dir"
  | "to_not_dir"
  | "same"
  | "into_itself";
/** Where a checked statement's rows put the status, the ids to lock before a rerun, and the rest. */
export const STATUS = 0;
export const LOCK_IDS = 1;
export const CHECKED_PAYLOAD = 2;

/** A FROM item of one row, to LEFT JOIN what may be missing onto. */
const ONE_ROW = "(VALUES (1)) AS one (x)";
/** Locks the nodes among the uuid[] `ids` in id order when `when` holds → [id, xmin]. */
const lockInIdOrder = (ids: string, when: string) =>
  `SELECT id, xmin FROM nodes WHERE ${when} AND id = ANY(${ids}) ORDER BY id FOR UPDATE`;
/** Whether node `id` is locked (in CTE `locked`) and still the row version `version`. */
const unchanged = (id: string, version: string) => `(SELECT xmin FROM locked WHERE id = ${id}) = ${version}`;
/** Whether the checked statement's verdict is to write. */
const isOk = "(SELECT status FROM verdict) = 'ok'";

/** Opens a transaction holding DIRECTORY_MOVE_LOCK: one round trip (simple protocol, no parameters). */
export const BEGIN_WITH_DIRECTORY_MOVE_LOCK = `BEGIN; SELECT pg_advisory_xact_lock(${DIRECTORY_MOVE_LOCK})`;

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
   * $1 dir, $2 name → [dir node…, child node…]: the child's cells null when the name is free
   * (always, when $1 is not a directory); no row when $1 is missing.
   */
  lookupIn: statement(
    "lookup_in",
    `SELECT ${nodeColumnsOf("d")}, ${nodeColumnsOf("n")} FROM nodes d
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
     INSERT INTO nodes (${INSERT_NODE_COLUMNS}, share_root) SELECT ${newNodeValues(2)}, $2::uuid FROM root
     RETURNING ${NODE_COLUMNS}`,
  ),

  /**
   * $1 dir, $2 name, $3 dir nlink delta, ($4, $5) now, new node from $6 → [dir type, new node…,
   * the directory after the change…].
   * The UPDATE locks the directory and hands out its next cookie, so concurrent creators in one
   * directory queue there. No new node when $1 is not a directory (its type, read before, says
   * why); a unique violation on entries_pkey when the name is taken.
   */
  create: statement(
    "create",
    `WITH dir AS (
       UPDATE nodes SET next_cookie = next_cookie + 1, nlink = nlink + $3, ${touch("$4", "$5")}
       WHERE id = $1 AND type = 'dir'
       RETURNING next_cookie - 1 AS cookie, ${NODE_COLUMNS}
     ), child AS (
       INSERT INTO nodes (${INSERT_NODE_COLUMNS}, share_root) SELECT ${newNodeValues(6)}, dir.share_root FROM dir
       RETURNING ${NODE_COLUMNS}
     ), entry AS (
       INSERT INTO entries (dir_id, name, child_id, cookie) SELECT dir.id, $2::text, child.id, dir.cookie FROM dir, child
     )
     SELECT (SELECT type FROM nodes WHERE id = $1), child.*, ${nodeColumnsOf("dir")}
     FROM ${ONE_ROW} LEFT JOIN child ON true LEFT JOIN dir ON true`,
  ),

  /**
   * Checked write. $1 dir, ($2, $3) now, $4 names, new nodes from $5 as arrays (one
   * element per name) → [status, lock ids, position of the name in $4 from 1, new node…] for each
   * name created, or one row with the status alone. Names taken in the directory, and repeats of
   * a name in $4, are left out: the directory's row lock and version make the snapshot's entries
   * the current ones. One UPDATE of the directory hands out the cookies (in $4's order), adds the
   * new directories to its nlink and sets its times; it changes nothing when no name is left.
   */
  createMany: statement(
    "create_many",
    `WITH probe AS (
       SELECT d.type AS dir_type, d.xmin AS dir_version FROM ${ONE_ROW} LEFT JOIN nodes d ON d.id = $1
     ), locked AS MATERIALIZED (
       ${lockInIdOrder("ARRAY[$1::uuid]", "(SELECT dir_type FROM probe) = 'dir'")}
     ), verdict AS (
       SELECT CASE
           WHEN dir_type IS NULL THEN 'no_dir'
           WHEN dir_type <> 'dir' THEN 'not_dir'
           WHEN ${unchanged("$1", "dir_version")} THEN 'ok'
           ELSE 'restart'
         END AS status
       FROM probe
     ), input AS (
       SELECT * FROM unnest($4::text[], ${newNodeArrays(5)}) WITH ORDINALITY AS i (name, ${INSERT_NODE_COLUMNS}, ord)
     ), fresh AS (
       SELECT DISTINCT ON (i.name) i.* FROM input i
       WHERE ${isOk} AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.dir_id = $1 AND e.name = i.name)
       ORDER BY i.name, i.ord
     ), numbered AS (
       SELECT fresh.*, row_number() OVER (ORDER BY ord) AS k FROM fresh
     ), dir AS (
       UPDATE nodes SET next_cookie = next_cookie + (SELECT count(*) FROM numbered),
         nlink = nlink + (SELECT count(*) FROM numbered WHERE type = 'dir'), ${touch("$2", "$3")}
       WHERE id = $1 AND EXISTS (SELECT 1 FROM numbered)
       RETURNING next_cookie - (SELECT count(*) FROM numbered) AS first_cookie
     ), child AS (
       INSERT INTO nodes (${INSERT_NODE_COLUMNS}, share_root)
       SELECT ${INSERT_NODE_COLUMNS}, (SELECT share_root FROM nodes WHERE id = $1) FROM numbered
       RETURNING ${NODE_COLUMNS}
     ), entry AS (
       INSERT INTO entries (dir_id, name, child_id, cookie)
       SELECT $1, n.name, n.id, dir.first_cookie + n.k - 1 FROM numbered n, dir
     )
     SELECT v.status, ARRAY[$1::uuid], created.* FROM verdict v
     LEFT JOIN (SELECT n.ord, ${nodeColumnsOf("child")} FROM child JOIN numbered n ON n.id = child.id) created ON true`,
  ),

  /**
   * $1 ids → [id] of those that exist, locked in id order. A checked write that had to restart
   * runs again after this, in a transaction, so that it finds its rows settled.
   */
  lockNodes: statement("lock_nodes", `SELECT id FROM nodes WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`),

  /**
   * Checked write. $1 dir, $2 name, $3 target, ($4, $5) now → [status, lock ids, the target after
   * its new name: nlink + 1, ctime = now]. Its UPDATEs apply to the newest rows, so the lock
   * only has to find both nodes still there. Unique violation on entries_pkey when the name is taken.
   */
  link: statement(
    "link",
    `WITH probe AS (
       SELECT d.type AS dir_type, t.type AS target_type
       FROM ${ONE_ROW} LEFT JOIN nodes d ON d.id = $1 LEFT JOIN nodes t ON t.id = $3
     ), checked AS (
       SELECT CASE
           WHEN dir_type IS NULL THEN 'no_dir'
           WHEN dir_type <> 'dir' THEN 'not_dir'
           WHEN target_type IS NULL THEN 'no_target'
           WHEN target_type = 'dir' THEN 'target_is_dir'
           ELSE 'lock'
         END AS step
       FROM probe
     ), locked AS MATERIALIZED (
       ${lockInIdOrder("ARRAY[$1::uuid, $3::uuid]", "(SELECT step FROM checked) = 'lock'")}
     ), verdict AS (
       SELECT CASE
           WHEN step <> 'lock' THEN step
           WHEN (SELECT count(*) FROM locked) = 2 THEN 'ok'
           ELSE 'restart'
         END AS status
       FROM checked
     ), dir AS (
       UPDATE nodes SET next_cookie = next_cookie + 1, ${touch("$4", "$5")}
       WHERE id = $1 AND ${isOk} RETURNING id, next_cookie - 1 AS cookie
     ), entry AS (
       INSERT INTO entries (dir_id, name, child_id, cookie) SELECT id, $2::text, $3::uuid, cookie FROM dir
     ), target AS (
       UPDATE nodes SET nlink = nlink + 1, ctime_sec = $4, ctime_nsec = $5 WHERE id = $3::uuid AND ${isOk}
       RETURNING ${NODE_COLUMNS}
     )
     SELECT v.status, ARRAY[$1::uuid, $3::uuid], target.* FROM verdict v LEFT JOIN target ON true`,
  ),

  /**
   * Checked write. $1 dir, $2 name, ($3, $4) now, $5 which kind of node may go ('dir',
   * 'nonDir' or null for any) → [status, lock ids, whether the node went with its last name, the
   * node…, the directory after the change…]: the node as it was when deleted, else with nlink - 1
   * and ctime = now. A directory goes with its name (when empty) and takes one link from $1.
   */
  unlink: statement(
    "unlink",
    `WITH probe AS (
       SELECT d.type AS dir_type, d.xmin AS dir_version,
              c.id AS child, c.type AS child_type, c.nlink AS child_nlink, c.xmin AS child_version,
              c.type = 'dir' AND ${hasEntries("c.id")} AS child_has_entries
       FROM ${ONE_ROW}
       LEFT JOIN nodes d ON d.id = $1
       LEFT JOIN entries e ON e.dir_id = d.id AND e.name = $2
       LEFT JOIN nodes c ON c.id = e.child_id
     ), checked AS (
       SELECT probe.*, CASE
           WHEN dir_type IS NULL THEN 'no_dir'
           WHEN dir_type <> 'dir' THEN 'not_dir'
           WHEN child IS NULL THEN 'no_entry'
           WHEN $5::text = 'nonDir' AND child_type = 'dir' THEN 'target_is_dir'
           WHEN $5::text = 'dir' AND child_type <> 'dir' THEN 'target_not_dir'
           WHEN child_has_entries THEN 'not_empty'
           ELSE 'lock'
         END AS step
       FROM probe
     ), locked AS MATERIALIZED (
       ${lockInIdOrder("ARRAY[$1::uuid, (SELECT child FROM checked)]", "(SELECT step FROM checked) = 'lock'")}
     ), verdict AS (
       SELECT checked.*, CASE
           WHEN step <> 'lock' THEN step
           WHEN ${unchanged("$1", "dir_version")} AND ${unchanged("child", "child_version")} THEN 'ok'
           ELSE 'restart'
         END AS status,
         child_type = 'dir' OR child_nlink <= 1 AS last_name
       FROM checked
     ), entry AS (
       DELETE FROM entries WHERE dir_id = $1 AND name = $2 AND ${isOk}
     ), dir AS (
       UPDATE nodes SET nlink = nlink - (SELECT CASE WHEN child_type = 'dir' THEN 1 ELSE 0 END FROM verdict), ${touch("$3", "$4")}
       WHERE id = $1 AND ${isOk}
       RETURNING ${NODE_COLUMNS}
     ), gone AS (
       DELETE FROM nodes WHERE id = (SELECT child FROM verdict WHERE status = 'ok' AND last_name)
       RETURNING ${NODE_COLUMNS}
     ), kept AS (
       UPDATE nodes SET nlink = nlink - 1, ctime_sec = $3, ctime_nsec = $4
       WHERE id = (SELECT child FROM verdict WHERE status = 'ok' AND NOT last_name)
       RETURNING ${NODE_COLUMNS}
     )
     SELECT v.status, array_remove(ARRAY[$1::uuid, v.child], NULL), v.last_name, node.*, ${nodeColumnsOf("dir")}
     FROM verdict v LEFT JOIN (SELECT * FROM gone UNION ALL SELECT * FROM kept) node ON true LEFT JOIN dir ON true`,
  ),

  /**
   * Checked write. $1 from dir, $2 from name, $3 to dir, $4 to name, ($5, $6) now, $7 whether
   * this transaction holds DIRECTORY_MOVE_LOCK → [status, lock ids, moved node…, whether the
   * replaced node went with its last name, replaced node…].
   *
   * A directory moving to another parent needs the lock (status 'move_lock' without it): two
   * such moves could otherwise each pass the "not into its own subtree" check and together make
   * a cycle. Under the lock, taken before this statement's snapshot, the parent chain read here
   * is the current one.
   *
   * The entry takes the target directory's next cookie (a renamed entry is a new entry to a
   * listing) and replaces the target's entry in place; both directories get mtime and ctime =
   * now; the node gets ctime = now and, for a directory, its new parent. A replaced node loses
   * a link as in unlink.
   */
  rename: statement(
    "rename",
    `WITH RECURSIVE probe AS (
       SELECT f.type AS from_type, f.xmin AS from_version, t.type AS to_type, t.xmin AS to_version,
              s.id AS source, s.type AS source_type, s.xmin AS source_version,
              r.id AS target, r.type AS target_type, r.nlink AS target_nlink, r.xmin AS target_version,
              r.type = 'dir' AND ${hasEntries("r.id")} AS target_has_entries,
              s.type = 'dir' AND $1::uuid <> $3::uuid AS parents_move
       FROM ${ONE_ROW}
       LEFT JOIN nodes f ON f.id = $1
       LEFT JOIN nodes t ON t.id = $3
       LEFT JOIN entries se ON se.dir_id = f.id AND se.name = $2
       LEFT JOIN nodes s ON s.id = se.child_id
       LEFT JOIN entries re ON re.dir_id = t.id AND re.name = $4
       LEFT JOIN nodes r ON r.id = re.child_id
     ), up (id) AS (
       SELECT $3::uuid WHERE $7::boolean AND (SELECT parents_move FROM probe)
       UNION
       SELECT n.parent_id FROM up JOIN nodes n ON n.id = up.id WHERE n.parent_id IS NOT NULL
     ), checked AS (
       SELECT probe.*, CASE
           WHEN from_type IS NULL THEN 'no_from_dir'
           WHEN from_type <> 'dir' THEN 'from_not_dir'
           WHEN to_type IS NULL THEN 'no_to_dir'
           WHEN to_type <> 'dir' THEN 'to_not_dir'
           WHEN source IS NULL THEN 'no_entry'
           WHEN source = target THEN 'same'
           WHEN parents_move AND NOT $7 THEN 'move_lock'
           WHEN parents_move AND EXISTS (SELECT 1 FROM up WHERE up.id = source) THEN 'into_itself'
           WHEN target IS NULL THEN 'lock'
           WHEN source_type = 'dir' AND target_type <> 'dir' THEN 'target_not_dir'
           WHEN source_type <> 'dir' AND target_type = 'dir' THEN 'target_is_dir'
           WHEN target_has_entries THEN 'not_empty'
           ELSE 'lock'
         END AS step
       FROM probe
     ), locked AS MATERIALIZED (
       ${lockInIdOrder(
         "ARRAY[$1::uuid, $3::uuid, (SELECT source FROM checked), (SELECT target FROM checked)]",
         "(SELECT step FROM checked) = 'lock'",
       )}
     ), verdict AS (
       SELECT checked.*, CASE
           WHEN step <> 'lock' THEN step
           WHEN ${unchanged("$1", "from_version")} AND ${unchanged("$3", "to_version")}
             AND ${unchanged("source", "source_version")}
             AND (target IS NULL OR ${unchanged("target", "target_version")}) THEN 'ok'
           ELSE 'restart'
         END AS status,
         target_type = 'dir' OR target_nlink <= 1 AS target_last_name
       FROM checked
     ), to_dir AS (
       UPDATE nodes SET next_cookie = next_cookie + 1, ${touch("$5", "$6")},
         nlink = nlink + (SELECT CASE WHEN parents_move THEN 1 ELSE 0 END - CASE WHEN target_type = 'dir' THEN 1 ELSE 0 END FROM verdict)
       WHERE id = $3 AND ${isOk}
       RETURNING next_cookie - 1 AS cookie
     ), from_dir AS (
       UPDATE nodes SET ${touch("$5", "$6")}, nlink = nlink - (SELECT CASE WHEN parents_move THEN 1 ELSE 0 END FROM verdict)
       WHERE id = $1 AND id <> $3 AND ${isOk}
     ), source_entry AS (
       DELETE FROM entries WHERE dir_id = $1 AND name = $2 AND ${isOk}
     ), target_entry AS (
       INSERT INTO entries (dir_id, name, child_id, cookie) SELECT $3, $4, (SELECT source FROM verdict), cookie FROM to_dir
       ON CONFLICT (dir_id, name) DO UPDATE SET child_id = excluded.child_id, cookie = excluded.cookie
     ), replaced_gone AS (
       DELETE FROM nodes WHERE id = (SELECT target FROM verdict WHERE status = 'ok' AND target_last_name)
       RETURNING ${NODE_COLUMNS}
     ), replaced_kept AS (
       UPDATE nodes SET nlink = nlink - 1, ctime_sec = $5, ctime_nsec = $6
       WHERE id = (SELECT target FROM verdict WHERE status = 'ok' AND NOT target_last_name)
       RETURNING ${NODE_COLUMNS}
     ), moved AS (
       UPDATE nodes SET ctime_sec = $5, ctime_nsec = $6, parent_id = CASE WHEN type = 'dir' THEN $3::uuid END
       WHERE id = (SELECT source FROM verdict WHERE status = 'ok')
       RETURNING ${NODE_COLUMNS}
     )
     SELECT v.status, array_remove(ARRAY[$1::uuid, $3::uuid, v.source, v.target], NULL), moved.*, v.target_last_name, replaced.*
     FROM verdict v
     LEFT JOIN (
       SELECT * FROM moved
       UNION ALL
       SELECT ${NODE_COLUMNS} FROM nodes WHERE id = (SELECT source FROM verdict WHERE status = 'same')
     ) moved ON true
     LEFT JOIN (SELECT * FROM replaced_gone UNION ALL SELECT * FROM replaced_kept) replaced ON true`,
  ),

  /**
   * $1 id, $2 mode, $3 uid, $4 gid, $5 size, ($6, $7) atime, ($8, $9) mtime, ($10, $11) ctime,
   * ($12, $13) birth time, $14 DOS attributes, each null to keep → [node…, size before]. The row is locked first so the old size is the
   * one this update replaced.
   */
  setAttr: statement(
    "set_attr",
    `UPDATE nodes n SET mode = COALESCE($2, n.mode), uid = COALESCE($3, n.uid), gid = COALESCE($4, n.gid),
       size = COALESCE($5, n.size),
       atime_sec = COALESCE($6, n.atime_sec), atime_nsec = COALESCE($7, n.atime_nsec),
       mtime_sec = COALESCE($8, n.mtime_sec), mtime_nsec = COALESCE($9, n.mtime_nsec),
       ctime_sec = COALESCE($10, n.ctime_sec), ctime_nsec = COALESCE($11, n.ctime_nsec),
       birth_sec = COALESCE($12, n.birth_sec), birth_nsec = COALESCE($13, n.birth_nsec),
       dos_attributes = COALESCE($14, n.dos_attributes)
     FROM (SELECT id, size FROM nodes WHERE id = $1 FOR UPDATE) old
     WHERE n.id = old.id
     RETURNING ${nodeColumnsOf("n")}, old.size`,
  ),

  /**
   * $1 name, $2 a new random value → [value]: the first value stored under the name. No row
   * when another server stored one in the meantime (this statement's snapshot predates it): run again.
   */
  secret: statement(
    "secret",
    `WITH stored AS (
       INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value
     )
     SELECT value FROM stored UNION ALL SELECT value FROM secrets WHERE name = $1`,
  ),

  /**
   * $1 key, $2 holder, $3 ttl in ms → [holder] when $2 holds the lease now: it was free, expired
   * or already its own. No row while another holder's lease is valid.
   */
  acquireLease: statement(
    "acquire_lease",
    `INSERT INTO write_leases AS l (key, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
     ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE l.holder = EXCLUDED.holder OR l.expires_at < now()
     RETURNING holder`,
  ),

  /** $1 key, $2 holder. */
  releaseLease: statement("release_lease", `DELETE FROM write_leases WHERE key = $1 AND holder = $2`),

  /** → [files, bytes in regular files]. */
  usage: statement(
    "usage",
    `SELECT COUNT(*), COALESCE(SUM(size) FILTER (WHERE type = 'file'), 0)::bigint FROM nodes`,
  ),
} as const;
