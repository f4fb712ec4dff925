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
use rusqlite::{Connection, ErrorCode, TransactionBehavior, params};
use serde_json::Value;

use super::migrations::{self, SQLITE as MIGRATIONS, VERSION_TABLE};
use super::sql_row::{Row, to_text};
use super::{
    Chain, Checkpoint, CheckpointStore, HistoryEntry, PutOutcome, StoreError, StoreFuture, now_ms,
    validate_writes,
};

mod ops;

pub(super) const STORE: &str = "SQLite";

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
        self.run(move |conn| ops::put_on(conn, &thread, &row, expected.as_deref()))
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
        self.run(move |conn| ops::put_writes_on(conn, &thread, &checkpoint, &task, &text))
    }

    fn latest<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, Option<Checkpoint>> {
        let thread = thread.to_string();
        self.run(move |conn| {
            let op = || format!("read the head of thread `{thread}`");
            ops::query_rows(conn, ops::SELECT_LATEST, [&thread], &thread, op)?
                .pop()
                .map(|row| row.decode(&thread))
                .transpose()
        })
    }

    fn get<'a>(&'a self, thread: &'a str, id: &'a str) -> StoreFuture<'a, Option<Checkpoint>> {
        let (thread, id) = (thread.to_string(), id.to_string());
        self.run(move |conn| {
            ops::load(conn, &thread, &id)?
                .map(|row| row.decode(&thread))
                .transpose()
        })
    }

    fn chain<'a>(&'a self, thread: &'a str, at: Option<&'a str>) -> StoreFuture<'a, Option<Chain>> {
        let (thread, at) = (thread.to_string(), at.map(str::to_string));
        self.run(move |conn| ops::chain_on(conn, &thread, at.as_deref()))
    }

    fn history<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, Vec<HistoryEntry>> {
        let thread = thread.to_string();
        self.run(move |conn| ops::history_on(conn, &thread))
    }

    fn delete_thread<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, bool> {
        let thread = thread.to_string();
        self.run(move |conn| ops::delete_on(conn, &thread))
    }

    fn threads(&self) -> StoreFuture<'_, Vec<String>> {
        self.run(ops::threads_on)
    }
}

#[cfg(test)]
mod tests;
