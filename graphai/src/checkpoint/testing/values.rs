//! What values survive a store: large, deep, unicode; and what no store accepts.

use serde_json::{Value, json};

use super::{put_ok, step_of};
use crate::checkpoint::codec::MAX_DEPTH;
use crate::checkpoint::{Checkpoint, CheckpointStore, StoreError};

pub(super) async fn large_values_round_trip(s: &dyn CheckpointStore, p: &str) {
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
pub(super) fn first_difference(a: &Checkpoint, b: &Checkpoint) -> String {
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

pub(super) async fn unicode_round_trips_with_key_order(s: &dyn CheckpointStore, p: &str) {
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

pub(super) async fn bad_input_is_refused_and_stores_nothing(s: &dyn CheckpointStore, p: &str) {
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

pub(super) async fn cleanup(s: &dyn CheckpointStore, p: &str) {
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
