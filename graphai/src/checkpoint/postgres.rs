//! [`PostgresStore`]: checkpoints in PostgreSQL (feature `postgres`), for runs that span
//! processes or machines: every worker reaches the same database, and any of them can
//! resume any thread.
//!
//! A continuing write is one statement, so one round trip: it moves the thread's head only
//! where the head is still the one expected (and the parent exists), and inserts the
//! checkpoint from the row it moved. PostgreSQL runs a statement atomically and makes a
//! second writer of the same thread wait for the first one's row lock, then re-check the
//! condition, so of two racing writers exactly one moves the head. Only when the statement
//! writes nothing does the store look further, to say why (a retry, a conflict, a missing
//! parent).

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use futures::FutureExt;
use serde_json::Value;
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, ToSql};

use super::error::redact_password;
use super::migrations::{self, POSTGRES as MIGRATIONS, VERSION_TABLE};
use super::sql_row::{
    Row, check_links, corrupt_in, decode_history, parse_json, same_json, to_text,
};
use super::{
    Chain, Checkpoint, CheckpointStore, HistoryEntry, PendingWrite, PutOutcome, StoreError,
    StoreFuture, now_ms, validate_writes,
};

const STORE: &str = "PostgreSQL";

/// Held while migrating, so processes opening one database at once migrate it once.
const MIGRATION_LOCK: i64 = 0x6772_6170_6861_6921; // "graphai!"

/// Settings for [`PostgresStore::connect_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PostgresOptions {
    /// How long connecting (and the server's first answer) may take before it fails
    /// (5 s by default). Also bounds every later reconnection of the pool.
    pub connect_timeout: Duration,
    /// The most connections the pool opens (16 by default).
    pub max_connections: usize,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            connect_timeout: Duration::from_secs(5),
            max_connections: 16,
        }
    }
}

impl PostgresOptions {
    /// Sets [`connect_timeout`](Self::connect_timeout).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`max_connections`](Self::max_connections).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }
}

/// A [`CheckpointStore`] in PostgreSQL, through a pool of connections. Safe for many
/// processes sharing one database: conditional writes are atomic in the database.
///
/// Connections are unencrypted (`NoTls`): use it on a trusted network or through a local
/// socket. An operation whose future is dropped before it completes may still be applied:
/// retry a write with the same checkpoint, which is idempotent.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: Pool,
    target: String,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`,
    /// or `host=.. user=.. dbname=..`) with [`PostgresOptions::default`], and applies any
    /// schema migrations it lacks.
    ///
    /// # Errors
    /// [`StoreError::Open`] if the URL is malformed or the server cannot be reached within
    /// the connect timeout (the error shows the URL with its password replaced by `***`);
    /// [`StoreError::SchemaTooNew`] if a newer graphai wrote the database.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, &PostgresOptions::default()).await
    }

    /// [`connect`](Self::connect) with settings.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub async fn connect_with(url: &str, options: &PostgresOptions) -> Result<Self, StoreError> {
        let target = redact_password(url);
        let open = |reason: String, hint: &str| StoreError::Open {
            store: STORE,
            target: target.clone(),
            reason,
            hint: hint.to_string(),
        };
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            open(
                format!("it is not a PostgreSQL connection URL ({e})"),
                "write it as postgres://user:password@host:port/database",
            )
        })?;
        let timeout = options.connect_timeout;
        config.connect_timeout(timeout);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(1))
            .runtime(Runtime::Tokio1)
            // The socket's connect timeout does not cover a server that accepts and then
            // says nothing; this bounds the whole handshake.
            .create_timeout(Some(timeout))
            .build()
            .map_err(|e| {
                open(
                    format!("cannot build its connection pool ({e})"),
                    "check the options",
                )
            })?;
        let connecting = tokio::time::timeout(timeout, pool.get()).await;
        let mut client = match connecting {
            Ok(Ok(client)) => client,
            Ok(Err(deadpool_postgres::PoolError::Timeout(_))) | Err(_) => {
                return Err(open(
                    format!("the server did not answer within {timeout:?}"),
                    "check that PostgreSQL is running and reachable at that address, or raise \
                     `PostgresOptions::connect_timeout`",
                ));
            }
            Ok(Err(e)) => {
                return Err(open(
                    format!("cannot connect ({})", error_chain(&e)),
                    "check that PostgreSQL is running at that address and that the user, \
                     password and database are right",
                ));
            }
        };
        migrate(&mut client, &target).await?;
        Ok(PostgresStore { pool, target })
    }

    /// The URL the store connected to, with its password replaced by `***`.
    pub fn url(&self) -> &str {
        &self.target
    }

    async fn client(&self, operation: impl FnOnce() -> String) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(|e| StoreError::Backend {
            store: STORE,
            operation: format!("get a connection to {} to {}", self.target, operation()),
            source: Box::new(e),
        })
    }
}

/// An error and its sources, once each (deadpool's error prints its source's text too).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text = format!("{text}: {next}");
        }
        source = s.source();
    }
    text
}

async fn migrate(client: &mut Object, target: &str) -> Result<(), StoreError> {
    let fail = |what: &str| {
        let operation = format!("{what} in {target}");
        move |e: tokio_postgres::Error| StoreError::Backend {
            store: STORE,
            operation,
            source: Box::new(e),
        }
    };
    let tx = client
        .transaction()
        .await
        .map_err(fail("start migrating"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(fail("lock the schema for migration"))?;
    tx.batch_execute(VERSION_TABLE)
        .await
        .map_err(fail("create the schema version table"))?;
    let current: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0)::BIGINT FROM graphai_schema_migrations",
            &[],
        )
        .await
        .map_err(fail("read the schema version"))?
        .get(0);
    let supported = migrations::latest(MIGRATIONS);
    if current > supported {
        return Err(StoreError::SchemaTooNew {
            store: STORE,
            target: target.to_string(),
            found: current,
            supported,
        });
    }
    for (version, migration) in (1i64..).zip(MIGRATIONS).skip(current as usize) {
        let what = format!("apply schema migration {version}");
        tx.batch_execute(migration.sql).await.map_err(fail(&what))?;
        tx.execute(
            "INSERT INTO graphai_schema_migrations (version, description, applied_at) \
             VALUES ($1, $2, $3)",
            &[&version, &migration.description, &(now_ms() as i64)],
        )
        .await
        .map_err(fail(&what))?;
    }
    tx.commit().await.map_err(fail("commit the migrations"))
}

/// Moves the head from `$11` to `$2` (if the parent `$3` exists) and inserts the checkpoint
/// from the row it moved: nothing is written unless both happen.
const PUT_CONTINUE: &str = "WITH moved AS ( \
       UPDATE graphai_threads SET head = $2::text \
       WHERE thread = $1::text AND head = $11::text \
         AND ($3::text IS NULL OR EXISTS ( \
           SELECT 1 FROM graphai_checkpoints WHERE thread = $1::text AND id = $3::text)) \
       RETURNING thread) \
     INSERT INTO graphai_checkpoints (thread, id, parent, step, node, created_at, \
       fingerprint, delta, position, metadata) \
     SELECT thread, $2::text, $3::text, $4::bigint, $5::text, $6::bigint, $7::text, \
       $8::text, $9::text, $10::text FROM moved";
/// Creates the thread with `$2` as its head and inserts its first checkpoint, unless the
/// thread exists.
const PUT_CREATE: &str = "WITH created AS ( \
       INSERT INTO graphai_threads (thread, head) VALUES ($1::text, $2::text) \
       ON CONFLICT (thread) DO NOTHING RETURNING thread) \
     INSERT INTO graphai_checkpoints (thread, id, parent, step, node, created_at, \
       fingerprint, delta, position, metadata) \
     SELECT thread, $2::text, $3::text, $4::bigint, $5::text, $6::bigint, $7::text, \
       $8::text, $9::text, $10::text FROM created";
const SELECT_HEAD: &str = "SELECT head FROM graphai_threads WHERE thread = $1";
const SELECT_EXISTS: &str = "SELECT 1 FROM graphai_checkpoints WHERE thread = $1 AND id = $2";
const SELECT_CHECKPOINT: &str = "SELECT id, parent, step, node, created_at, fingerprint, \
     delta, position, metadata FROM graphai_checkpoints WHERE thread = $1 AND id = $2";
const SELECT_LATEST: &str = "SELECT c.id, c.parent, c.step, c.node, c.created_at, \
     c.fingerprint, c.delta, c.position, c.metadata FROM graphai_threads AS t \
     JOIN graphai_checkpoints AS c ON c.thread = t.thread AND c.id = t.head \
     WHERE t.thread = $1";
/// The head and, from checkpoint `$2` (or the head) up its parents, the chain root first
/// (a parent is always written before its children). `UNION` ends even a corrupt cycle.
/// Each step is a `LATERAL .. LIMIT 1` lookup so that it is always one primary-key probe: as
/// a plain join, a generic plan with stale statistics hash-joined the whole thread at every
/// step (1.2 s instead of 16 ms for a chain of 2000).
const SELECT_CHAIN: &str = "WITH RECURSIVE head AS ( \
       SELECT head FROM graphai_threads WHERE thread = $1::text), \
     chain (id, parent) AS ( \
       SELECT c.id, c.parent FROM graphai_checkpoints AS c \
       WHERE c.thread = $1::text AND c.id = COALESCE($2::text, (SELECT head FROM head)) \
       UNION \
       SELECT p.id, p.parent FROM chain CROSS JOIN LATERAL ( \
         SELECT c.id, c.parent FROM graphai_checkpoints AS c \
         WHERE c.thread = $1::text AND c.id = chain.parent LIMIT 1) AS p) \
     SELECT c.id, c.parent, c.step, c.node, c.created_at, c.fingerprint, c.delta, \
       c.position, c.metadata, (SELECT head FROM head) \
     FROM chain JOIN graphai_checkpoints AS c ON c.thread = $1::text AND c.id = chain.id \
     ORDER BY c.seq";
const SELECT_WRITES: &str = "SELECT task, writes FROM graphai_writes \
     WHERE thread = $1 AND checkpoint = $2 ORDER BY seq";
const SELECT_TASK_WRITES: &str = "SELECT writes FROM graphai_writes \
     WHERE thread = $1 AND checkpoint = $2 AND task = $3";
/// Saves a task's writes once, if the checkpoint exists; the thread row is share-locked so a
/// concurrent delete of the thread cannot leave these writes behind.
const INSERT_WRITES: &str = "WITH t AS ( \
       SELECT thread FROM graphai_threads WHERE thread = $1::text FOR KEY SHARE) \
     INSERT INTO graphai_writes (thread, checkpoint, task, writes) \
     SELECT thread, $2::text, $3::text, $4::text FROM t \
     WHERE EXISTS (SELECT 1 FROM graphai_checkpoints WHERE thread = $1::text AND id = $2::text) \
     ON CONFLICT (thread, checkpoint, task) DO NOTHING";
const SELECT_HISTORY: &str = "SELECT id, parent, step, node, created_at, metadata \
     FROM graphai_checkpoints WHERE thread = $1 ORDER BY seq DESC";

/// Maps a driver error during `operation` to [`StoreError::Backend`].
fn backend(operation: impl FnOnce() -> String) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |e| StoreError::Backend {
        store: STORE,
        operation: operation(),
        source: Box::new(e),
    }
}

/// Reads one column; a value of the wrong type is corruption of that field.
fn column<'r, T: FromSql<'r>>(
    r: &'r tokio_postgres::Row,
    index: usize,
    thread: &str,
    checkpoint: &str,
    field: &'static str,
) -> Result<T, StoreError> {
    r.try_get(index)
        .map_err(|e| corrupt_in(thread, checkpoint)(field, e.to_string()))
}

fn read_row(r: &tokio_postgres::Row, thread: &str) -> Result<Row, StoreError> {
    let id: String = column(r, 0, thread, "?", "id")?;
    Ok(Row {
        parent: column(r, 1, thread, &id, "parent")?,
        step: column(r, 2, thread, &id, "step")?,
        node: column(r, 3, thread, &id, "node")?,
        created_at: column(r, 4, thread, &id, "created_at")?,
        fingerprint: column(r, 5, thread, &id, "fingerprint")?,
        delta: column(r, 6, thread, &id, "delta")?,
        position: column(r, 7, thread, &id, "position")?,
        metadata: column(r, 8, thread, &id, "metadata")?,
        id,
    })
}

async fn query(
    client: &Object,
    sql: &str,
    args: &[&(dyn ToSql + Sync)],
    operation: impl Fn() -> String,
) -> Result<Vec<tokio_postgres::Row>, StoreError> {
    let statement = client
        .prepare_cached(sql)
        .await
        .map_err(backend(&operation))?;
    client
        .query(&statement, args)
        .await
        .map_err(backend(&operation))
}

async fn load(client: &Object, thread: &str, id: &str) -> Result<Option<Row>, StoreError> {
    let op = || format!("read checkpoint `{id}` of thread `{thread}`");
    query(client, SELECT_CHECKPOINT, &[&thread, &id], op)
        .await?
        .first()
        .map(|r| read_row(r, thread))
        .transpose()
}

async fn exists(client: &Object, thread: &str, id: &str) -> Result<bool, StoreError> {
    let op = || format!("look for checkpoint `{id}` of thread `{thread}`");
    Ok(!query(client, SELECT_EXISTS, &[&thread, &id], op)
        .await?
        .is_empty())
}

async fn head(client: &Object, thread: &str) -> Result<Option<String>, StoreError> {
    let op = || format!("read the head of thread `{thread}`");
    let rows = query(client, SELECT_HEAD, &[&thread], op).await?;
    Ok(rows.first().map(|r| r.get(0)))
}

impl PostgresStore {
    async fn put_row(
        &self,
        thread: &str,
        row: &Row,
        expected: Option<&str>,
    ) -> Result<PutOutcome, StoreError> {
        let op = || format!("write checkpoint `{}` of thread `{thread}`", row.id);
        let client = self.client(op).await?;
        // A first checkpoint with a parent can never be written: skip straight to why.
        let can_write = expected.is_some() || row.parent.is_none();
        // Bounded: the loop repeats only if the thread changed between the write and the
        // look (deleted and written again with the same ids), which is vanishingly rare.
        for _ in 0..3 {
            if can_write {
                let sql = if expected.is_some() {
                    PUT_CONTINUE
                } else {
                    PUT_CREATE
                };
                let statement = client.prepare_cached(sql).await.map_err(backend(op))?;
                let params: [&(dyn ToSql + Sync); 11] = [
                    &thread,
                    &row.id,
                    &row.parent,
                    &row.step,
                    &row.node,
                    &row.created_at,
                    &row.fingerprint,
                    &row.delta,
                    &row.position,
                    &row.metadata,
                    &expected,
                ];
                let used = if expected.is_some() { 11 } else { 10 };
                let written = client.execute(&statement, &params[..used]).await;
                match written {
                    Ok(1) => return Ok(PutOutcome::Stored),
                    Ok(_) => {}
                    // The id is an older checkpoint of the thread.
                    Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {}
                    Err(e) => return Err(backend(op)(e)),
                }
            }
            if let Some(stored) = load(&client, thread, &row.id).await? {
                return if stored.same_content(thread, row)? {
                    Ok(PutOutcome::AlreadyStored)
                } else {
                    Err(StoreError::Mismatch {
                        thread: thread.to_string(),
                        checkpoint: row.id.clone(),
                        task: None,
                    })
                };
            }
            let found = head(&client, thread).await?;
            if found.as_deref() != expected {
                return Err(StoreError::Conflict {
                    thread: thread.to_string(),
                    expected: expected.map(str::to_string),
                    found,
                });
            }
            if let Some(parent) = &row.parent
                && !exists(&client, thread, parent).await?
            {
                return Err(StoreError::NotFound {
                    thread: thread.to_string(),
                    checkpoint: parent.clone(),
                });
            }
        }
        Err(StoreError::Backend {
            store: STORE,
            operation: op(),
            source: "the thread kept changing under the write; retry it".into(),
        })
    }

    async fn put_writes_text(
        &self,
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
        let client = self.client(op).await?;
        let statement = client
            .prepare_cached(INSERT_WRITES)
            .await
            .map_err(backend(op))?;
        let written = client
            .execute(&statement, &[&thread, &checkpoint, &task, &writes])
            .await
            .map_err(backend(op))?;
        if written == 1 {
            return Ok(PutOutcome::Stored);
        }
        let stored = query(
            &client,
            SELECT_TASK_WRITES,
            &[&thread, &checkpoint, &task],
            op,
        )
        .await?;
        match stored.first() {
            Some(r) => {
                let text: String = column(r, 0, thread, checkpoint, "pending writes")?;
                let same = same_json(&text, writes)
                    .map_err(|m| corrupt_in(thread, checkpoint)("pending writes", m))?;
                if same {
                    Ok(PutOutcome::AlreadyStored)
                } else {
                    Err(StoreError::Mismatch {
                        thread: thread.to_string(),
                        checkpoint: checkpoint.to_string(),
                        task: Some(task.to_string()),
                    })
                }
            }
            None => Err(StoreError::NotFound {
                thread: thread.to_string(),
                checkpoint: checkpoint.to_string(),
            }),
        }
    }

    async fn chain_of(&self, thread: &str, at: Option<&str>) -> Result<Option<Chain>, StoreError> {
        let op = || format!("read the chain of thread `{thread}`");
        let client = self.client(op).await?;
        let found = query(&client, SELECT_CHAIN, &[&thread, &at], op).await?;
        let Some(first) = found.first() else {
            return Ok(None);
        };
        // No head: checkpoints left without their thread row, which reads as no thread.
        let Some(head) = column::<Option<String>>(first, 9, thread, "?", "head")? else {
            return Ok(None);
        };
        let rows = found
            .iter()
            .map(|r| read_row(r, thread))
            .collect::<Result<Vec<_>, _>>()?;
        check_links(thread, &rows)?;
        let last = rows.last().map(|r| r.id.clone()).unwrap_or_default();
        // Writes are only ever added to a checkpoint, so reading them after the chain
        // misses none that existed when the chain was read.
        let mut writes = Vec::new();
        for r in query(&client, SELECT_WRITES, &[&thread, &last], op).await? {
            let task: String = column(&r, 0, thread, &last, "pending writes")?;
            let text: String = column(&r, 1, thread, &last, "pending writes")?;
            let value: Value =
                parse_json(&text).map_err(|m| corrupt_in(thread, &last)("pending writes", m))?;
            writes.push(PendingWrite {
                task,
                writes: value,
            });
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

    async fn history_of(&self, thread: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let op = || format!("read the history of thread `{thread}`");
        let client = self.client(op).await?;
        query(&client, SELECT_HISTORY, &[&thread], op)
            .await?
            .iter()
            .map(|r| {
                let id: String = column(r, 0, thread, "?", "id")?;
                let metadata: String = column(r, 5, thread, &id, "metadata")?;
                decode_history(
                    thread,
                    id.clone(),
                    column(r, 1, thread, &id, "parent")?,
                    column(r, 2, thread, &id, "step")?,
                    column(r, 3, thread, &id, "node")?,
                    column(r, 4, thread, &id, "created_at")?,
                    &metadata,
                )
            })
            .collect()
    }

    async fn delete(&self, thread: &str) -> Result<bool, StoreError> {
        let op = || format!("delete thread `{thread}`");
        let mut client = self.client(op).await?;
        let tx = client.transaction().await.map_err(backend(op))?;
        // Lock the thread row first: writes to the thread wait, and the deletes below (each
        // with a fresh snapshot) see every write that committed before.
        let existed = !tx
            .query(
                "SELECT 1 FROM graphai_threads WHERE thread = $1 FOR UPDATE",
                &[&thread],
            )
            .await
            .map_err(backend(op))?
            .is_empty();
        for sql in [
            "DELETE FROM graphai_writes WHERE thread = $1",
            "DELETE FROM graphai_checkpoints WHERE thread = $1",
            "DELETE FROM graphai_threads WHERE thread = $1",
        ] {
            tx.execute(sql, &[&thread]).await.map_err(backend(op))?;
        }
        tx.commit().await.map_err(backend(op))?;
        Ok(existed)
    }
}

impl CheckpointStore for PostgresStore {
    fn put<'a>(
        &'a self,
        checkpoint: &'a Checkpoint,
        expected_head: Option<&'a str>,
    ) -> StoreFuture<'a, PutOutcome> {
        async move {
            let row = Row::encode(checkpoint)?;
            self.put_row(&checkpoint.thread, &row, expected_head).await
        }
        .boxed()
    }

    fn put_writes<'a>(
        &'a self,
        thread: &'a str,
        checkpoint: &'a str,
        task: &'a str,
        writes: &'a Value,
    ) -> StoreFuture<'a, PutOutcome> {
        async move {
            validate_writes(thread, checkpoint, task, writes)?;
            self.put_writes_text(thread, checkpoint, task, &to_text(writes))
                .await
        }
        .boxed()
    }

    fn latest<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, Option<Checkpoint>> {
        async move {
            let op = || format!("read the head of thread `{thread}`");
            let client = self.client(op).await?;
            query(&client, SELECT_LATEST, &[&thread], op)
                .await?
                .first()
                .map(|r| read_row(r, thread)?.decode(thread))
                .transpose()
        }
        .boxed()
    }

    fn get<'a>(&'a self, thread: &'a str, id: &'a str) -> StoreFuture<'a, Option<Checkpoint>> {
        async move {
            let client = self
                .client(|| format!("read checkpoint `{id}` of thread `{thread}`"))
                .await?;
            load(&client, thread, id)
                .await?
                .map(|row| row.decode(thread))
                .transpose()
        }
        .boxed()
    }

    fn chain<'a>(&'a self, thread: &'a str, at: Option<&'a str>) -> StoreFuture<'a, Option<Chain>> {
        self.chain_of(thread, at).boxed()
    }

    fn history<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, Vec<HistoryEntry>> {
        self.history_of(thread).boxed()
    }

    fn delete_thread<'a>(&'a self, thread: &'a str) -> StoreFuture<'a, bool> {
        self.delete(thread).boxed()
    }

    fn threads(&self) -> StoreFuture<'_, Vec<String>> {
        async move {
            let op = || "list threads".to_string();
            let client = self.client(op).await?;
            let mut ids: Vec<String> =
                query(&client, "SELECT thread FROM graphai_threads", &[], op)
                    .await?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
            ids.sort();
            Ok(ids)
        }
        .boxed()
    }
}

#[cfg(test)]
#[path = "postgres_tests.rs"]
mod tests;
