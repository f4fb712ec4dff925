//! The conformance suite every [`CheckpointStore`] must pass (feature `testing`).
//!
//! graphai runs it against `MemoryStore`, `SqliteStore` and `PostgresStore`; the author of
//! another store runs it against theirs:
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use graphai::checkpoint::{MemoryStore, testing};
//!
//! testing::conformance(Arc::new(MemoryStore::new())).await;
//! # });
//! ```
//!
//! Each check panics with a message naming the rule it found broken. The suite's threads
//! are named with a prefix unique to the call, so it can run against a database that other
//! tests (or earlier runs) share, and it leaves nothing behind.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value, json};

use super::{Checkpoint, CheckpointStore, PutOutcome, StoreError};

mod threads;
mod values;
mod writes;

/// Checks every rule of the [`CheckpointStore`] contract against `store`.
///
/// # Panics
/// When `store` breaks a rule (or fails an operation that must succeed), naming the rule.
pub async fn conformance(store: Arc<dyn CheckpointStore>) {
    let s = &*store;
    let p = &unique_prefix();
    writes::missing_threads_read_as_nothing(s, p).await;
    writes::the_first_write_creates_the_thread(s, p).await;
    writes::a_write_must_expect_the_current_head(s, p).await;
    writes::a_retried_write_is_stored_once(s, p).await;
    writes::an_id_cannot_be_reused_for_other_content(s, p).await;
    writes::a_parent_must_exist(s, p).await;
    writes::racing_writers_one_wins(s, p).await;
    writes::racing_creators_one_wins(s, p).await;
    threads::the_chain_runs_root_first_in_one_read(s, p).await;
    threads::a_fork_continues_from_an_earlier_checkpoint(s, p).await;
    threads::pending_writes_are_saved_once_per_task(s, p).await;
    threads::history_is_newest_first(s, p).await;
    threads::delete_removes_everything_of_one_thread(s, p).await;
    threads::threads_are_isolated(s, p).await;
    values::large_values_round_trip(s, p).await;
    values::unicode_round_trips_with_key_order(s, p).await;
    values::bad_input_is_refused_and_stores_nothing(s, p).await;
    values::cleanup(s, p).await;
}

/// Checks that two handles on one database (two processes, say) see each other's writes
/// and that their racing writes to one thread let exactly one win.
///
/// # Panics
/// When a rule is broken, naming it.
pub async fn shared_database(a: Arc<dyn CheckpointStore>, b: Arc<dyn CheckpointStore>) {
    let p = &unique_prefix();
    let thread = format!("{p}shared");
    let root = step_of(&Checkpoint::new(&thread, "c0"), "c0");
    put_ok(&*a, &root, None).await;
    assert_eq!(
        b.latest(&thread).await.expect("latest").as_ref(),
        Some(&root),
        "a checkpoint written through one handle must be read through another"
    );
    for round in 0..5 {
        let head = a.latest(&thread).await.expect("latest").expect("head");
        let from_a = step_of(&head, &format!("a{round}"));
        let from_b = step_of(&head, &format!("b{round}"));
        let (ra, rb) = futures::join!(
            a.put(&from_a, Some(&head.id)),
            b.put(&from_b, Some(&head.id))
        );
        let winner = match (&ra, &rb) {
            (Ok(PutOutcome::Stored), Err(StoreError::Conflict { .. })) => &from_a.id,
            (Err(StoreError::Conflict { .. }), Ok(PutOutcome::Stored)) => &from_b.id,
            _ => panic!(
                "two handles racing to continue `{}`: exactly one must win and the other get \
                 a Conflict, got {ra:?} and {rb:?}",
                head.id
            ),
        };
        for store in [&a, &b] {
            let latest = store.latest(&thread).await.expect("latest").expect("head");
            assert_eq!(
                &latest.id, winner,
                "both handles must see the winner as the head"
            );
        }
    }
    assert!(b.delete_thread(&thread).await.expect("delete"));
    assert_eq!(a.latest(&thread).await.expect("latest"), None);
}

/// `GRAPHAI_TEST_POSTGRES_URL`, for graphai's own PostgreSQL tests: `None` (with a note on
/// stderr) when it is unset on a developer machine; a panic when it is unset and `CI` is
/// set, since CI must start a server (`scripts/pg-test-server.sh`).
#[doc(hidden)]
pub fn postgres_url_for_tests(test: &str) -> Option<String> {
    const VAR: &str = "GRAPHAI_TEST_POSTGRES_URL";
    match std::env::var(VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false") => panic!(
            "{test}: {VAR} is not set, but CI is: .ci/run must start PostgreSQL with \
             `scripts/pg-test-server.sh start` and export the URL it prints"
        ),
        _ => {
            eprintln!(
                "skipped {test}: no PostgreSQL server ({VAR} is not set; \
                 `eval \"$(scripts/pg-test-server.sh start)\"` starts one)"
            );
            None
        }
    }
}

fn unique_prefix() -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    format!("conformance-{}-{nanos}-{call}/", std::process::id())
}

/// A checkpoint continuing `parent` (a root if `parent.id == id`) with content that names it.
pub(super) fn step_of(parent: &Checkpoint, id: &str) -> Checkpoint {
    let mut c = if parent.id == id {
        parent.clone()
    } else {
        parent.child(id)
    };
    c.node = Some(format!("node-of-{id}"));
    c.fingerprint = "shape-1".into();
    c.delta = json!({ "written_by": id, "values": [1, 2.5, "three", null, true] });
    c.position = json!({ "next": [format!("after-{id}")], "steps": c.step });
    c.metadata = kind("step");
    c
}

pub(super) fn kind(kind: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("kind".into(), json!(kind));
    m
}

/// A thread of `ids.len()` checkpoints, each continuing the one before.
pub(super) async fn linear(s: &dyn CheckpointStore, thread: &str, ids: &[&str]) -> Vec<Checkpoint> {
    let mut out: Vec<Checkpoint> = Vec::new();
    for id in ids {
        let c = match out.last() {
            Some(parent) => step_of(parent, id),
            None => step_of(&Checkpoint::new(thread, *id), id),
        };
        put_ok(s, &c, out.last().map(|p| p.id.as_str())).await;
        out.push(c);
    }
    out
}

pub(super) async fn put_ok(s: &dyn CheckpointStore, c: &Checkpoint, expected: Option<&str>) {
    match s.put(c, expected).await {
        Ok(PutOutcome::Stored) => {}
        other => panic!(
            "writing checkpoint `{}` of `{}` expecting head {expected:?} must store it, got \
             {other:?}",
            c.id, c.thread
        ),
    }
}

pub(super) async fn head_of(s: &dyn CheckpointStore, thread: &str) -> Option<String> {
    s.latest(thread).await.expect("latest").map(|c| c.id)
}

pub(super) fn assert_conflict<T: std::fmt::Debug>(
    result: Result<T, StoreError>,
    thread: &str,
    expected: Option<&str>,
    found: Option<&str>,
    rule: &str,
) {
    match result {
        Err(StoreError::Conflict {
            thread: t,
            expected: e,
            found: f,
        }) => assert_eq!(
            (t.as_str(), e.as_deref(), f.as_deref()),
            (thread, expected, found),
            "{rule}: the Conflict must name the thread, the head expected and the head found"
        ),
        other => panic!("{rule}: expected a Conflict, got {other:?}"),
    }
}
