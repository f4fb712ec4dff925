//! The SQL stores' schemas, as numbered migrations each store applies itself on open.
//!
//! Version `n` is `MIGRATIONS[n - 1]`. A store records every version it applied in
//! `graphai_schema_migrations` and, on open, applies the missing ones in order inside one
//! transaction; a database with a version past the end of its list was written by a newer
//! graphai and is refused. To change a schema, append a migration: never edit one that
//! shipped.
//!
//! Both schemas have the same shape:
//! - `graphai_threads(thread, head)`: one row per thread, the row a conditional write
//!   checks and moves.
//! - `graphai_checkpoints`: one row per checkpoint, keyed by `(thread, id)`, with `seq`
//!   numbering rows in the order they were written (history order; a parent is always
//!   written before its children, so along a chain `seq` runs from the root).
//! - `graphai_writes`: one row per (thread, checkpoint, task), with its own `seq`.
//!
//! JSON is kept as `TEXT` exactly as serialized, so a value reads back with its keys in the
//! order they were written (PostgreSQL's `jsonb` would reorder them and refuse `\u0000`).

/// One schema change.
pub(crate) struct Migration {
    /// What the change does, recorded beside its version.
    pub description: &'static str,
    /// The statements, run in one batch.
    pub sql: &'static str,
}

/// The table that records applied versions: created before the first migration, the same in
/// both databases.
pub(crate) const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS graphai_schema_migrations (
    version BIGINT PRIMARY KEY NOT NULL,
    description TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

#[cfg(feature = "sqlite")]
pub(crate) const SQLITE: &[Migration] = &[Migration {
    description: "threads, checkpoints and pending writes",
    sql: "
CREATE TABLE graphai_threads (
    thread TEXT PRIMARY KEY NOT NULL,
    head TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE graphai_checkpoints (
    seq INTEGER PRIMARY KEY,
    thread TEXT NOT NULL,
    id TEXT NOT NULL,
    parent TEXT,
    step INTEGER NOT NULL,
    node TEXT,
    created_at INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    delta TEXT NOT NULL,
    position TEXT NOT NULL,
    metadata TEXT NOT NULL,
    UNIQUE (thread, id)
);

CREATE TABLE graphai_writes (
    seq INTEGER PRIMARY KEY,
    thread TEXT NOT NULL,
    checkpoint TEXT NOT NULL,
    task TEXT NOT NULL,
    writes TEXT NOT NULL,
    UNIQUE (thread, checkpoint, task)
);
",
}];

#[cfg(feature = "postgres")]
pub(crate) const POSTGRES: &[Migration] = &[Migration {
    description: "threads, checkpoints and pending writes",
    sql: "
CREATE TABLE graphai_threads (
    thread TEXT PRIMARY KEY,
    head TEXT NOT NULL
);

CREATE TABLE graphai_checkpoints (
    thread TEXT NOT NULL,
    id TEXT NOT NULL,
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    parent TEXT,
    step BIGINT NOT NULL,
    node TEXT,
    created_at BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,
    delta TEXT NOT NULL,
    position TEXT NOT NULL,
    metadata TEXT NOT NULL,
    PRIMARY KEY (thread, id)
);

CREATE TABLE graphai_writes (
    thread TEXT NOT NULL,
    checkpoint TEXT NOT NULL,
    task TEXT NOT NULL,
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    writes TEXT NOT NULL,
    PRIMARY KEY (thread, checkpoint, task)
);
",
}];

/// The newest version in `migrations`.
pub(crate) fn latest(migrations: &[Migration]) -> i64 {
    migrations.len() as i64
}
