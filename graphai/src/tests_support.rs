//! Hand-written nodes for the runtime's own unit tests (the macros are tested
//! from the workspace's `tests/`).

/// Defines a node the way `#[node]` does: a braced struct implementing
/// [`Node`](crate::Node) plus a fn returning its [`NodeDef`](crate::NodeDef).
/// The body sees the [`Context`](crate::Context) as `$ctx` and returns
/// `Result<Map, GraphError>`.
macro_rules! test_node {
    ($name:ident { start: $s:expr, end: $e:expr, router: $r:expr } |$ctx:ident| $body:expr) => {
        #[allow(non_camel_case_types)]
        struct $name {}
        impl $crate::Node for $name {
            const NAME: &'static str = stringify!($name);
            const DOC: &'static str = "";
            const IS_START: bool = $s;
            const IS_END: bool = $e;
            const IS_STREAM: bool = false;
            const IS_ROUTER: bool = $r;
            const PARAMS: &'static [$crate::ParamInfo] = &[];
            fn invoke($ctx: $crate::Context<'_>) -> $crate::NodeFuture<'_> {
                Box::pin(async move { $body })
            }
        }
        fn $name() -> $crate::NodeDef {
            $crate::NodeDef::of::<$name>()
        }
    };
}

pub(crate) use test_node;

/// A JSON object literal as a `Map`.
pub(crate) fn obj(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => map,
        other => panic!("test helper `obj` needs an object, got {other}"),
    }
}

/// A node built at run time (the property tests generate graphs): `name` and
/// flags chosen by the caller, every call going to `invoke`, which can look up
/// what to do by [`Context::node`](crate::Context::node).
///
/// The one place tests build a [`NodeDef`](crate::NodeDef) field by field: a
/// new field of `NodeDef` needs a default here, nowhere else.
pub(crate) fn dynamic_node(
    name: String,
    start: bool,
    end: bool,
    router: bool,
    invoke: for<'a> fn(crate::Context<'a>) -> crate::NodeFuture<'a>,
) -> crate::NodeDef {
    crate::NodeDef {
        name: std::borrow::Cow::Owned(name),
        doc: "",
        is_start: start,
        is_end: end,
        is_stream: false,
        is_router: router,
        params: &[],
        policy: crate::policy::Policy::new(),
        schema: crate::schema::FunctionSchema::new("dynamic", "", "", "", &[], &[]),
        resources: &[],
        takes_interrupt: false,
        invoke,
        invoke_in: None,
    }
}
