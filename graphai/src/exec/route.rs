//! Resolving a router's `choice`/`choices` to the nodes it picked.

use serde_json::{Map, Value};

use super::advance::Scheduler;
use super::position::Answer;
use crate::error::GraphError;

/// Takes a router's `choice` and `choices` out of its output. An output
/// holding nothing else (the usual router) is taken apart by a scan of its
/// keys, which hashes nothing.
pub(crate) fn take_choice(output: &mut Map<String, Value>) -> (Option<Value>, Option<Value>) {
    let only_route_keys =
        output.len() <= 2 && output.keys().all(|key| key == "choice" || key == "choices");
    if !only_route_keys {
        return (
            output.shift_remove("choice"),
            output.shift_remove("choices"),
        );
    }
    let (mut choice, mut choices) = (None, None);
    for (key, value) in std::mem::take(output) {
        if key == "choice" {
            choice = Some(value);
        } else {
            choices = Some(value);
        }
    }
    (choice, choices)
}

/// What a router chose: one node (no allocation), or a fan-out.
pub(crate) enum Chosen {
    One(usize),
    Many(Vec<usize>),
}

impl Chosen {
    pub(crate) fn as_slice(&self) -> &[usize] {
        match self {
            Chosen::One(node) => std::slice::from_ref(node),
            Chosen::Many(nodes) => nodes,
        }
    }
}

impl Scheduler<'_, '_> {
    /// A router's answer, resolved against its declared destinations (or,
    /// for a router with none, every node of the graph).
    pub(crate) fn resolve(&self, router: usize, answer: Answer) -> Result<Chosen, GraphError> {
        let name = self.env.name(router);
        let invalid = |key, expected, found: &Value| GraphError::InvalidChoice {
            router: name.to_owned(),
            key,
            expected,
            found: found.to_string(),
        };
        match answer {
            Answer::Route(route) => match route.choice() {
                Some(choice) => Ok(Chosen::One(self.resolve_one(router, choice)?)),
                None => self.resolve_many(router, route.names().map(Ok)),
            },
            Answer::Choices(Value::Array(list)) => self.resolve_many(
                router,
                list.iter().map(|item| match item {
                    Value::String(choice) => Ok(choice.as_str()),
                    other => Err(invalid("choices", "a list of node names", other)),
                }),
            ),
            Answer::Choices(other) => Err(invalid("choices", "a list of node names", &other)),
            Answer::Choice(Value::String(choice)) => {
                Ok(Chosen::One(self.resolve_one(router, &choice)?))
            }
            Answer::Choice(other) => Err(invalid("choice", "a node name", &other)),
            Answer::Nothing => Err(GraphError::MissingChoice {
                router: name.to_owned(),
            }),
        }
    }

    /// A fan-out to `names`: at least one, none twice.
    fn resolve_many<'n>(
        &self,
        router: usize,
        names: impl Iterator<Item = Result<&'n str, GraphError>>,
    ) -> Result<Chosen, GraphError> {
        let mut chosen = Vec::with_capacity(names.size_hint().0);
        for choice in names {
            let choice = choice?;
            let node = self.resolve_one(router, choice)?;
            if chosen.contains(&node) {
                return Err(GraphError::DuplicateChoice {
                    router: self.env.name(router).to_owned(),
                    choice: choice.to_owned(),
                });
            }
            chosen.push(node);
        }
        if chosen.is_empty() {
            return Err(GraphError::EmptyChoice {
                router: self.env.name(router).to_owned(),
            });
        }
        Ok(Chosen::Many(chosen))
    }

    fn resolve_one(&self, router: usize, choice: &str) -> Result<usize, GraphError> {
        let graph = self.env.graph;
        let declared = &graph.next[router];
        let found = if declared.is_empty() {
            graph.by_name.get(choice).copied()
        } else {
            declared
                .iter()
                .copied()
                .find(|&i| self.env.name(i) == choice)
        };
        found.ok_or_else(|| {
            let mut allowed: Vec<String> = Vec::new();
            let names: Box<dyn Iterator<Item = &str>> = if declared.is_empty() {
                Box::new(graph.nodes.iter().map(|n| n.name()))
            } else {
                Box::new(declared.iter().map(|&i| self.env.name(i)))
            };
            for name in names {
                if !allowed.iter().any(|a| a == name) {
                    allowed.push(name.to_owned());
                }
            }
            GraphError::UnknownChoice {
                router: self.env.name(router).to_owned(),
                choice: choice.to_owned(),
                allowed,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tests_support::obj;

    #[test]
    fn take_choice_leaves_the_other_keys_in_order() {
        for output in [
            json!({"choice": "a"}),
            json!({"choices": ["a", "b"]}),
            json!({"choices": ["a"], "choice": "b"}),
            json!({"choice": "a", "note": 1}),
            json!({"x": 1, "choices": ["a"], "y": 2, "choice": "b"}),
            json!({"x": 1, "y": 2}),
            json!({}),
        ] {
            let mut fast = obj(output.clone());
            let mut slow = obj(output);
            let taken = take_choice(&mut fast);
            let expected = (slow.shift_remove("choice"), slow.shift_remove("choices"));
            assert_eq!(taken, expected);
            assert_eq!(
                fast.iter().collect::<Vec<_>>(),
                slow.iter().collect::<Vec<_>>()
            );
        }
    }
}
