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

use futures::future::join_all;
use serde_json::{Map, Value, json};

use super::codec::MAX_DEPTH;
use super::{Checkpoint, CheckpointStore, PendingWrite, PutOutcome, StoreError};

/// Checks every rule of the [`CheckpointStore`] contract against `store`.
///
/// # Panics
/// When `store` breaks a rule (or fails an operation that must succeed), naming the rule.
pub async fn conformance(store: Arc<dyn CheckpointStore>) {
    let s = &*store;
    let p = &unique_prefix();
    missing_threads_read_as_nothing(s, p).await;
    the_first_write_creates_the_thread(s, p).await;
    a_write_must_expect_the_current_head(s, p).await;
    a_retried_write_is_stored_once(s, p).await;
    an_id_cannot_be_reused_for_other_content(s, p).await;
    a_parent_must_exist(s, p).await;
    racing_writers_one_wins(s, p).await;
    racing_creators_one_wins(s, p).await;
    the_chain_runs_root_first_in_one_read(s, p).await;
    a_fork_continues_from_an_earlier_checkpoint(s, p).await;
    pending_writes_are_saved_once_per_task(s, p).await;
    history_is_newest_first(s, p).await;
    delete_removes_everything_of_one_thread(s, p).await;
    threads_are_isolated(s, p).await;
    large_values_round_trip(s, p).await;
    unicode_round_trips_with_key_order(s, p).await;
    bad_input_is_refused_and_stores_nothing(s, p).await;
    cleanup(s, p).await;
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
fn step_of(parent: &Checkpoint, id: &str) -> Checkpoint {
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

fn kind(kind: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("kind".into(), json!(kind));
    m
}

/// A thread of `ids.len()` checkpoints, each continuing the one before.
async fn linear(s: &dyn CheckpointStore, thread: &str, ids: &[&str]) -> Vec<Checkpoint> {
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

async fn put_ok(s: &dyn CheckpointStore, c: &Checkpoint, expected: Option<&str>) {
    match s.put(c, expected).await {
        Ok(PutOutcome::Stored) => {}
        other => panic!(
            "writing checkpoint `{}` of `{}` expecting head {expected:?} must store it, got \
             {other:?}",
            c.id, c.thread
        ),
    }
}

async fn head_of(s: &dyn CheckpointStore, thread: &str) -> Option<String> {
    s.latest(thread).await.expect("latest").map(|c| c.id)
}

fn assert_conflict<T: std::fmt::Debug>(
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

async fn missing_threads_read_as_nothing(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}missing");
    assert_eq!(
        s.latest(&t).await.expect("latest"),
        None,
        "latest of a missing thread"
    );
    assert_eq!(
        s.get(&t, "c0").await.expect("get"),
        None,
        "get in a missing thread"
    );
    assert_eq!(
        s.chain(&t, None).await.expect("chain"),
        None,
        "chain of a missing thread"
    );
    assert_eq!(
        s.chain(&t, Some("c0")).await.expect("chain"),
        None,
        "chain of a missing thread"
    );
    assert!(
        s.history(&t).await.expect("history").is_empty(),
        "history of a missing thread"
    );
    assert!(
        !s.delete_thread(&t).await.expect("delete"),
        "deleting a missing thread"
    );
    let writes = s.put_writes(&t, "c0", "task", &json!(1)).await;
    assert!(
        matches!(&writes, Err(StoreError::NotFound { thread, checkpoint }) if *thread == t && checkpoint == "c0"),
        "pending writes for a missing thread must be NotFound, got {writes:?}"
    );
}

async fn the_first_write_creates_the_thread(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}first");
    let root = step_of(&Checkpoint::new(&t, "c0"), "c0");
    put_ok(s, &root, None).await;
    assert_eq!(
        s.latest(&t).await.expect("latest"),
        Some(root.clone()),
        "latest after the first write"
    );
    assert_eq!(
        s.get(&t, "c0").await.expect("get"),
        Some(root.clone()),
        "get after the first write"
    );
    assert!(
        s.threads().await.expect("threads").contains(&t),
        "threads lists a new thread"
    );
    let again = step_of(&Checkpoint::new(&t, "other-root"), "other-root");
    assert_conflict(
        s.put(&again, None).await,
        &t,
        None,
        Some("c0"),
        "a write expecting a new thread on an existing one",
    );
    assert_eq!(
        s.get(&t, "other-root").await.expect("get"),
        None,
        "a refused write stores nothing"
    );
}

async fn a_write_must_expect_the_current_head(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}conditional");
    let cs = linear(s, &t, &["c0", "c1"]).await;
    let stale = step_of(&cs[1], "c2");
    assert_conflict(
        s.put(&stale, Some("c0")).await,
        &t,
        Some("c0"),
        Some("c1"),
        "a write expecting an old head",
    );
    assert_conflict(
        s.put(&stale, None).await,
        &t,
        None,
        Some("c1"),
        "a write expecting no thread",
    );
    assert_eq!(
        s.get(&t, "c2").await.expect("get"),
        None,
        "a conflicting write stores nothing"
    );
    assert_eq!(
        head_of(s, &t).await.as_deref(),
        Some("c1"),
        "a conflict leaves the head"
    );
    assert_eq!(
        s.history(&t).await.expect("history").len(),
        2,
        "a conflict adds no history"
    );
    put_ok(s, &stale, Some("c1")).await;
    assert_eq!(
        head_of(s, &t).await.as_deref(),
        Some("c2"),
        "a write moves the head"
    );
}

async fn a_retried_write_is_stored_once(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}retry");
    let cs = linear(s, &t, &["c0", "c1"]).await;
    let retry = s.put(&cs[1], Some("c0")).await;
    assert_eq!(
        retry.ok(),
        Some(PutOutcome::AlreadyStored),
        "the same write again (its reply lost) must succeed as AlreadyStored"
    );
    let mut later = cs[1].clone();
    later.created_at += 5_000;
    assert_eq!(
        s.put(&later, Some("c1")).await.ok(),
        Some(PutOutcome::AlreadyStored),
        "a retry rebuilt a moment later (another created_at) is the same write"
    );
    assert_eq!(
        s.put(&cs[0], None).await.ok(),
        Some(PutOutcome::AlreadyStored),
        "retrying the thread's first write after the thread moved on"
    );
    assert_eq!(
        s.history(&t).await.expect("history").len(),
        2,
        "retries store nothing twice"
    );
    assert_eq!(
        head_of(s, &t).await.as_deref(),
        Some("c1"),
        "retries do not move the head"
    );
    assert_eq!(
        s.get(&t, "c1").await.expect("get"),
        Some(cs[1].clone()),
        "a retry keeps the first write (and its time)"
    );
}

async fn an_id_cannot_be_reused_for_other_content(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}mismatch");
    let cs = linear(s, &t, &["c0", "c1"]).await;
    let mut other = cs[1].clone();
    other.delta = json!({ "written_by": "someone else" });
    for expected in [Some("c0"), Some("c1")] {
        let result = s.put(&other, expected).await;
        assert!(
            matches!(&result, Err(StoreError::Mismatch { thread, checkpoint, task: None }) if *thread == t && checkpoint == "c1"),
            "the same id with other content (expecting {expected:?}) must be a Mismatch, got \
             {result:?}"
        );
    }
    let mut older = cs[0].clone();
    older.metadata = kind("input");
    let result = s.put(&older, Some("c1")).await;
    assert!(
        matches!(&result, Err(StoreError::Mismatch { checkpoint, .. }) if checkpoint == "c0"),
        "reusing an older checkpoint's id with other content must be a Mismatch, got {result:?}"
    );
    assert_eq!(
        s.get(&t, "c1").await.expect("get"),
        Some(cs[1].clone()),
        "a Mismatch changes nothing"
    );
}

async fn a_parent_must_exist(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}parent");
    let cs = linear(s, &t, &["c0"]).await;
    let mut orphan = step_of(&cs[0], "c1");
    orphan.parent = Some("nowhere".into());
    let result = s.put(&orphan, Some("c0")).await;
    assert!(
        matches!(&result, Err(StoreError::NotFound { thread, checkpoint }) if *thread == t && checkpoint == "nowhere"),
        "a parent not in the thread must be NotFound, got {result:?}"
    );
    let other = format!("{p}parent-elsewhere");
    linear(s, &other, &["elsewhere"]).await;
    orphan.parent = Some("elsewhere".into());
    let result = s.put(&orphan, Some("c0")).await;
    assert!(
        matches!(&result, Err(StoreError::NotFound { .. })),
        "a parent in another thread is not a parent, got {result:?}"
    );
    assert_eq!(
        head_of(s, &t).await.as_deref(),
        Some("c0"),
        "a refused write leaves the head"
    );
    let rootless = step_of(&Checkpoint::new(&t, "c1"), "c1");
    let new_thread_with_parent = Checkpoint {
        thread: format!("{p}parent-new"),
        parent: Some("c0".into()),
        ..rootless
    };
    let result = s.put(&new_thread_with_parent, None).await;
    assert!(
        matches!(&result, Err(StoreError::NotFound { .. })),
        "a new thread's first checkpoint cannot have a parent, got {result:?}"
    );
}

async fn racing_writers_one_wins(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}race");
    let cs = linear(s, &t, &["c0"]).await;
    let candidates: Vec<Checkpoint> = (0..8).map(|i| step_of(&cs[0], &format!("r{i}"))).collect();
    let results = join_all(candidates.iter().map(|c| s.put(c, Some("c0")))).await;
    let winners: Vec<&Checkpoint> = candidates
        .iter()
        .zip(&results)
        .filter(|(_, r)| matches!(r, Ok(PutOutcome::Stored)))
        .map(|(c, _)| c)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "8 writers continuing one head: exactly one wins, got {results:?}"
    );
    let winner = &winners[0].id;
    for (c, r) in candidates.iter().zip(&results) {
        if &c.id != winner {
            assert_conflict(
                r.as_ref().map(|_| ()).map_err(clone_conflict),
                &t,
                Some("c0"),
                Some(winner),
                "a writer that lost the race",
            );
            assert_eq!(
                s.get(&t, &c.id).await.expect("get"),
                None,
                "a losing write stores nothing"
            );
        }
    }
    assert_eq!(
        head_of(s, &t).await.as_ref(),
        Some(winner),
        "the winner is the head"
    );
    assert_eq!(
        s.history(&t).await.expect("history").len(),
        2,
        "only the winner is stored"
    );
}

async fn racing_creators_one_wins(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}race-new");
    let candidates: Vec<Checkpoint> = (0..8)
        .map(|i| {
            let id = format!("root{i}");
            step_of(&Checkpoint::new(&t, &id), &id)
        })
        .collect();
    let results = join_all(candidates.iter().map(|c| s.put(c, None))).await;
    let won = results
        .iter()
        .filter(|r| matches!(r, Ok(PutOutcome::Stored)))
        .count();
    let lost = results
        .iter()
        .filter(|r| matches!(r, Err(StoreError::Conflict { expected: None, .. })))
        .count();
    assert_eq!(
        (won, lost),
        (1, 7),
        "8 writers creating one thread: one wins, 7 conflict: {results:?}"
    );
    assert_eq!(
        s.history(&t).await.expect("history").len(),
        1,
        "only the winner is stored"
    );
}

fn clone_conflict(e: &StoreError) -> StoreError {
    match e {
        StoreError::Conflict {
            thread,
            expected,
            found,
        } => StoreError::Conflict {
            thread: thread.clone(),
            expected: expected.clone(),
            found: found.clone(),
        },
        other => panic!("a writer that lost the race must get a Conflict, got {other:?}"),
    }
}

async fn the_chain_runs_root_first_in_one_read(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}chain");
    let cs = linear(s, &t, &["c0", "c1", "c2", "c3", "c4"]).await;
    let chain = s
        .chain(&t, None)
        .await
        .expect("chain")
        .expect("the thread exists");
    assert_eq!(chain.head, "c4", "the chain carries the head");
    assert_eq!(
        chain.checkpoints, cs,
        "the chain to the head: every checkpoint, root first, whole"
    );
    assert_eq!(chain.last().id, "c4");
    assert!(chain.writes.is_empty(), "no pending writes were saved");
    let mid = s
        .chain(&t, Some("c2"))
        .await
        .expect("chain")
        .expect("c2 exists");
    assert_eq!(mid.checkpoints, cs[..3], "the chain to c2 stops at c2");
    assert_eq!(
        mid.head, "c4",
        "a chain to an earlier checkpoint still carries the head"
    );
    assert_eq!(
        s.chain(&t, Some("c9")).await.expect("chain"),
        None,
        "a chain to a missing checkpoint"
    );
}

async fn a_fork_continues_from_an_earlier_checkpoint(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}fork");
    let cs = linear(s, &t, &["c0", "c1", "c2", "c3"]).await;
    let fork = step_of(&cs[1], "f2");
    assert_conflict(
        s.put(&fork, Some("c1")).await,
        &t,
        Some("c1"),
        Some("c3"),
        "a fork expects the current head, not its parent",
    );
    put_ok(s, &fork, Some("c3")).await;
    assert_eq!(
        head_of(s, &t).await.as_deref(),
        Some("f2"),
        "the fork is the new head"
    );
    let chain = s.chain(&t, None).await.expect("chain").expect("exists");
    let ids: Vec<&str> = chain.checkpoints.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        ["c0", "c1", "f2"],
        "the chain of a fork goes through its parent"
    );
    let old = s
        .chain(&t, Some("c3"))
        .await
        .expect("chain")
        .expect("exists");
    assert_eq!(
        old.checkpoints, cs,
        "the abandoned branch is still readable"
    );
    let f3 = step_of(&fork, "f3");
    put_ok(s, &f3, Some("f2")).await;
    let chain = s.chain(&t, None).await.expect("chain").expect("exists");
    assert_eq!(
        chain.checkpoints,
        [cs[0].clone(), cs[1].clone(), fork, f3],
        "the fork grows"
    );
}

async fn pending_writes_are_saved_once_per_task(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}writes");
    let cs = linear(s, &t, &["c0", "c1"]).await;
    let zeta = json!({ "summary": "from zeta", "n": [1, 2, 3] });
    let put = |task: &'static str, v: &Value| {
        let v = v.clone();
        let t = t.clone();
        async move { s.put_writes(&t, "c1", task, &v).await }
    };
    assert_eq!(
        put("zeta", &zeta).await.ok(),
        Some(PutOutcome::Stored),
        "first writes of a task"
    );
    assert_eq!(
        put("zeta", &zeta).await.ok(),
        Some(PutOutcome::AlreadyStored),
        "the same writes again (a retry) are stored once"
    );
    let result = put("zeta", &json!({ "summary": "different" })).await;
    assert!(
        matches!(&result, Err(StoreError::Mismatch { task: Some(task), checkpoint, .. }) if task == "zeta" && checkpoint == "c1"),
        "a task's writes with other content must be a Mismatch, got {result:?}"
    );
    put("alpha", &json!("alpha's")).await.expect("second task");
    put("mid", &json!(null)).await.expect("third task");
    let chain = s
        .chain(&t, Some("c1"))
        .await
        .expect("chain")
        .expect("exists");
    assert_eq!(
        chain.writes,
        [
            PendingWrite {
                task: "zeta".into(),
                writes: zeta.clone()
            },
            PendingWrite {
                task: "alpha".into(),
                writes: json!("alpha's")
            },
            PendingWrite {
                task: "mid".into(),
                writes: json!(null)
            },
        ],
        "a chain carries its last checkpoint's writes, in the order saved"
    );
    assert!(
        s.chain(&t, Some("c0"))
            .await
            .expect("chain")
            .expect("exists")
            .writes
            .is_empty(),
        "writes belong to one checkpoint"
    );
    let c2 = step_of(&cs[1], "c2");
    put_ok(s, &c2, Some("c1")).await;
    assert!(
        s.chain(&t, None)
            .await
            .expect("chain")
            .expect("exists")
            .writes
            .is_empty(),
        "a child does not inherit its parent's writes"
    );
    let result = s.put_writes(&t, "c9", "zeta", &zeta).await;
    assert!(
        matches!(&result, Err(StoreError::NotFound { checkpoint, .. }) if checkpoint == "c9"),
        "writes for a missing checkpoint must be NotFound, got {result:?}"
    );
}

async fn history_is_newest_first(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}history");
    let cs = linear(s, &t, &["c0", "c1", "c2"]).await;
    let fork = step_of(&cs[0], "f1");
    put_ok(s, &fork, Some("c2")).await;
    let history = s.history(&t).await.expect("history");
    let ids: Vec<&str> = history.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(
        ids,
        ["f1", "c2", "c1", "c0"],
        "history lists checkpoints newest (last written) first"
    );
    let entry = &history[1];
    assert_eq!(
        (
            entry.parent.as_deref(),
            entry.step,
            entry.node.as_deref(),
            entry.created_at,
            &entry.metadata
        ),
        (
            Some("c1"),
            cs[2].step,
            Some("node-of-c2"),
            cs[2].created_at,
            &cs[2].metadata
        ),
        "a history entry carries the checkpoint's parent, step, node, time and metadata"
    );
    assert_eq!(
        history[0].parent.as_deref(),
        Some("c0"),
        "a fork's entry names its parent"
    );
}

async fn delete_removes_everything_of_one_thread(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}delete");
    let keep = format!("{p}delete-keep");
    let cs = linear(s, &t, &["c0", "c1"]).await;
    let kept = linear(s, &keep, &["c0", "c1"]).await;
    s.put_writes(&t, "c1", "task", &json!("gone"))
        .await
        .expect("writes");
    s.put_writes(&keep, "c1", "task", &json!("kept"))
        .await
        .expect("writes");
    assert!(
        s.delete_thread(&t).await.expect("delete"),
        "deleting an existing thread"
    );
    assert_eq!(
        s.latest(&t).await.expect("latest"),
        None,
        "a deleted thread has no head"
    );
    assert_eq!(
        s.get(&t, "c0").await.expect("get"),
        None,
        "a deleted thread has no checkpoints"
    );
    assert_eq!(
        s.chain(&t, None).await.expect("chain"),
        None,
        "a deleted thread has no chain"
    );
    assert!(
        s.history(&t).await.expect("history").is_empty(),
        "a deleted thread has no history"
    );
    assert!(
        !s.threads().await.expect("threads").contains(&t),
        "threads omits a deleted thread"
    );
    assert!(
        !s.delete_thread(&t).await.expect("delete"),
        "deleting it again finds nothing"
    );

    let kept_chain = s.chain(&keep, None).await.expect("chain").expect("kept");
    assert_eq!(
        kept_chain.checkpoints, kept,
        "deleting one thread leaves another whole"
    );
    assert_eq!(kept_chain.writes.len(), 1, "and its pending writes");

    put_ok(s, &cs[0], None).await;
    assert_eq!(
        s.history(&t).await.expect("history").len(),
        1,
        "a deleted thread starts afresh"
    );
    let c1 = step_of(&cs[0], "c1");
    put_ok(s, &c1, Some("c0")).await;
    assert!(
        s.chain(&t, None)
            .await
            .expect("chain")
            .expect("exists")
            .writes
            .is_empty(),
        "a deleted thread's pending writes do not come back with a reused id"
    );
}

async fn threads_are_isolated(s: &dyn CheckpointStore, p: &str) {
    let (a, b) = (format!("{p}iso-a"), format!("{p}iso-b"));
    let ca = linear(s, &a, &["c0", "c1", "c2"]).await;
    // The same ids in another thread, with other content.
    let mut cb = vec![step_of(&Checkpoint::new(&b, "c0"), "c0")];
    cb[0].delta = json!({ "thread": "b" });
    put_ok(s, &cb[0], None).await;
    let mut b1 = step_of(&cb[0], "c1");
    b1.delta = json!({ "thread": "b", "step": 1 });
    put_ok(s, &b1, Some("c0")).await;
    cb.push(b1);
    s.put_writes(&a, "c1", "t", &json!("a's"))
        .await
        .expect("writes");

    assert_eq!(
        s.chain(&a, None)
            .await
            .expect("chain")
            .expect("a")
            .checkpoints,
        ca,
        "thread a whole"
    );
    assert_eq!(
        s.chain(&b, None)
            .await
            .expect("chain")
            .expect("b")
            .checkpoints,
        cb,
        "thread b whole"
    );
    assert_eq!(
        s.get(&b, "c2").await.expect("get"),
        None,
        "a's c2 is not in b"
    );
    assert!(
        s.chain(&b, Some("c1"))
            .await
            .expect("chain")
            .expect("b")
            .writes
            .is_empty(),
        "a's pending writes are not b's"
    );
    assert_eq!(
        s.put_writes(&b, "c1", "t", &json!("b's")).await.ok(),
        Some(PutOutcome::Stored),
        "the same task name in another thread is another task"
    );
    assert_eq!(
        s.history(&b).await.expect("history").len(),
        2,
        "b's history is b's only"
    );
    let threads = s.threads().await.expect("threads");
    assert!(
        threads.contains(&a) && threads.contains(&b),
        "threads lists both"
    );
    assert!(
        threads.windows(2).all(|w| w[0] <= w[1]),
        "threads are sorted: {threads:?}"
    );
}

async fn large_values_round_trip(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}large");
    let mut c = step_of(&Checkpoint::new(&t, "big"), "big");
    let items: Vec<Value> = (0..10_000)
        .map(|i| json!({ "i": i, "text": format!("message number {i}"), "f": f64::from(i) / 7.0 }))
        .collect();
    c.delta = json!({ "blob": "x".repeat(4 << 20), "items": items });
    let mut deep = json!("bottom");
    for _ in 0..MAX_DEPTH {
        deep = json!([deep]);
    }
    c.position = deep;
    put_ok(s, &c, None).await;
    // Compared with `assert!`: a failure must not print megabytes.
    let got = s.get(&t, "big").await.expect("get").expect("exists");
    assert!(
        got == c,
        "a 4 MiB checkpoint must read back equal ({})",
        first_difference(&got, &c)
    );
    let writes =
        json!({ "blob": "y".repeat(1 << 20), "floats": [0.1, 1e300, -2.5e-300, 1.0 / 3.0] });
    s.put_writes(&t, "big", "task", &writes)
        .await
        .expect("large writes");
    let chain = s.chain(&t, None).await.expect("chain").expect("exists");
    assert!(
        chain.checkpoints.len() == 1 && chain.checkpoints[0] == c,
        "a large checkpoint through the chain"
    );
    assert!(
        chain.writes[0].writes == writes,
        "large pending writes must read back equal"
    );
}

/// Which field of two checkpoints differs, and where inside it, without printing them whole.
fn first_difference(a: &Checkpoint, b: &Checkpoint) -> String {
    fn inside(path: String, a: &Value, b: &Value) -> String {
        match (a, b) {
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .find(|(_, (x, y))| x != y)
                .map_or(path.clone(), |(i, (x, y))| {
                    inside(format!("{path}[{i}]"), x, y)
                }),
            (Value::Object(x), Value::Object(y)) if x.len() == y.len() => x
                .iter()
                .find(|(k, v)| y.get(*k) != Some(v))
                .map_or(path.clone(), |(k, v)| match y.get(k) {
                    Some(w) => inside(format!("{path}.{k}"), v, w),
                    None => format!("{path}.{k} missing"),
                }),
            _ => {
                let show = |v: &Value| {
                    let text = v.to_string();
                    if text.len() > 80 {
                        format!(
                            "{}.. ({} bytes)",
                            &text[..text.floor_char_boundary(80)],
                            text.len()
                        )
                    } else {
                        text
                    }
                };
                format!("{path}: {} != {}", show(a), show(b))
            }
        }
    }
    for (field, x, y) in [
        ("delta", &a.delta, &b.delta),
        ("position", &a.position, &b.position),
    ] {
        if x != y {
            return inside(field.to_string(), x, y);
        }
    }
    "outside delta and position".to_string()
}

async fn unicode_round_trips_with_key_order(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}スレッド-🧵-ünïcode");
    let root = Checkpoint::new(&t, "корень");
    let mut c = step_of(&root, "корень");
    c.node = Some("узел-✓".into());
    c.fingerprint = "指纹".into();
    c.delta = json!({
        "zeta": 1, "alpha": 2, "ключ": "значение", "🔑": "🗝️", "": "empty key",
        "escapes": "quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7}",
        "astral": "𝄞 \u{10FFFF}", "mid": { "b": 1, "a": 2 }
    });
    c.metadata.insert("пометка".into(), json!("метаданные"));
    put_ok(s, &c, None).await;
    let child = step_of(&c, "子-1");
    put_ok(s, &child, Some("корень")).await;
    s.put_writes(&t, "子-1", "задача-🧪", &json!({ "ответ": "да" }))
        .await
        .expect("writes");

    let got = s.get(&t, "корень").await.expect("get").expect("exists");
    assert_eq!(got, c, "unicode ids, names, keys and values round-trip");
    assert_eq!(
        serde_json::to_string(&got.delta).expect("json"),
        serde_json::to_string(&c.delta).expect("json"),
        "object keys come back in the order they were written"
    );
    let chain = s.chain(&t, None).await.expect("chain").expect("exists");
    assert_eq!(chain.checkpoints, [c, child], "a unicode chain");
    assert_eq!(chain.writes[0].task, "задача-🧪");
    assert!(
        s.threads().await.expect("threads").contains(&t),
        "a unicode thread id is listed"
    );
}

async fn bad_input_is_refused_and_stores_nothing(s: &dyn CheckpointStore, p: &str) {
    let t = format!("{p}invalid");
    let good = step_of(&Checkpoint::new(&t, "c0"), "c0");
    let mut too_deep = json!(0);
    for _ in 0..=MAX_DEPTH {
        too_deep = json!({ "k": too_deep });
    }
    let cases: Vec<(&str, Checkpoint)> = vec![
        (
            "an empty thread id",
            Checkpoint {
                thread: String::new(),
                ..good.clone()
            },
        ),
        (
            "an empty checkpoint id",
            Checkpoint {
                id: String::new(),
                ..good.clone()
            },
        ),
        (
            "a NUL in the thread id",
            Checkpoint {
                thread: format!("{t}\0x"),
                ..good.clone()
            },
        ),
        (
            "a NUL in the node name",
            Checkpoint {
                node: Some("a\0b".into()),
                ..good.clone()
            },
        ),
        (
            "a step past i64::MAX",
            Checkpoint {
                step: u64::MAX,
                ..good.clone()
            },
        ),
        (
            "a delta nested too deep",
            Checkpoint {
                delta: too_deep.clone(),
                ..good.clone()
            },
        ),
    ];
    for (what, c) in cases {
        let result = s.put(&c, None).await;
        assert!(
            matches!(&result, Err(StoreError::Invalid { .. })),
            "a checkpoint with {what} must be Invalid, got {result:?}"
        );
    }
    assert_eq!(
        s.latest(&t).await.expect("latest"),
        None,
        "an invalid write stores nothing"
    );
    put_ok(s, &good, None).await;
    for (what, task, writes) in [
        ("an empty task id", "", json!(1)),
        ("writes nested too deep", "t", too_deep),
    ] {
        let result = s.put_writes(&t, "c0", task, &writes).await;
        assert!(
            matches!(&result, Err(StoreError::Invalid { .. })),
            "pending writes with {what} must be Invalid, got {result:?}"
        );
    }
}

async fn cleanup(s: &dyn CheckpointStore, p: &str) {
    for thread in s.threads().await.expect("threads") {
        if thread.starts_with(p) {
            s.delete_thread(&thread).await.expect("delete");
        }
    }
    let left: Vec<String> = s
        .threads()
        .await
        .expect("threads")
        .into_iter()
        .filter(|t| t.starts_with(p))
        .collect();
    assert!(
        left.is_empty(),
        "every thread deleted, but these remain: {left:?}"
    );
}
