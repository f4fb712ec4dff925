//! The rules of writing: conditional, idempotent, racing.

use futures::future::join_all;
use serde_json::json;

use super::{assert_conflict, head_of, kind, linear, put_ok, step_of};
use crate::checkpoint::{Checkpoint, CheckpointStore, PutOutcome, StoreError};

pub(super) async fn missing_threads_read_as_nothing(s: &dyn CheckpointStore, p: &str) {
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

pub(super) async fn the_first_write_creates_the_thread(s: &dyn CheckpointStore, p: &str) {
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

pub(super) async fn a_write_must_expect_the_current_head(s: &dyn CheckpointStore, p: &str) {
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

pub(super) async fn a_retried_write_is_stored_once(s: &dyn CheckpointStore, p: &str) {
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

pub(super) async fn an_id_cannot_be_reused_for_other_content(s: &dyn CheckpointStore, p: &str) {
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

pub(super) async fn a_parent_must_exist(s: &dyn CheckpointStore, p: &str) {
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

pub(super) async fn racing_writers_one_wins(s: &dyn CheckpointStore, p: &str) {
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

pub(super) async fn racing_creators_one_wins(s: &dyn CheckpointStore, p: &str) {
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

pub(super) fn clone_conflict(e: &StoreError) -> StoreError {
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
