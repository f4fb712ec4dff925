//! The rules every store applies to what it is given.

use serde_json::Value;

use super::{Checkpoint, StoreError};

/// The deepest nesting serde_json reads back (it refuses 128 levels of arrays or objects).
/// A value nested deeper would be written and then be unreadable, so no store accepts it.
pub(crate) const MAX_DEPTH: usize = 127;

/// Checks that `checkpoint` can be stored and read back by every store.
pub(crate) fn validate_checkpoint(checkpoint: &Checkpoint) -> Result<(), StoreError> {
    let invalid = |reason: String| StoreError::Invalid {
        thread: checkpoint.thread.clone(),
        checkpoint: checkpoint.id.clone(),
        reason,
    };
    check_name("thread id", &checkpoint.thread).map_err(invalid)?;
    check_name("checkpoint id", &checkpoint.id).map_err(invalid)?;
    if let Some(parent) = &checkpoint.parent {
        check_name("parent id", parent).map_err(invalid)?;
    }
    if let Some(node) = &checkpoint.node {
        check_text("node name", node).map_err(invalid)?;
    }
    check_text("fingerprint", &checkpoint.fingerprint).map_err(invalid)?;
    check_int("step", checkpoint.step).map_err(invalid)?;
    check_int("created_at", checkpoint.created_at).map_err(invalid)?;
    check_depth("delta", &checkpoint.delta).map_err(invalid)?;
    check_depth("position", &checkpoint.position).map_err(invalid)?;
    for (key, value) in &checkpoint.metadata {
        // The metadata object itself is one level.
        if depth_exceeds(value, MAX_DEPTH - 1) {
            return Err(invalid(format!(
                "metadata key `{key}` is nested deeper than {MAX_DEPTH} levels, which cannot \
                 be read back; flatten it"
            )));
        }
    }
    Ok(())
}

/// Checks that a task's pending writes can be stored and read back by every store.
pub(crate) fn validate_writes(
    thread: &str,
    checkpoint: &str,
    task: &str,
    writes: &Value,
) -> Result<(), StoreError> {
    let invalid = |reason: String| StoreError::Invalid {
        thread: thread.to_string(),
        checkpoint: checkpoint.to_string(),
        reason,
    };
    check_name("thread id", thread).map_err(invalid)?;
    check_name("checkpoint id", checkpoint).map_err(invalid)?;
    check_name("task id", task).map_err(invalid)?;
    check_depth(&format!("writes of task `{task}`"), writes).map_err(invalid)
}

fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("the {what} is empty; give it a name"));
    }
    check_text(what, name)
}

fn check_text(what: &str, text: &str) -> Result<(), String> {
    if text.contains('\0') {
        // PostgreSQL's text cannot hold NUL, so no store accepts one.
        return Err(format!(
            "the {what} {text:?} contains a NUL character, which databases cannot store; \
             remove it"
        ));
    }
    Ok(())
}

fn check_int(what: &str, n: u64) -> Result<(), String> {
    if i64::try_from(n).is_err() {
        return Err(format!(
            "{what} = {n} is larger than {} (the largest integer a database column holds)",
            i64::MAX
        ));
    }
    Ok(())
}

fn check_depth(what: &str, value: &Value) -> Result<(), String> {
    if depth_exceeds(value, MAX_DEPTH) {
        return Err(format!(
            "the {what} is nested deeper than {MAX_DEPTH} levels, which cannot be read back; \
             flatten it"
        ));
    }
    Ok(())
}

/// Whether `value` has more than `limit` levels of arrays and objects. Stops descending at
/// the limit, so the recursion is bounded whatever the value.
fn depth_exceeds(value: &Value, limit: usize) -> bool {
    match value {
        Value::Array(items) => limit == 0 || items.iter().any(|v| depth_exceeds(v, limit - 1)),
        Value::Object(map) => limit == 0 || map.values().any(|v| depth_exceeds(v, limit - 1)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(levels: usize) -> Value {
        let mut v = json!(1);
        for _ in 0..levels {
            v = json!([v]);
        }
        v
    }

    #[test]
    fn the_depth_limit_is_exactly_what_serde_json_reads_back() {
        let deepest = nested(MAX_DEPTH);
        assert!(!depth_exceeds(&deepest, MAX_DEPTH));
        let text = serde_json::to_string(&deepest).unwrap();
        assert!(serde_json::from_str::<Value>(&text).is_ok());

        let too_deep = nested(MAX_DEPTH + 1);
        assert!(depth_exceeds(&too_deep, MAX_DEPTH));
        assert!(serde_json::from_str::<Value>(&serde_json::to_string(&too_deep).unwrap()).is_err());
    }

    #[test]
    fn a_checkpoint_too_deep_to_read_back_is_refused_naming_the_field() {
        let mut c = Checkpoint::new("t", "c");
        c.position = nested(MAX_DEPTH + 1);
        let e = validate_checkpoint(&c).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot store checkpoint `c` of thread `t`: the position is nested deeper than 127 \
             levels, which cannot be read back; flatten it"
        );
        let mut c = Checkpoint::new("t", "c");
        c.metadata.insert("payload".into(), nested(MAX_DEPTH));
        assert!(
            validate_checkpoint(&c)
                .unwrap_err()
                .to_string()
                .contains("metadata key `payload` is nested deeper")
        );
    }
}
