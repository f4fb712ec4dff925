//! Nodes from other modules, by relative and absolute paths.

#[macro_use]
#[path = "../nodes.rs"]
mod nodes;

use graphai::graph;

mod tools {
    test_node!(pub search [end]);
    pub mod inner {
        test_node!(pub fetch []);
    }
}

mod app {
    test_node!(pub first [start]);

    pub fn build() -> graphai::CompiledGraph {
        graphai::graph! { self::first -> super::tools::inner::fetch -> crate::tools::search; }
    }
}

fn main() {
    let _ = app::build();
    let _ = graph! { app::first -> tools::inner::fetch -> crate::tools::search; };
}
