//! The store's operations as they run on its database thread: the SQL, and what each
//! answer means.

use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

use super::STORE;
use crate::checkpoint::sql_row::{
    Row, check_links, corrupt_in, decode_history, parse_json, same_json,
};
use crate::checkpoint::{Chain, HistoryEntry, PendingWrite, PutOutcome, StoreError};

pub(super) const SELECT_HEAD: &str = "SELECT head FROM graphai_threads WHERE thread = ?1";
pub(super) const SELECT_CHECKPOINT: &str = "SELECT id, parent, step, node, created_at, fingerprint, delta, \
     position, metadata FROM graphai_checkpoints WHERE thread = ?1 AND id = ?2";
pub(super) const SELECT_EXISTS: &str =
    "SELECT 1 FROM graphai_checkpoints WHERE thread = ?1 AND id = ?2";
pub(super) const INSERT_CHECKPOINT: &str = "INSERT INTO graphai_checkpoints (thread, id, parent, step, \
     node, created_at, fingerprint, delta, position, metadata) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
pub(super) const MOVE_HEAD: &str = "INSERT INTO graphai_threads (thread, head) VALUES (?1, ?2) \
     ON CONFLICT (thread) DO UPDATE SET head = excluded.head";
pub(super) const SELECT_LATEST: &str = "SELECT c.id, c.parent, c.step, c.node, c.created_at, \
     c.fingerprint, c.delta, c.position, c.metadata FROM graphai_threads AS t \
     JOIN graphai_checkpoints AS c ON c.thread = t.thread AND c.id = t.head \
     WHERE t.thread = ?1";
/// From checkpoint `?2` up its parents (`UNION` stops at a repeated row, so even a
/// corrupt cycle ends), root first: a parent is always written before its children.
pub(super) const SELECT_CHAIN: &str = "WITH RECURSIVE chain (seq, id, parent) AS ( \
       SELECT seq, id, parent FROM graphai_checkpoints WHERE thread = ?1 AND id = ?2 \
       UNION \
       SELECT c.seq, c.id, c.parent FROM graphai_checkpoints AS c \
       JOIN chain ON c.thread = ?1 AND c.id = chain.parent) \
     SELECT c.id, c.parent, c.step, c.node, c.created_at, c.fingerprint, c.delta, \
       c.position, c.metadata \
     FROM chain JOIN graphai_checkpoints AS c ON c.seq = chain.seq ORDER BY c.seq";
pub(super) const SELECT_WRITES: &str =
    "SELECT task, writes FROM graphai_writes WHERE thread = ?1 AND checkpoint = ?2 ORDER BY seq";
pub(super) const SELECT_TASK_WRITES: &str =
    "SELECT writes FROM graphai_writes WHERE thread = ?1 AND checkpoint = ?2 AND task = ?3";
pub(super) const INSERT_WRITES: &str =
    "INSERT INTO graphai_writes (thread, checkpoint, task, writes) VALUES (?1, ?2, ?3, ?4)";
pub(super) const SELECT_HISTORY: &str = "SELECT id, parent, step, node, created_at, metadata \
     FROM graphai_checkpoints WHERE thread = ?1 ORDER BY seq DESC";

/// Maps a driver error during `operation` to [`StoreError::Backend`].
pub(super) fn backend(
    operation: impl FnOnce() -> String,
) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| StoreError::Backend {
        store: STORE,
        operation: operation(),
        source: Box::new(e),
    }
}

/// Reads one column; a value of the wrong type is corruption of that field.
pub(super) fn column<T: rusqlite::types::FromSql>(
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
pub(super) fn read_row(r: &rusqlite::Row<'_>, thread: &str) -> Result<Row, StoreError> {
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

pub(super) fn query_rows(
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

pub(super) fn load(conn: &Connection, thread: &str, id: &str) -> Result<Option<Row>, StoreError> {
    let operation = || format!("read checkpoint `{id}` of thread `{thread}`");
    Ok(query_rows(conn, SELECT_CHECKPOINT, [thread, id], thread, operation)?.pop())
}

/// The outcome of writing `row` where the thread already holds `stored` under its id.
pub(super) fn retried(thread: &str, stored: &Row, row: &Row) -> Result<PutOutcome, StoreError> {
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

pub(super) fn put_on(
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

pub(super) fn put_writes_on(
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

pub(super) fn chain_on(
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

pub(super) fn history_on(
    conn: &mut Connection,
    thread: &str,
) -> Result<Vec<HistoryEntry>, StoreError> {
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

pub(super) fn delete_on(conn: &mut Connection, thread: &str) -> Result<bool, StoreError> {
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

pub(super) fn threads_on(conn: &mut Connection) -> Result<Vec<String>, StoreError> {
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
