//! Nodes for the `graph!` UI tests, written the way `#[node]` writes them: a
//! braced struct implementing `graphai::Node`, and a fn returning its `NodeDef`.

#![allow(dead_code, unused_macros)]

/// `test_node!(name [flags..])`, flags among `start`, `end`, `router`;
/// `test_node!(name [flags..] as "runtime name")` renames it.
macro_rules! test_node {
    ($vis:vis $name:ident [$($flag:ident),*] $(as $rename:literal)?) => {
        #[allow(non_camel_case_types, dead_code)]
        $vis struct $name {}
        impl graphai::Node for $name {
            const NAME: &'static str = [$($rename,)? stringify!($name)][0];
            const DOC: &'static str = "";
            const IS_START: bool = $crate::nodes::has(&[$(stringify!($flag)),*], "start");
            const IS_END: bool = $crate::nodes::has(&[$(stringify!($flag)),*], "end");
            const IS_STREAM: bool = false;
            const IS_ROUTER: bool = $crate::nodes::has(&[$(stringify!($flag)),*], "router");
            const PARAMS: &'static [graphai::ParamInfo] = &[];
            fn invoke(_: graphai::Context<'_>) -> graphai::NodeFuture<'_> {
                Box::pin(async { Ok(graphai::Map::new()) })
            }
        }
        #[allow(dead_code)]
        $vis fn $name() -> graphai::NodeDef {
            graphai::NodeDef::of::<$name>()
        }
    };
}

pub const fn has(flags: &[&str], flag: &str) -> bool {
    let mut i = 0;
    while i < flags.len() {
        if eq(flags[i].as_bytes(), flag.as_bytes()) {
            return true;
        }
        i += 1;
    }
    false
}

const fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
