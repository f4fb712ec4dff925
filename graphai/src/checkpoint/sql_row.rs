//! The row form the SQL stores keep a checkpoint in, and reading it back.

use serde_json::{Map, Value};

use super::{Checkpoint, HistoryEntry, StoreError, validate_checkpoint};

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
