//! What one step changed, as JSON a checkpoint stores, and the step rebuilt
//! from it: a resumed run replays its steps through the same rules
//! (`advance.rs`) instead of storing whole states.
//!
//! A node's output is stored key by key against the value the key had in the
//! node's path: a key whose new value extends the old one (an array that
//! appends items, a string that appends text: a chat's message list) stores
//! only what was added, so a run that grows a list by one message per step
//! stores O(steps) bytes in all, not O(steps²).

use serde_json::{Map, Value, json};

use super::advance::Scheduler;
use super::driver::{Done, Outcome};
use super::position::Status;
use crate::error::GraphError;
use crate::run_state::RunState;

/// One step, for a journal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StepRecord {
    /// What happened (the stored delta).
    pub(crate) event: Value,
    /// The node that ran, if the step was a node call.
    pub(crate) node: Option<String>,
}

/// A record that does not fit the run it is replayed into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct ReplayError(pub(crate) String);

/// `output` against `state`: a list of `[key, op, value]`, in the output's
/// order, where `op` is `=` (the value), `+` (items appended to an array) or
/// `~` (text appended to a string).
pub(crate) fn encode_output(state: &RunState, output: &Map<String, Value>) -> Value {
    let ops = output
        .iter()
        .map(|(key, value)| match (state.get(key), value) {
            (Some(Value::Array(old)), Value::Array(new))
                if !old.is_empty() && new.len() >= old.len() && new[..old.len()] == old[..] =>
            {
                json!([key, "+", new[old.len()..]])
            }
            (Some(Value::String(old)), Value::String(new))
                if !old.is_empty() && new.starts_with(old.as_str()) =>
            {
                json!([key, "~", new[old.len()..]])
            }
            _ => json!([key, "=", value]),
        })
        .collect();
    Value::Array(ops)
}

/// The output [`encode_output`] stored, rebuilt against `state`.
pub(crate) fn decode_output(
    state: &RunState,
    encoded: &Value,
) -> Result<Map<String, Value>, ReplayError> {
    let bad = |what: &str| ReplayError(format!("a stored output is not valid: {what}"));
    let Value::Array(ops) = encoded else {
        return Err(bad("expected a list of changes"));
    };
    let mut output = Map::with_capacity(ops.len());
    for op in ops {
        let [Value::String(key), Value::String(kind), value] =
            op.as_array().map(Vec::as_slice).unwrap_or_default()
        else {
            return Err(bad("a change is not `[key, op, value]`"));
        };
        let value = match (kind.as_str(), state.get(key), value) {
            ("=", _, value) => value.clone(),
            ("+", Some(Value::Array(old)), Value::Array(added)) => {
                let mut items = old.clone();
                items.extend(added.iter().cloned());
                Value::Array(items)
            }
            ("~", Some(Value::String(old)), Value::String(added)) => {
                Value::String(format!("{old}{added}"))
            }
            _ => {
                return Err(bad(&format!(
                    "`{key}` is stored as `{kind}` of a value the replayed state does not hold"
                )));
            }
        };
        output.insert(key.clone(), value);
    }
    Ok(output)
}

impl Scheduler<'_, '_> {
    /// The record of `done`, taken before it is applied; `None` for what is
    /// not a step (a stale result, a node that asked a person).
    pub(crate) fn step_record(&self, done: &Done) -> Option<StepRecord> {
        match done {
            Done::Node {
                path,
                ticket,
                outcome,
            } => {
                let entry = self.pos.paths.get(*path)?;
                if entry.status != (Status::Running { ticket: *ticket }) {
                    return None;
                }
                let name = self.env.name(entry.node);
                let event = match outcome {
                    Outcome::Output(produced) => {
                        // A route by value is recorded as the JSON answer it stands for.
                        let routed;
                        let output = match &produced.route {
                            None => &produced.output,
                            Some(route) => {
                                let mut output = produced.output.clone();
                                route.write_into(&mut output);
                                routed = output;
                                &routed
                            }
                        };
                        json!({ "path": path, "node": name, "out": encode_output(&entry.state, output) })
                    }
                    Outcome::Failed(error) => {
                        json!({ "path": path, "node": name, "error": error.to_string() })
                    }
                    Outcome::Asked(_) => return None,
                };
                Some(StepRecord {
                    event,
                    node: Some(name.to_owned()),
                })
            }
            Done::Condition { frame, verdict, .. } => Some(StepRecord {
                event: match verdict {
                    Ok(verdict) => json!({ "frame": frame, "verdict": verdict }),
                    Err(message) => json!({ "frame": frame, "panic": message }),
                },
                node: None,
            }),
        }
    }

    /// Starts, without running them, every effect the position has ready, as
    /// the live loop would before taking the next result; returns how many.
    pub(crate) fn start_ready(&mut self) -> Result<usize, GraphError> {
        let mut started = 0;
        while let Some(work) = self.next_work(true)? {
            drop(work);
            started += 1;
        }
        Ok(started)
    }

    /// Applies one stored step, as the run that recorded it did.
    pub(crate) fn replay(&mut self, event: &Value) -> Result<(), ReplayError> {
        self.start_ready()
            .map_err(|error| ReplayError(format!("replaying failed: {error}")))?;
        let index = |key: &str| event.get(key).and_then(Value::as_u64).map(|i| i as usize);
        let done = if let Some(path) = index("path") {
            let entry = self.pos.paths.get(path).ok_or_else(|| {
                ReplayError(format!(
                    "a stored step names path {path}, which the replayed run does not have"
                ))
            })?;
            let Status::Running { ticket } = entry.status else {
                return Err(ReplayError(format!(
                    "a stored step finishes path {path}, which the replayed run is not running"
                )));
            };
            let name = self.env.name(entry.node);
            if event.get("node").and_then(Value::as_str) != Some(name) {
                return Err(ReplayError(format!(
                    "a stored step of path {path} ran node {}, but the replayed run is at `{name}`",
                    event
                        .get("node")
                        .map_or_else(|| "(none)".to_owned(), Value::to_string)
                )));
            }
            let outcome = match (event.get("out"), event.get("error")) {
                (Some(out), _) => Outcome::Output(decode_output(&entry.state, out)?.into()),
                (None, Some(Value::String(message))) => {
                    Outcome::Failed(Box::new(GraphError::Node {
                        node: name.to_owned(),
                        source: message.clone().into(),
                    }))
                }
                _ => {
                    return Err(ReplayError(
                        "a stored step has neither `out` nor `error`".to_owned(),
                    ));
                }
            };
            Done::Node {
                path,
                ticket,
                outcome,
            }
        } else if let Some(frame) = index("frame") {
            let ticket = self.condition_ticket(frame).ok_or_else(|| {
                ReplayError(format!(
                    "a stored condition belongs to frame {frame}, which is not evaluating one"
                ))
            })?;
            let verdict = match (event.get("verdict"), event.get("panic")) {
                (Some(Value::Bool(verdict)), _) => Ok(*verdict),
                (_, Some(Value::String(message))) => Err(message.clone()),
                _ => return Err(ReplayError("a stored condition has no verdict".to_owned())),
            };
            Done::Condition {
                frame,
                ticket,
                verdict,
            }
        } else {
            return Err(ReplayError(
                "a stored step names no path or frame".to_owned(),
            ));
        };
        self.apply(done)
            .map_err(|error| ReplayError(format!("a stored step failed when replayed: {error}")))
    }

    /// After replaying: effects that had started but not finished start again
    /// when the run goes on.
    pub(crate) fn restart_unfinished(&mut self) -> Result<(), ReplayError> {
        self.start_ready()
            .map_err(|error| ReplayError(format!("replaying failed: {error}")))?;
        let running: Vec<(u64, usize)> = self
            .pos
            .paths
            .iter()
            .filter_map(|(id, path)| match path.status {
                Status::Running { ticket } => Some((ticket, id)),
                _ => None,
            })
            .collect();
        let mut running = running;
        running.sort_unstable();
        for (_, id) in running.into_iter().rev() {
            self.pos.paths[id].status = Status::Ready;
            self.pos.ready.push_front(id);
        }
        self.reset_conditions();
        Ok(())
    }
}
