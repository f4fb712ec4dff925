//! Nodes from other modules, by relative and absolute paths.

use graphai::graph;

mod tools {
    use graphai::{Value, json, node};

    #[node(end)]
    pub async fn search() -> Value {
        json!({})
    }

    pub mod inner {
        use graphai::{Value, json, node};

        #[node]
        pub async fn fetch() -> Value {
            json!({})
        }
    }
}

mod app {
    use graphai::{Value, json, node};

    #[node(start)]
    pub async fn first() -> Value {
        json!({})
    }

    pub fn build() -> graphai::CompiledGraph {
        graphai::graph! { self::first -> super::tools::inner::fetch -> crate::tools::search; }
    }
}

fn main() {
    let _ = app::build();
    let _ = graph! { app::first -> tools::inner::fetch -> crate::tools::search; };
}
