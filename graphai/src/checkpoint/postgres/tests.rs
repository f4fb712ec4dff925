//! PostgreSQL-specific behaviour: connecting, corrupt rows, schema versions. The rules every
//! store shares are checked by the conformance suite (`tests/checkpoint_stores.rs`).
//!
//! Tests that need a server read `GRAPHAI_TEST_POSTGRES_URL` (`scripts/pg-test-server.sh`);
//! without it they skip and say so, except under `CI`, where they fail.

use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::checkpoint::testing::postgres_url_for_tests;

/// A guard against a hang: every connect below must return well within this.
const NO_HANG: Duration = Duration::from_secs(20);

async fn connect_fails(url: &str, timeout: Duration) -> (String, Duration) {
    let started = Instant::now();
    let options = PostgresOptions::default().connect_timeout(timeout);
    let result = tokio::time::timeout(NO_HANG, PostgresStore::connect_with(url, &options))
        .await
        .unwrap_or_else(|_| panic!("connecting to {url} hung past {NO_HANG:?}"));
    let e = result.expect_err("the connection must fail");
    assert!(
        matches!(e, StoreError::Open { .. }),
        "expected Open, got {e:?}"
    );
    (e.to_string(), started.elapsed())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[tokio::test]
async fn a_closed_port_fails_at_once_saying_so_without_the_password() {
    let port = free_port();
    let url = format!("postgres://app:hunter2@127.0.0.1:{port}/runs");
    let (text, _) = connect_fails(&url, Duration::from_secs(5)).await;
    assert!(
        text.starts_with(&format!(
            "cannot open the PostgreSQL checkpoint store at postgres://app:***@127.0.0.1:{port}/runs: cannot connect ("
        )),
        "{text}"
    );
    assert!(text.contains("Connection refused"), "{text}");
    assert!(
        text.ends_with(
            "check that PostgreSQL is running at that address and that the user, password and \
             database are right"
        ),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "the password leaked: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_fails_within_the_connect_timeout() {
    // Accepts connections and says nothing: the TCP connect succeeds, the handshake never
    // completes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let url = format!("postgres://app@127.0.0.1:{port}/runs");
    let (text, took) = connect_fails(&url, Duration::from_millis(300)).await;
    silent.abort();
    assert_eq!(
        text,
        format!(
            "cannot open the PostgreSQL checkpoint store at {url}: the server did not answer \
             within 300ms; check that PostgreSQL is running and reachable at that address, or \
             raise `PostgresOptions::connect_timeout`"
        )
    );
    assert!(
        took < Duration::from_secs(10),
        "gave up after {took:?}, not about 300ms"
    );
}

#[tokio::test]
async fn a_malformed_url_is_refused_before_connecting() {
    let (text, _) =
        connect_fails("postgres://app:pw@host:notaport/db", Duration::from_secs(1)).await;
    assert!(
        text.starts_with(
            "cannot open the PostgreSQL checkpoint store at postgres://app:***@host:notaport/db: \
             it is not a PostgreSQL connection URL ("
        ),
        "{text}"
    );
    assert!(
        text.ends_with("write it as postgres://user:password@host:port/database"),
        "{text}"
    );
}

/// `url` with every unqualified table in `schema` (created if missing), so a test can own a
/// fresh database inside the shared one.
async fn in_schema(url: &str, schema: &str) -> String {
    raw(
        url,
        &format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"),
    )
    .await;
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}options=-csearch_path%3D{schema}")
    } else {
        format!("{url} options='-csearch_path={schema}'")
    }
}

async fn raw(url: &str, sql: &str) {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .expect("raw connect");
    let running = tokio::spawn(connection);
    client.batch_execute(sql).await.expect("raw SQL");
    drop(client);
    let _ = running.await;
}

fn schema_name(test: &str) -> String {
    format!("graphai_{test}_{}", std::process::id())
}

#[tokio::test]
async fn a_database_from_a_newer_graphai_is_refused() {
    let Some(base) = postgres_url_for_tests("a_database_from_a_newer_graphai_is_refused") else {
        return;
    };
    let schema = schema_name("future");
    let url = in_schema(&base, &schema).await;
    drop(
        PostgresStore::connect(&url)
            .await
            .expect("first connect migrates"),
    );
    raw(
        &url,
        "INSERT INTO graphai_schema_migrations (version, description, applied_at) \
         VALUES (99, 'from the future', 0)",
    )
    .await;
    let e = PostgresStore::connect(&url)
        .await
        .expect_err("newer schema");
    assert!(
        e.to_string().ends_with(
            "has schema version 99, newer than the 1 this graphai knows; upgrade graphai, or \
             point it at another database"
        ),
        "{e}"
    );
    raw(&base, &format!("DROP SCHEMA {schema} CASCADE")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_connecting_at_once_migrate_a_fresh_database_once() {
    let Some(base) = postgres_url_for_tests("processes_connecting_at_once_migrate_once") else {
        return;
    };
    let schema = schema_name("fresh");
    let url = in_schema(&base, &schema).await;
    let connects = (0..4).map(|_| PostgresStore::connect(&url));
    for store in futures::future::join_all(connects).await {
        store.expect("every concurrent connect succeeds");
    }
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.expect("raw");
    tokio::spawn(connection);
    let versions: Vec<i64> = client
        .query(
            "SELECT version FROM graphai_schema_migrations ORDER BY version",
            &[],
        )
        .await
        .expect("versions")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let all: Vec<i64> = (1..=migrations::latest(MIGRATIONS)).collect();
    assert_eq!(versions, all, "each migration applied once");
    drop(client);
    raw(&base, &format!("DROP SCHEMA {schema} CASCADE")).await;
}

#[tokio::test]
async fn a_corrupt_row_is_an_error_naming_thread_and_checkpoint() {
    let Some(url) =
        postgres_url_for_tests("a_corrupt_row_is_an_error_naming_thread_and_checkpoint")
    else {
        return;
    };
    let store = PostgresStore::connect(&url).await.expect("connect");
    let thread = format!("corrupt-{}-{}", std::process::id(), now_ms());
    let root = Checkpoint::new(&thread, "c0");
    store.put(&root, None).await.expect("c0");
    let mut c1 = root.child("c1");
    c1.delta = json!({ "reply": "hi" });
    store.put(&c1, Some("c0")).await.expect("c1");
    store
        .put_writes(&thread, "c1", "task", &json!(1))
        .await
        .expect("writes");

    let quoted = thread.replace('\'', "''");
    raw(
        &url,
        &format!("UPDATE graphai_checkpoints SET delta = '{{\"reply\": tru' WHERE thread = '{quoted}' AND id = 'c1'"),
    )
    .await;
    let corrupt = |result: Result<Option<Checkpoint>, StoreError>, field: &str| match result {
        Err(StoreError::Corrupt {
            thread: t,
            checkpoint,
            field: f,
            message,
        }) => {
            assert_eq!(
                (t.as_str(), checkpoint.as_str(), f),
                (thread.as_str(), "c1", field)
            );
            assert!(message.starts_with("EOF while parsing"), "{message}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    };
    corrupt(store.get(&thread, "c1").await, "delta");
    corrupt(store.latest(&thread).await, "delta");
    assert!(
        matches!(
            store.chain(&thread, None).await,
            Err(StoreError::Corrupt { field: "delta", .. })
        ),
        "the chain through a corrupt checkpoint is an error"
    );

    raw(
        &url,
        &format!(
            "UPDATE graphai_writes SET writes = 'nope' WHERE thread = '{quoted}'; \
                  UPDATE graphai_checkpoints SET delta = '{{}}' WHERE thread = '{quoted}'"
        ),
    )
    .await;
    assert!(
        matches!(
            store.chain(&thread, None).await,
            Err(StoreError::Corrupt {
                field: "pending writes",
                ..
            })
        ),
        "corrupt pending writes are an error"
    );
    raw(
        &url,
        &format!("DELETE FROM graphai_checkpoints WHERE thread = '{quoted}' AND id = 'c0'"),
    )
    .await;
    match store.chain(&thread, None).await {
        Err(StoreError::Corrupt {
            checkpoint,
            field: "parent",
            message,
            ..
        }) => {
            assert_eq!(checkpoint, "c1");
            assert_eq!(message, "its parent `c0` is missing from the thread");
        }
        other => panic!("a broken chain must be Corrupt, got {other:?}"),
    }
    assert!(store.delete_thread(&thread).await.expect("delete"));
}
