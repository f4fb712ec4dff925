//! [`SqliteStore`]: checkpoints in one SQLite file (feature `sqlite`).
//!
//! One connection lives on a dedicated thread that runs the store's operations in order; an
//! async call serializes its checkpoint on the caller's task, sends the job, and awaits the
//! reply, so no async task ever blocks on the file. Each write is one `BEGIN IMMEDIATE`
//! transaction of cached prepared statements, which also makes it safe against other
//! processes writing the same file (they wait up to the busy timeout for the write lock).

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use futures::FutureExt;
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

use super::migrations::{self, SQLITE as MIGRATIONS, VERSION_TABLE};
use super::sql_row::{
    Row, check_links, corrupt_in, decode_history, parse_json, same_json, to_text,
};
use super::{
    Chain, Checkpoint, CheckpointStore, HistoryEntry, PendingWrite, PutOutcome, StoreError,
    StoreFuture, now_ms, validate_writes,
};

const STORE: &str = "SQLite";

/// How hard SQLite works to make a commit survive a power cut (`PRAGMA synchronous`).
///
/// In WAL mode, [`Normal`](Synchronous::Normal) (the default) never corrupts the database
/// and survives a crash of the process; a power cut may lose the last commits. Use
/// [`Full`](Synchronous::Full) when a checkpoint must survive the machine losing power, at
/// the cost of a disk flush per write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Synchronous {
    /// No flushes: fastest; a crash of the operating system may corrupt the file.
    Off,
    /// Flush at WAL checkpoints only (the default).
    #[default]
    Normal,
    /// Flush at every commit.
    Full,
    /// Like `Full`, and flush the directory too.
    Extra,
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Off => "OFF",
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
            Synchronous::Extra => "EXTRA",
        }
    }
}

/// Settings for [`SqliteStore::open_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// `PRAGMA synchronous`; [`Synchronous::Normal`] by default.
    pub synchronous: Synchronous,
    /// How long a write waits for another process holding the file's write lock before it
    /// fails (5 s by default).
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            synchronous: Synchronous::Normal,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

impl SqliteOptions {
    /// Sets [`synchronous`](Self::synchronous).
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// Sets [`busy_timeout`](Self::busy_timeout).
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A [`CheckpointStore`] in one SQLite file: embedded, no server, WAL journal. Several
/// processes may share the file; conditional writes stay atomic across them.
///
/// An operation whose future is dropped before it completes may still be applied: retry a
/// write with the same checkpoint, which is idempotent.
///
/// ```
/// use graphai::checkpoint::{Checkpoint, CheckpointStore, SqliteStore};
///
/// # let dir = std::env::temp_dir().join(format!("graphai-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = SqliteStore::open(dir.join("runs.db"))?;
/// store.put(&Checkpoint::new("t-1", "c0"), None).await?;
/// assert_eq!(store.latest("t-1").await?.map(|c| c.id), Some("c0".to_string()));
/// # Ok::<(), graphai::checkpoint::StoreError>(())
/// # }).unwrap();
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug)]
pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    target: String,
}

impl SqliteStore {
    /// Opens (or creates) the store in the file at `path`, with [`SqliteOptions::default`].
    ///
    /// # Errors
    /// [`StoreError::Open`] if the file cannot be opened or is not an SQLite database;
    /// [`StoreError::SchemaTooNew`] if a newer graphai wrote it.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, &SqliteOptions::default())
    }

    /// Opens (or creates) the store in the file at `path`, in WAL mode, applying any
    /// schema migrations it lacks.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_with(path: impl AsRef<Path>, options: &SqliteOptions) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let target = path.display().to_string();
        let mut conn = Connection::open(path).map_err(|e| open_error(&target, &e))?;
        configure(&conn, options, true).map_err(|e| open_error(&target, &e))?;
        migrate(&mut conn, &target)?;
        Self::start(conn, target)
    }

    /// A store in an in-memory SQLite database, gone when the store is dropped.
    ///
    /// # Errors
    /// [`StoreError::Open`] if SQLite cannot allocate the database.
    pub fn memory() -> Result<Self, StoreError> {
        let target = ":memory:".to_string();
        let mut conn = Connection::open_in_memory().map_err(|e| open_error(&target, &e))?;
        configure(&conn, &SqliteOptions::default(), false).map_err(|e| open_error(&target, &e))?;
        migrate(&mut conn, &target)?;
        Self::start(conn, target)
    }

    /// The file the store was opened at (`:memory:` for [`memory`](Self::memory)).
    pub fn path(&self) -> &str {
        &self.target
    }

    fn start(conn: Connection, target: String) -> Result<Self, StoreError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("graphai-sqlite".into())
            .spawn(move || {
                let mut conn = conn;
                // Ends when the store (the only sender) is dropped.
                while let Ok(job) = queue.recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| StoreError::Open {
                store: STORE,
                target: target.clone(),
                reason: format!("cannot start its thread: {e}"),
                hint: "the process is out of threads or memory".into(),
            })?;
        Ok(SqliteStore { jobs, target })
    }

    /// Runs `job` on the store's thread and returns its result.
    fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> StoreFuture<'static, T> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let sent = self.jobs.send(Box::new(move |conn: &mut Connection| {
            // The caller may have stopped waiting; the job's effect stands either way.
            let _ = reply.send(job(conn));
        }));
        async move {
            sent.map_err(|_| stopped())?;
            answer.await.map_err(|_| stopped())?
        }
        .boxed()
    }
}

fn stopped() -> StoreError {
    StoreError::Backend {
        store: STORE,
        operation: "reach its database thread".into(),
        source: "the SQLite store's thread has stopped".into(),
    }
}

fn configure(conn: &Connection, options: &SqliteOptions, wal: bool) -> rusqlite::Result<()> {
    conn.busy_timeout(options.busy_timeout)?;
    if wal {
        // Reading the header here is what reveals a file that is not a database.
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                Some(format!(
                    "the file refused WAL mode (journal mode stays {mode})"
                )),
            ));
        }
    }
    conn.pragma_update(None, "synchronous", options.synchronous.pragma())?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(())
}

fn open_error(target: &str, e: &rusqlite::Error) -> StoreError {
    let (reason, hint) = match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => (
            "the file is not an SQLite database".to_string(),
            "point the store at a new file or one it created",
        ),
        Some(ErrorCode::CannotOpen) => (
            format!("the file cannot be opened ({e})"),
            "check that its directory exists and that this process may write there",
        ),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => (
            format!("another process holds the database locked ({e})"),
            "wait for it, or raise `SqliteOptions::busy_timeout`",
        ),
        Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => (
            format!("the file cannot be written ({e})"),
            "check the permissions of the file and its directory",
        ),
        _ => (
            e.to_string(),
            "check that the path names an SQLite file this process may write",
        ),
    };
    StoreError::Open {
        store: STORE,
        target: target.to_string(),
        reason,
        hint: hint.to_string(),
    }
}

/// Applies the migrations the database lacks, in order, in one transaction.
fn migrate(conn: &mut Connection, target: &str) -> Result<(), StoreError> {
    let open_err = |e: rusqlite::Error| open_error(target, &e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(open_err)?;
    tx.execute_batch(VERSION_TABLE).map_err(open_err)?;
    let current: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM graphai_schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(open_err)?;
    let supported = migrations::latest(MIGRATIONS);
    if current > supported {
        return Err(StoreError::SchemaTooNew {
            store: STORE,
            target: target.to_string(),
            found: current,
            supported,
        });
    }
    for (version, migration) in (1..).zip(MIGRATIONS).skip(current as usize) {
        tx.execute_batch(migration.sql)
            .and_then(|()| {
                tx.execute(
                    "INSERT INTO graphai_schema_migrations (version, description, applied_at)
                     VALUES (?1, ?2, ?3)",
                    params![version, migration.description, now_ms() as i64],
                )
            })
            .map_err(|e| StoreError::Backend {
                store: STORE,
                operation: format!("apply schema migration {version} to {target}"),
                source: Box::new(e),
            })?;
    }
    tx.commit().map_err(open_err)
}

const SELECT_HEAD: &str = "SELECT head FROM graphai_threads WHERE thread = ?1";
const SELECT_CHECKPOINT: &str = "SELECT id, parent, step, node, created_at, fingerprint, delta, \
     position, metadata FROM graphai_checkpoints WHERE thread = ?1 AND id = ?2";
const SELECT_EXISTS: &str = "SELECT 1 FROM graphai_checkpoints WHERE thread = ?1 AND id = ?2";
const INSERT_CHECKPOINT: &str = "INSERT INTO graphai_checkpoints (thread, id, parent, step, \
     node, created_at, fingerprint, delta, position, metadata) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
const MOVE_HEAD: &str = "INSERT INTO graphai_threads (thread, head) VALUES (?1, ?2) \
     ON CONFLICT (thread) DO UPDATE SET head = excluded.head";
const SELECT_LATEST: &str = "SELECT c.id, c.parent, c.step, c.node, c.created_at, \
     c.fingerprint, c.delta, c.position, c.metadata FROM graphai_threads AS t \
     JOIN graphai_checkpoints AS c ON c.thread = t.thread AND c.id = t.head \
     WHERE t.thread = ?1";
/// From checkpoint `?2` up its parents (`UNION` stops at a repeated row, so even a
/// corrupt cycle ends), root first: a parent is always written before its children.
const SELECT_CHAIN: &str = "WITH RECURSIVE chain (seq, id, parent) AS ( \
       SELECT seq, id, parent FROM graphai_checkpoints WHERE thread = ?1 AND id = ?2 \
       UNION \
       SELECT c.seq, c.id, c.parent FROM graphai_checkpoints AS c \
       JOIN chain ON c.thread = ?1 AND c.id = chain.parent) \
     SELECT c.id, c.parent, c.step, c.node, c.created_at, c.fingerprint, c.delta, \
       c.position, c.metadata \
     FROM chain JOIN graphai_checkpoints AS c ON c.seq = chain.seq ORDER BY c.seq";
const SELECT_WRITES: &str =
    "SELECT task, writes FROM graphai_writes WHERE thread = ?1 AND checkpoint = ?2 ORDER BY seq";
const SELECT_TASK_WRITES: &str =
    "SELECT writes FROM graphai_writes WHERE thread = ?1 AND checkpoint = ?2 AND task = ?3";
const INSERT_WRITES: &str =
    "INSERT INTO graphai_writes (thread, checkpoint, task, writes) VALUES (?1, ?2, ?3, ?4)";
const SELECT_HISTORY: &str = "SELECT id, parent, step, node, created_at, metadata \
     FROM graphai_checkpoints WHERE thread = ?1 ORDER BY seq DESC";

/// Maps a driver error during `operation` to [`StoreError::Backend`].
fn backend(operation: impl FnOnce() -> String) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| StoreError::Backend {
        store: STORE,
        operation: operation(),
        source: Box::new(e),
    }
}

/// Reads one column; a value of the wrong type is corruption of that field.
fn column<T: rusqlite::types::FromSql>(
    r: &rusqlite::Row<'_>,
    index: usize,
    thread: &str,
    checkpoint: &str,
    field: &'static str,
) -> Result<T, StoreError> {
    r.get(index).map_err(|e| match e {
        rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::Utf8Error(..) => corrupt_in(thread, checkpoint)(field, e.to_string()),
        e => backend(|| format!("read checkpoint `{checkpoint}` of thread `{thread}`"))(e),
    })
}

/// A checkpoint row: id, parent, step, node, created_at, fingerprint, delta, position, metadata.
fn read_row(r: &rusqlite::Row<'_>, thread: &str) -> Result<Row, StoreError> {
    let id: String = column(r, 0, thread, "?", "id")?;
    let col = |i, field| column::<String>(r, i, thread, &id, field);
    let opt = |i, field| column::<Option<String>>(r, i, thread, &id, field);
    let int = |i, field| column::<i64>(r, i, thread, &id, field);
    Ok(Row {
        parent: opt(1, "parent")?,
        step: int(2, "step")?,
        node: opt(3, "node")?,
        created_at: int(4, "created_at")?,
        fingerprint: col(5, "fingerprint")?,
        delta: col(6, "delta")?,
        position: col(7, "position")?,
        metadata: col(8, "metadata")?,
        id,
    })
}

fn query_rows(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
    thread: &str,
    operation: impl Fn() -> String,
) -> Result<Vec<Row>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend(&operation))?;
    let mut rows = stmt.query(args).map_err(backend(&operation))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(backend(&operation))? {
        out.push(read_row(r, thread)?);
    }
    Ok(out)
}

fn load(conn: &Connection, thread: &str, id: &str) -> Result<Option<Row>, StoreError> {
    let operation = || format!("read checkpoint `{id}` of thread `{thread}`");
    Ok(query_rows(conn, SELECT_CHECKPOINT, [thread, id], thread, operation)?.pop())
}

/// The outcome of writing `row` where the thread already holds `stored` under its id.
fn retried(thread: &str, stored: &Row, row: &Row) -> Result<PutOutcome, StoreError> {
    if stored.same_content(thread, row)? {
        Ok(PutOutcome::AlreadyStored)
    } else {
        Err(StoreError::Mismatch {
            thread: thread.to_string(),
            checkpoint: row.id.clone(),
            task: None,
        })
    }
}

fn put_on(
    conn: &mut Connection,
    thread: &str,
    row: &Row,
    expected: Option<&str>,
) -> Result<PutOutcome, StoreError> {
    let op = || format!("write checkpoint `{}` of thread `{thread}`", row.id);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend(op))?;
    let found: Option<String> = tx
        .prepare_cached(SELECT_HEAD)
        .and_then(|mut s| s.query_row([thread], |r| r.get(0)).optional())
        .map_err(backend(op))?;
    if found.as_deref() != expected {
        if let Some(stored) = load(&tx, thread, &row.id)? {
            return retried(thread, &stored, row);
        }
        return Err(StoreError::Conflict {
            thread: thread.to_string(),
            expected: expected.map(str::to_string),
            found,
        });
    }
    if let Some(parent) = &row.parent {
        let exists = tx
            .prepare_cached(SELECT_EXISTS)
            .and_then(|mut s| s.exists([thread, parent]))
            .map_err(backend(op))?;
        if !exists {
            return Err(StoreError::NotFound {
                thread: thread.to_string(),
                checkpoint: parent.clone(),
            });
        }
    }
    let inserted = tx.prepare_cached(INSERT_CHECKPOINT).and_then(|mut s| {
        s.execute(params![
            thread,
            row.id,
            row.parent,
            row.step,
            row.node,
            row.created_at,
            row.fingerprint,
            row.delta,
            row.position,
            row.metadata
        ])
    });
    match inserted {
        Ok(_) => {}
        // The id is an older checkpoint of the thread (the head is `expected`, not it).
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
            let stored = load(&tx, thread, &row.id)?.ok_or_else(|| backend(op)(e))?;
            return retried(thread, &stored, row);
        }
        Err(e) => return Err(backend(op)(e)),
    }
    tx.prepare_cached(MOVE_HEAD)
        .and_then(|mut s| s.execute([thread, &row.id]))
        .map_err(backend(op))?;
    tx.commit().map_err(backend(op))?;
    Ok(PutOutcome::Stored)
}

fn put_writes_on(
    conn: &mut Connection,
    thread: &str,
    checkpoint: &str,
    task: &str,
    writes: &str,
) -> Result<PutOutcome, StoreError> {
    let op = || {
        format!(
            "save the writes of task `{task}` for checkpoint `{checkpoint}` of thread `{thread}`"
        )
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend(op))?;
    let stored: Option<String> = tx
        .prepare_cached(SELECT_TASK_WRITES)
        .and_then(|mut s| {
            s.query_row([thread, checkpoint, task], |r| r.get(0))
                .optional()
        })
        .map_err(|e| match e {
            rusqlite::Error::InvalidColumnType(..) | rusqlite::Error::Utf8Error(..) => {
                corrupt_in(thread, checkpoint)("pending writes", e.to_string())
            }
            e => backend(op)(e),
        })?;
    if let Some(stored) = stored {
        let same = same_json(&stored, writes)
            .map_err(|m| corrupt_in(thread, checkpoint)("pending writes", m))?;
        return if same {
            Ok(PutOutcome::AlreadyStored)
        } else {
            Err(StoreError::Mismatch {
                thread: thread.to_string(),
                checkpoint: checkpoint.to_string(),
                task: Some(task.to_string()),
            })
        };
    }
    let exists = tx
        .prepare_cached(SELECT_EXISTS)
        .and_then(|mut s| s.exists([thread, checkpoint]))
        .map_err(backend(op))?;
    if !exists {
        return Err(StoreError::NotFound {
            thread: thread.to_string(),
            checkpoint: checkpoint.to_string(),
        });
    }
    tx.prepare_cached(INSERT_WRITES)
        .and_then(|mut s| s.execute([thread, checkpoint, task, writes]))
        .map_err(backend(op))?;
    tx.commit().map_err(backend(op))?;
    Ok(PutOutcome::Stored)
}

fn chain_on(
    conn: &mut Connection,
    thread: &str,
    at: Option<&str>,
) -> Result<Option<Chain>, StoreError> {
    let op = || format!("read the chain of thread `{thread}`");
    // One read transaction: the head, the chain and the writes are one snapshot.
    let tx = conn.transaction().map_err(backend(op))?;
    let head: Option<String> = tx
        .prepare_cached(SELECT_HEAD)
        .and_then(|mut s| s.query_row([thread], |r| r.get(0)).optional())
        .map_err(backend(op))?;
    let Some(head) = head else { return Ok(None) };
    let at = at.unwrap_or(&head);
    let rows = query_rows(&tx, SELECT_CHAIN, [thread, at], thread, op)?;
    if rows.is_empty() {
        return Ok(None);
    }
    check_links(thread, &rows)?;
    let mut writes = Vec::new();
    {
        let mut stmt = tx.prepare_cached(SELECT_WRITES).map_err(backend(op))?;
        let mut found = stmt.query([thread, at]).map_err(backend(op))?;
        while let Some(r) = found.next().map_err(backend(op))? {
            let task: String = column(r, 0, thread, at, "pending writes")?;
            let text: String = column(r, 1, thread, at, "pending writes")?;
            let value: Value =
                parse_json(&text).map_err(|m| corrupt_in(thread, at)("pending writes", m))?;
            writes.push(PendingWrite {
                task,
                writes: value,
            });
        }
    }
    let checkpoints = rows
        .into_iter()
        .map(|row| row.decode(thread))
        .collect::<Result<_, _>>()?;
    Ok(Some(Chain {
        head,
        checkpoints,
        writes,
    }))
}

fn history_on(conn: &mut Connection, thread: &str) -> Result<Vec<HistoryEntry>, StoreError> {
    let op = || format!("read the history of thread `{thread}`");
    let mut stmt = conn.prepare_cached(SELECT_HISTORY).map_err(backend(op))?;
    let mut rows = stmt.query([thread]).map_err(backend(op))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(backend(op))? {
        let id: String = column(r, 0, thread, "?", "id")?;
        out.push(decode_history(
            thread,
            id.clone(),
            column(r, 1, thread, &id, "parent")?,
            column(r, 2, thread, &id, "step")?,
            column(r, 3, thread, &id, "node")?,
            column(r, 4, thread, &id, "created_at")?,
            &column::<String>(r, 5, thread, &id, "metadata")?,
        )?);
    }
    Ok(out)
}

fn delete_on(conn: &mut Connection, thread: &str) -> Result<bool, StoreError> {
    let op = || format!("delete thread `{thread}`");
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend(op))?;
    let mut existed = false;
    for sql in [
        "DELETE FROM graphai_writes WHERE thread = ?1",
        "DELETE FROM graphai_checkpoints WHERE thread = ?1",
        "DELETE FROM graphai_threads WHERE thread = ?1",
    ] {
        existed = tx
            .prepare_cached(sql)
            .and_then(|mut s| s.execute([thread]))
            .map_err(backend(op))?
            > 0;
    }
    tx.commit().map_err(backend(op))?;
    Ok(existed)
}

fn threads_on(conn: &mut Connection) -> Result<Vec<String>, StoreError> {
    let op = || "list threads".to_string();
    let mut stmt = conn
        .prepare_cached("SELECT thread FROM graphai_threads")
        .map_err(backend(op))?;
    let mut ids = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
        .map_err(backend(op))?;
    ids.sort();
    Ok(ids)
}

impl CheckpointStore for SqliteStore {
    fn put<'a>(
        &'a self,
        checkpoint: &'a Checkpoint,
        expected_head: Option<&'a str>,
    ) -> StoreFuture<'a, PutOutcome> {
        // Validate and serialize here, so the database thread only runs SQL.
        let row = match Row::encode(checkpoint) {
            Ok(row) => row,
            Err(e) => return std::future::ready(Err(e)).boxed(),
        };
        let thread = checkpoint.thread.clone();
        let expected = expected_head.map(str::to_string);
        self.run(move |conn| put_on(conn, &thread, &row, expected.as_deref()))
    }

    fn put_writes<'a>(
        &'a self,
        thread: &'a str,
        checkpoint: &'a str,
        task: &'a str,
        writes: &'a Value,
    ) -> StoreFuture<'a, PutOutcome> {
        if let Err(e) = validate_writes(thread, checkpoint, task, writes) {
            return std::future::ready(Err(e)).boxed();
        }
        let text = to_text(writes);
        let (thread, checkpoint, task) =
            (thread.to_string(), checkpoint.to_string(), task.to_string());
        self.run(move |conn| put_writes_on(conn, &thread, &checkpoint, &task, &text))
    }

    fn latest<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, Option<Checkpoint>> {
        let thread = thread.to_string();
        self.run(move |conn| {
            let op = || format!("read the head of thread `{thread}`");
            query_rows(conn, SELECT_LATEST, [&thread], &thread, op)?
                .pop()
                .map(|row| row.decode(&thread))
                .transpose()
        })
    }

    fn get<'a>(&'a self, thread: &'a str, id: &'a str) -> StoreFuture<'a, Option<Checkpoint>> {
        let (thread, id) = (thread.to_string(), id.to_string());
        self.run(move |conn| {
            load(conn, &thread, &id)?
                .map(|row| row.decode(&thread))
                .transpose()
        })
    }

    fn chain<'a>(&'a self, thread: &'a str, at: Option<&'a str>) -> StoreFuture<'a, Option<Chain>> {
        let (thread, at) = (thread.to_string(), at.map(str::to_string));
        self.run(move |conn| chain_on(conn, &thread, at.as_deref()))
    }

    fn history<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, Vec<HistoryEntry>> {
        let thread = thread.to_string();
        self.run(move |conn| history_on(conn, &thread))
    }

    fn delete_thread<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, bool> {
        let thread = thread.to_string();
        self.run(move |conn| delete_on(conn, &thread))
    }

    fn threads(&self) -> StoreFuture<'_, Vec<String>> {
        self.run(threads_on)
    }
}

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;
