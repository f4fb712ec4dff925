//! The rules every store applies to what it is given, and the row form the SQL stores keep.

use serde_json::{Map, Value};

use super::{Checkpoint, HistoryEntry, StoreError};

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

/// A checkpoint as the SQL stores keep it: JSON as text (kept exactly as written, key order
/// included), integers as `i64`. The thread is kept beside it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub id: String,
    pub parent: Option<String>,
    pub step: i64,
    pub node: Option<String>,
    pub created_at: i64,
    pub fingerprint: String,
    pub delta: String,
    pub position: String,
    pub metadata: String,
}

impl Row {
    /// Validates and serializes `checkpoint`.
    pub fn encode(checkpoint: &Checkpoint) -> Result<Row, StoreError> {
        validate_checkpoint(checkpoint)?;
        Ok(Row {
            id: checkpoint.id.clone(),
            parent: checkpoint.parent.clone(),
            // Validation proved both fit.
            step: checkpoint.step as i64,
            node: checkpoint.node.clone(),
            created_at: checkpoint.created_at as i64,
            fingerprint: checkpoint.fingerprint.clone(),
            delta: to_text(&checkpoint.delta),
            position: to_text(&checkpoint.position),
            metadata: to_text(&checkpoint.metadata),
        })
    }

    /// Reads the row back as checkpoint of `thread`.
    pub fn decode(self, thread: &str) -> Result<Checkpoint, StoreError> {
        let corrupt = corrupt_in(thread, &self.id);
        let step = non_negative(self.step).map_err(|m| corrupt("step", m))?;
        let created_at = non_negative(self.created_at).map_err(|m| corrupt("created_at", m))?;
        let delta = parse_json(&self.delta).map_err(|m| corrupt("delta", m))?;
        let position = parse_json(&self.position).map_err(|m| corrupt("position", m))?;
        let metadata = parse_json(&self.metadata).map_err(|m| corrupt("metadata", m))?;
        drop(corrupt);
        Ok(Checkpoint {
            thread: thread.to_string(),
            id: self.id,
            parent: self.parent,
            step,
            node: self.node,
            created_at,
            fingerprint: self.fingerprint,
            delta,
            position,
            metadata,
        })
    }

    /// Whether `self` (stored) and `other` (being written) record the same step: the rule of
    /// [`Checkpoint::same_content`], on rows. The JSON is compared as text first (a retry
    /// serializes the same value to the same text) and as values only when the text differs
    /// (the same object with its keys in another order). A stored value that does not parse
    /// is corrupt.
    pub fn same_content(&self, thread: &str, other: &Row) -> Result<bool, StoreError> {
        if self.id != other.id
            || self.parent != other.parent
            || self.step != other.step
            || self.node != other.node
            || self.fingerprint != other.fingerprint
        {
            return Ok(false);
        }
        let corrupt = corrupt_in(thread, &self.id);
        for (field, stored, new) in [
            ("delta", &self.delta, &other.delta),
            ("position", &self.position, &other.position),
            ("metadata", &self.metadata, &other.metadata),
        ] {
            if !same_json(stored, new).map_err(|m| corrupt(field, m))? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// A chain read root first must start at a root and link each checkpoint to the one before.
pub(crate) fn check_links(thread: &str, rows: &[Row]) -> Result<(), StoreError> {
    let mut previous: Option<&str> = None;
    for row in rows {
        if row.parent.as_deref() != previous {
            let message = match &row.parent {
                Some(parent) => format!("its parent `{parent}` is missing from the thread"),
                None => "it claims to be a root in the middle of a chain".to_string(),
            };
            return Err(corrupt_in(thread, &row.id)("parent", message));
        }
        previous = Some(&row.id);
    }
    Ok(())
}

/// Whether stored JSON text `stored` holds the same value as `new` (which we serialized).
pub(crate) fn same_json(stored: &str, new: &str) -> Result<bool, String> {
    if stored == new {
        return Ok(true);
    }
    let stored: Value = parse_json(stored)?;
    let new: Value = serde_json::from_str(new).map_err(|e| e.to_string())?;
    Ok(stored == new)
}

/// A history entry from its stored columns.
pub(crate) fn decode_history(
    thread: &str,
    id: String,
    parent: Option<String>,
    step: i64,
    node: Option<String>,
    created_at: i64,
    metadata: &str,
) -> Result<HistoryEntry, StoreError> {
    let corrupt = corrupt_in(thread, &id);
    let step = non_negative(step).map_err(|m| corrupt("step", m))?;
    let created_at = non_negative(created_at).map_err(|m| corrupt("created_at", m))?;
    let metadata =
        parse_json::<Map<String, Value>>(metadata).map_err(|m| corrupt("metadata", m))?;
    drop(corrupt);
    Ok(HistoryEntry {
        id,
        parent,
        step,
        node,
        created_at,
        metadata,
    })
}

/// Builds [`StoreError::Corrupt`] for one checkpoint.
pub(crate) fn corrupt_in<'a>(
    thread: &'a str,
    checkpoint: &'a str,
) -> impl Fn(&'static str, String) -> StoreError + 'a {
    move |field, message| StoreError::Corrupt {
        thread: thread.to_string(),
        checkpoint: checkpoint.to_string(),
        field,
        message,
    }
}

/// Serializes a JSON value to text. Serializing a `Value` cannot fail: its keys are strings.
pub(crate) fn to_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("a serde_json value always serializes")
}

/// Parses stored JSON text, giving the parser's message on failure.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

fn non_negative(n: i64) -> Result<u64, String> {
    u64::try_from(n).map_err(|_| format!("{n} is negative"))
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
        let text = to_text(&deepest);
        assert!(serde_json::from_str::<Value>(&text).is_ok());

        let too_deep = nested(MAX_DEPTH + 1);
        assert!(depth_exceeds(&too_deep, MAX_DEPTH));
        assert!(serde_json::from_str::<Value>(&to_text(&too_deep)).is_err());
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

    #[test]
    fn a_row_round_trips_and_a_bad_column_names_itself() {
        let mut c = Checkpoint::new("t", "c1");
        c.delta = json!({ "b": 1, "a": [true, null, "x"] });
        let row = Row::encode(&c).unwrap();
        assert_eq!(row.clone().decode("t").unwrap(), c);

        let mut bad = row.clone();
        bad.position = "{not json".into();
        match bad.decode("t").unwrap_err() {
            StoreError::Corrupt {
                thread,
                checkpoint,
                field,
                ..
            } => assert_eq!(
                (thread.as_str(), checkpoint.as_str(), field),
                ("t", "c1", "position")
            ),
            e => panic!("expected Corrupt, got {e:?}"),
        }

        let mut negative = row;
        negative.step = -1;
        assert!(
            negative
                .decode("t")
                .unwrap_err()
                .to_string()
                .contains("its step cannot be read (-1 is negative)")
        );
    }

    #[test]
    fn same_content_ignores_key_order_and_time_but_not_values() {
        let mut a = Checkpoint::new("t", "c1");
        a.delta = json!({ "x": 1, "y": 2 });
        let mut b = a.clone();
        b.created_at += 10;
        b.delta = json!({ "y": 2, "x": 1 });
        let (ra, rb) = (Row::encode(&a).unwrap(), Row::encode(&b).unwrap());
        assert_ne!(ra.delta, rb.delta, "the texts differ in key order");
        assert!(ra.same_content("t", &rb).unwrap());
        assert!(a.same_content(&b));

        b.delta = json!({ "x": 1, "y": 3 });
        assert!(
            !Row::encode(&a)
                .unwrap()
                .same_content("t", &Row::encode(&b).unwrap())
                .unwrap()
        );
        assert!(!a.same_content(&b));
    }
}
