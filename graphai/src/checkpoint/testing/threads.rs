//! Reading threads back: chains, forks, pending writes, history, delete, isolation.

use serde_json::{Value, json};

use super::{assert_conflict, head_of, linear, put_ok, step_of};
use crate::checkpoint::{Checkpoint, CheckpointStore, PendingWrite, PutOutcome, StoreError};

pub(super) async fn the_chain_runs_root_first_in_one_read(s: &dyn CheckpointStore, p: &str) {
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

pub(super) async fn a_fork_continues_from_an_earlier_checkpoint(s: &dyn CheckpointStore, p: &str) {
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

pub(super) async fn pending_writes_are_saved_once_per_task(s: &dyn CheckpointStore, p: &str) {
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

pub(super) async fn history_is_newest_first(s: &dyn CheckpointStore, p: &str) {
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

pub(super) async fn delete_removes_everything_of_one_thread(s: &dyn CheckpointStore, p: &str) {
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

pub(super) async fn threads_are_isolated(s: &dyn CheckpointStore, p: &str) {
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
