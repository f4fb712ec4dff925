//! What one checkpoint write costs in each store, beside a hand-written floor.
//!
//! Writes a thread of small, realistic checkpoints (one chat message of delta, a one-node
//! position) one after another, as the executor does in its default durability mode, and
//! prints the mean cost of one `put` in microseconds, then the cost of reading the whole
//! chain back (what a resume reads). The floors do the same work by hand: serializing the
//! checkpoint (the least any durable store must do), and the same SQL run directly on one
//! connection, without the store's thread hop or pool.
//!
//! ```text
//! cargo run --release --example store_cost                     # memory and SQLite
//! eval "$(scripts/pg-test-server.sh start)"
//! cargo run --release --features postgres --example store_cost # and PostgreSQL
//! ```
//!
//! `STORE_COST_PUTS` sets how many checkpoints each store writes (2000 by default).

use std::time::{Duration, Instant};

use graphai::checkpoint::{
    Checkpoint, CheckpointStore, MemoryStore, SqliteOptions, SqliteStore, Synchronous,
};
use graphai::json;

fn checkpoints(thread: &str, n: usize) -> Vec<Checkpoint> {
    let mut out: Vec<Checkpoint> = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("{i:08}");
        let mut c = match out.last() {
            Some(parent) => parent.child(id),
            None => Checkpoint::new(thread, id),
        };
        c.node = Some("agent".into());
        c.fingerprint = "9f86d081884c7d65".into();
        c.delta = json!({ "messages": [{
            "role": if i % 2 == 0 { "user" } else { "assistant" },
            "content": format!("turn {i}: a reply of about the length a chat model gives in \
                one short answer, a sentence or two, nothing more than that, really."),
        }]});
        c.position =
            json!({ "frontier": [{ "node": "agent", "steps": i, "branch": null }], "joins": {} });
        c.metadata.insert("kind".into(), json!("step"));
        out.push(c);
    }
    out
}

struct Measured {
    name: &'static str,
    put: Duration,
    chain: Option<Duration>,
}

async fn measure(name: &'static str, store: &dyn CheckpointStore, n: usize) -> Measured {
    let thread = format!(
        "store-cost-{}-{}",
        std::process::id(),
        name.replace(' ', "-")
    );
    store.delete_thread(&thread).await.expect("delete");
    let cs = checkpoints(&thread, n);
    let started = Instant::now();
    let mut head: Option<&str> = None;
    for c in &cs {
        store.put(c, head).await.expect("put");
        head = Some(&c.id);
    }
    let put = started.elapsed() / n as u32;
    let started = Instant::now();
    let chain = store
        .chain(&thread, None)
        .await
        .expect("chain")
        .expect("exists");
    let chain_time = started.elapsed();
    assert_eq!(chain.checkpoints.len(), n);
    store.delete_thread(&thread).await.expect("delete");
    Measured {
        name,
        put,
        chain: Some(chain_time),
    }
}

fn floor_serialize(n: usize) -> Measured {
    let cs = checkpoints("floor", n);
    let started = Instant::now();
    let mut bytes = 0;
    for c in &cs {
        bytes += serde_json::to_string(&c.delta).expect("json").len()
            + serde_json::to_string(&c.position).expect("json").len()
            + serde_json::to_string(&c.metadata).expect("json").len();
    }
    std::hint::black_box(bytes);
    Measured {
        name: "floor: serialize only",
        put: started.elapsed() / n as u32,
        chain: None,
    }
}

/// The SQLite store's write by hand: the same statements in one `BEGIN IMMEDIATE`
/// transaction, on the calling thread.
fn floor_sqlite(path: &std::path::Path, n: usize) -> Measured {
    let mut conn = rusqlite::Connection::open(path).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "NORMAL")
        .expect("sync");
    conn.execute_batch(
        "CREATE TABLE threads (thread TEXT PRIMARY KEY NOT NULL, head TEXT NOT NULL) WITHOUT ROWID;
         CREATE TABLE checkpoints (seq INTEGER PRIMARY KEY, thread TEXT NOT NULL, id TEXT NOT NULL,
           parent TEXT, step INTEGER NOT NULL, node TEXT, created_at INTEGER NOT NULL,
           fingerprint TEXT NOT NULL, delta TEXT NOT NULL, position TEXT NOT NULL,
           metadata TEXT NOT NULL, UNIQUE (thread, id));",
    )
    .expect("schema");
    let cs = checkpoints("floor", n);
    let started = Instant::now();
    for c in &cs {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .expect("begin");
        let head: Option<String> = tx
            .prepare_cached("SELECT head FROM threads WHERE thread = ?1")
            .and_then(|mut s| {
                use rusqlite::OptionalExtension;
                s.query_row([&c.thread], |r| r.get(0)).optional()
            })
            .expect("head");
        assert_eq!(head.as_deref(), c.parent.as_deref());
        if let Some(parent) = &c.parent {
            let found = tx
                .prepare_cached("SELECT 1 FROM checkpoints WHERE thread = ?1 AND id = ?2")
                .and_then(|mut s| s.exists([&c.thread, parent]))
                .expect("parent");
            assert!(found);
        }
        tx.prepare_cached(
            "INSERT INTO checkpoints (thread, id, parent, step, node, created_at, fingerprint, \
             delta, position, metadata) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .and_then(|mut s| {
            s.execute(rusqlite::params![
                c.thread,
                c.id,
                c.parent,
                c.step as i64,
                c.node,
                c.created_at as i64,
                c.fingerprint,
                serde_json::to_string(&c.delta).expect("json"),
                serde_json::to_string(&c.position).expect("json"),
                serde_json::to_string(&c.metadata).expect("json"),
            ])
        })
        .expect("insert");
        tx.prepare_cached(
            "INSERT INTO threads (thread, head) VALUES (?1, ?2) \
             ON CONFLICT (thread) DO UPDATE SET head = excluded.head",
        )
        .and_then(|mut s| s.execute([&c.thread, &c.id]))
        .expect("head");
        tx.commit().expect("commit");
    }
    Measured {
        name: "floor: SQLite by hand, same thread",
        put: started.elapsed() / n as u32,
        chain: None,
    }
}

fn print(rows: &[Measured], floor: Duration) {
    println!(
        "{:<38} {:>10} {:>10} {:>14}",
        "store", "put (µs)", "× floor", "chain read (ms)"
    );
    for m in rows {
        let chain = m
            .chain
            .map_or("-".to_string(), |d| format!("{:.2}", d.as_secs_f64() * 1e3));
        println!(
            "{:<38} {:>10.2} {:>10.1} {:>14}",
            m.name,
            m.put.as_secs_f64() * 1e6,
            m.put.as_secs_f64() / floor.as_secs_f64(),
            chain
        );
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Honour the variables like every example, but only when they are set:
    // the figures are meant to have no subscriber at all.
    if ["GRAPHAI_LOG_LEVEL", "RUST_LOG"]
        .iter()
        .any(|name| std::env::var_os(name).is_some())
    {
        graphai::logging::init();
    }
    let n: usize = std::env::var("STORE_COST_PUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let dir = tempfile::tempdir()?;
    println!("{n} sequential puts per store, one thread each; the chain read is all {n}.\n");

    let floor = floor_serialize(n);
    let floor_time = floor.put;
    let mut rows = vec![floor, floor_sqlite(&dir.path().join("floor.db"), n)];
    rows.push(measure("MemoryStore", &MemoryStore::new(), n).await);
    rows.push(measure("SqliteStore in memory", &SqliteStore::memory()?, n).await);
    let normal = SqliteStore::open(dir.path().join("normal.db"))?;
    rows.push(measure("SqliteStore file, synchronous=NORMAL", &normal, n).await);
    let full = SqliteStore::open_with(
        dir.path().join("full.db"),
        &SqliteOptions::default().synchronous(Synchronous::Full),
    )?;
    rows.push(measure("SqliteStore file, synchronous=FULL", &full, n).await);
    #[cfg(feature = "postgres")]
    postgres(&mut rows, n).await?;
    print(&rows, floor_time);
    Ok(())
}

#[cfg(feature = "postgres")]
async fn postgres(rows: &mut Vec<Measured>, n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let Ok(url) = std::env::var("GRAPHAI_TEST_POSTGRES_URL") else {
        println!("(PostgreSQL skipped: GRAPHAI_TEST_POSTGRES_URL is not set)\n");
        return Ok(());
    };
    let store = graphai::checkpoint::PostgresStore::connect(&url).await?;
    rows.push(measure("PostgresStore", &store, n).await);
    rows.push(floor_postgres(&url, n).await?);
    Ok(())
}

/// One prepared `INSERT` per checkpoint on one connection: a round trip and a commit, the
/// least a conditional write to a server can cost.
#[cfg(feature = "postgres")]
async fn floor_postgres(url: &str, n: usize) -> Result<Measured, Box<dyn std::error::Error>> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    client
        .batch_execute(
            // A logged table, as the store's: a temporary one skips the WAL flush at commit.
            "DROP TABLE IF EXISTS floor_checkpoints; CREATE TABLE floor_checkpoints (thread TEXT NOT NULL, id TEXT NOT NULL, \
             parent TEXT, step BIGINT NOT NULL, delta TEXT NOT NULL, position TEXT NOT NULL, \
             metadata TEXT NOT NULL, PRIMARY KEY (thread, id))",
        )
        .await?;
    let insert = client
        .prepare(
            "INSERT INTO floor_checkpoints (thread, id, parent, step, delta, position, metadata) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .await?;
    let cs = checkpoints("floor", n);
    let started = Instant::now();
    for c in &cs {
        client
            .execute(
                &insert,
                &[
                    &c.thread,
                    &c.id,
                    &c.parent,
                    &(c.step as i64),
                    &serde_json::to_string(&c.delta)?,
                    &serde_json::to_string(&c.position)?,
                    &serde_json::to_string(&c.metadata)?,
                ],
            )
            .await?;
    }
    client.batch_execute("DROP TABLE floor_checkpoints").await?;
    Ok(Measured {
        name: "floor: PostgreSQL INSERT by hand",
        put: started.elapsed() / n as u32,
        chain: None,
    })
}
