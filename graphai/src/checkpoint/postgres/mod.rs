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

use super::error::redact_password;
use super::migrations::{self, POSTGRES as MIGRATIONS, VERSION_TABLE};
use super::sql_row::{Row, to_text};
use super::{
    Chain, Checkpoint, CheckpointStore, HistoryEntry, PutOutcome, StoreError, StoreFuture, now_ms,
    validate_writes,
};

mod ops;

pub(super) const STORE: &str = "PostgreSQL";

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

    pub(super) async fn client(
        &self,
        operation: impl FnOnce() -> String,
    ) -> Result<Object, StoreError> {
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
            ops::query(&client, ops::SELECT_LATEST, &[&thread], op)
                .await?
                .first()
                .map(|r| ops::read_row(r, thread)?.decode(thread))
                .transpose()
        }
        .boxed()
    }

    fn get<'a>(&'a self, thread: &'a str, id: &'a str) -> StoreFuture<'a, Option<Checkpoint>> {
        async move {
            let client = self
                .client(|| format!("read checkpoint `{id}` of thread `{thread}`"))
                .await?;
            ops::load(&client, thread, id)
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
                ops::query(&client, "SELECT thread FROM graphai_threads", &[], op)
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
mod tests;
