//! [`Route`]: a router's choice as a value, instead of a JSON `choice`.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::node::Node;

/// What a `#[router]` returns to pick the next node by value: the same
/// answer as a JSON `{"choice": ..}` or `{"choices": [..]}` object, without
/// building one.
///
/// The runtime resolves it against the router's declared destinations, as
/// it does a JSON choice, with the same errors for an unknown, repeated or
/// empty choice. [`Route::node`] names the node by its type, so a misspelt
/// destination does not compile.
///
/// ```
/// use graphai::{Route, node, router};
///
/// #[router]
/// async fn triage(query: String) -> Route {
///     if query.ends_with('?') {
///         Route::node::<search>()
///     } else {
///         Route::to("answer")
///     }
/// }
///
/// #[node]
/// async fn search(query: String) -> graphai::Value {
///     graphai::json!({ "found": query })
/// }
/// # fn main() {}
/// ```
///
/// It serializes as the JSON answer it stands for, so a `Route` returned
/// where the JSON form is needed (a checkpoint, a tool call) reads the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route(Picked);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Picked {
    One(Cow<'static, str>),
    Many(Vec<Cow<'static, str>>),
}

impl Route {
    /// Go to the node named `name` (`{"choice": name}`).
    pub fn to(name: impl Into<Cow<'static, str>>) -> Self {
        Self(Picked::One(name.into()))
    }

    /// Go to node `N`, named by its type (`Route::node::<search>()`). A
    /// node that does not exist is a compile error:
    ///
    /// ```compile_fail
    /// use graphai::{Route, router};
    ///
    /// #[router]
    /// async fn triage(query: String) -> Route {
    ///     Route::node::<serach>() // no node `serach`
    /// }
    /// # fn main() {}
    /// ```
    pub fn node<N: Node>() -> Self {
        Self(Picked::One(Cow::Borrowed(N::NAME)))
    }

    /// Run the nodes named in `names` in parallel (`{"choices": [..]}`).
    pub fn all<I>(names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Cow<'static, str>>,
    {
        Self(Picked::Many(names.into_iter().map(Into::into).collect()))
    }

    /// The chosen node, for a route to one node.
    pub fn choice(&self) -> Option<&str> {
        match &self.0 {
            Picked::One(name) => Some(name),
            Picked::Many(_) => None,
        }
    }

    /// The chosen nodes, in order: one for [`Route::to`], any number for
    /// [`Route::all`].
    pub fn names(&self) -> impl Iterator<Item = &str> {
        let (one, many) = match &self.0 {
            Picked::One(name) => (Some(name.as_ref()), &[][..]),
            Picked::Many(names) => (None, names.as_slice()),
        };
        one.into_iter().chain(many.iter().map(AsRef::as_ref))
    }

    /// The JSON key and value this route stands for.
    pub(crate) fn to_json(&self) -> (&'static str, Value) {
        match &self.0 {
            Picked::One(name) => ("choice", Value::String(name.to_string())),
            Picked::Many(names) => (
                "choices",
                names.iter().map(|n| Value::String(n.to_string())).collect(),
            ),
        }
    }

    /// Adds the route's JSON answer to a router's `output`.
    pub(crate) fn write_into(&self, output: &mut Map<String, Value>) {
        let (key, value) = self.to_json();
        output.insert(key.to_owned(), value);
    }
}

impl Serialize for Route {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match &self.0 {
            Picked::One(name) => map.serialize_entry("choice", name)?,
            Picked::Many(names) => map.serialize_entry("choices", names)?,
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_route_serializes_as_the_json_answer_it_stands_for() {
        let one = Route::to("search");
        assert_eq!(
            serde_json::to_value(&one).unwrap(),
            json!({"choice": "search"})
        );
        assert_eq!(one.choice(), Some("search"));
        let many = Route::all(["a", "b"]);
        assert_eq!(
            serde_json::to_value(&many).unwrap(),
            json!({"choices": ["a", "b"]})
        );
        assert_eq!(many.choice(), None);
        assert_eq!(many.names().collect::<Vec<_>>(), ["a", "b"]);
        for route in [one, many] {
            let mut written = Map::new();
            route.write_into(&mut written);
            assert_eq!(
                Value::Object(written),
                serde_json::to_value(&route).unwrap()
            );
        }
    }
}
