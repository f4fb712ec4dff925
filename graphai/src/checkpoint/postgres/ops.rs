//! The store's operations: the SQL, and what each answer means.

use deadpool_postgres::Object;
use serde_json::Value;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, ToSql};

use super::{PostgresStore, STORE};
use crate::checkpoint::sql_row::{
    Row, check_links, corrupt_in, decode_history, parse_json, same_json,
};
use crate::checkpoint::{Chain, HistoryEntry, PendingWrite, PutOutcome, StoreError};

/// Moves the head from `$11` to `$2` (if the parent `$3` exists) and inserts the checkpoint
/// from the row it moved: nothing is written unless both happen.
pub(super) const PUT_CONTINUE: &str = "WITH moved AS ( \
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
pub(super) const PUT_CREATE: &str = "WITH created AS ( \
       INSERT INTO graphai_threads (thread, head) VALUES ($1::text, $2::text) \
       ON CONFLICT (thread) DO NOTHING RETURNING thread) \
     INSERT INTO graphai_checkpoints (thread, id, parent, step, node, created_at, \
       fingerprint, delta, position, metadata) \
     SELECT thread, $2::text, $3::text, $4::bigint, $5::text, $6::bigint, $7::text, \
       $8::text, $9::text, $10::text FROM created";
pub(super) const SELECT_HEAD: &str = "SELECT head FROM graphai_threads WHERE thread = $1";
pub(super) const SELECT_EXISTS: &str =
    "SELECT 1 FROM graphai_checkpoints WHERE thread = $1 AND id = $2";
pub(super) const SELECT_CHECKPOINT: &str = "SELECT id, parent, step, node, created_at, fingerprint, \
     delta, position, metadata FROM graphai_checkpoints WHERE thread = $1 AND id = $2";
pub(super) const SELECT_LATEST: &str = "SELECT c.id, c.parent, c.step, c.node, c.created_at, \
     c.fingerprint, c.delta, c.position, c.metadata FROM graphai_threads AS t \
     JOIN graphai_checkpoints AS c ON c.thread = t.thread AND c.id = t.head \
     WHERE t.thread = $1";
/// The head and, from checkpoint `$2` (or the head) up its parents, the chain root first
/// (a parent is always written before its children). `UNION` ends even a corrupt cycle.
/// Each step is a `LATERAL .. LIMIT 1` lookup so that it is always one primary-key probe: as
/// a plain join, a generic plan with stale statistics hash-joined the whole thread at every
/// step (1.2 s instead of 16 ms for a chain of 2000).
pub(super) const SELECT_CHAIN: &str = "WITH RECURSIVE head AS ( \
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
pub(super) const SELECT_WRITES: &str = "SELECT task, writes FROM graphai_writes \
     WHERE thread = $1 AND checkpoint = $2 ORDER BY seq";
pub(super) const SELECT_TASK_WRITES: &str = "SELECT writes FROM graphai_writes \
     WHERE thread = $1 AND checkpoint = $2 AND task = $3";
/// Saves a task's writes once, if the checkpoint exists; the thread row is share-locked so a
/// concurrent delete of the thread cannot leave these writes behind.
pub(super) const INSERT_WRITES: &str = "WITH t AS ( \
       SELECT thread FROM graphai_threads WHERE thread = $1::text FOR KEY SHARE) \
     INSERT INTO graphai_writes (thread, checkpoint, task, writes) \
     SELECT thread, $2::text, $3::text, $4::text FROM t \
     WHERE EXISTS (SELECT 1 FROM graphai_checkpoints WHERE thread = $1::text AND id = $2::text) \
     ON CONFLICT (thread, checkpoint, task) DO NOTHING";
pub(super) const SELECT_HISTORY: &str = "SELECT id, parent, step, node, created_at, metadata \
     FROM graphai_checkpoints WHERE thread = $1 ORDER BY seq DESC";

/// Maps a driver error during `operation` to [`StoreError::Backend`].
pub(super) fn backend(
    operation: impl FnOnce() -> String,
) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |e| StoreError::Backend {
        store: STORE,
        operation: operation(),
        source: Box::new(e),
    }
}

/// Reads one column; a value of the wrong type is corruption of that field.
pub(super) fn column<'r, T: FromSql<'r>>(
    r: &'r tokio_postgres::Row,
    index: usize,
    thread: &str,
    checkpoint: &str,
    field: &'static str,
) -> Result<T, StoreError> {
    r.try_get(index)
        .map_err(|e| corrupt_in(thread, checkpoint)(field, e.to_string()))
}

pub(super) fn read_row(r: &tokio_postgres::Row, thread: &str) -> Result<Row, StoreError> {
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

pub(super) async fn query(
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

pub(super) async fn load(
    client: &Object,
    thread: &str,
    id: &str,
) -> Result<Option<Row>, StoreError> {
    let op = || format!("read checkpoint `{id}` of thread `{thread}`");
    query(client, SELECT_CHECKPOINT, &[&thread, &id], op)
        .await?
        .first()
        .map(|r| read_row(r, thread))
        .transpose()
}

pub(super) async fn exists(client: &Object, thread: &str, id: &str) -> Result<bool, StoreError> {
    let op = || format!("look for checkpoint `{id}` of thread `{thread}`");
    Ok(!query(client, SELECT_EXISTS, &[&thread, &id], op)
        .await?
        .is_empty())
}

pub(super) async fn head(client: &Object, thread: &str) -> Result<Option<String>, StoreError> {
    let op = || format!("read the head of thread `{thread}`");
    let rows = query(client, SELECT_HEAD, &[&thread], op).await?;
    Ok(rows.first().map(|r| r.get(0)))
}

impl PostgresStore {
    pub(super) async fn put_row(
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

    pub(super) async fn put_writes_text(
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

    pub(super) async fn chain_of(
        &self,
        thread: &str,
        at: Option<&str>,
    ) -> Result<Option<Chain>, StoreError> {
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

    pub(super) async fn history_of(&self, thread: &str) -> Result<Vec<HistoryEntry>, StoreError> {
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

    pub(super) async fn delete(&self, thread: &str) -> Result<bool, StoreError> {
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
