//! Resources: typed values a node needs that are not JSON, checked by
//! `compile()` and injected into `Res<T>` parameters.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use graphai::{CompileProblem, Graph, GraphError, Res, Resources, Value, json, node};

/// An LLM-like client: what a real graph would hold as a resource (an HTTP
/// client, a `ChatClient`). It records its prompts so a test can see them.
struct MockLlm {
    model: &'static str,
    prompts: Mutex<Vec<String>>,
}

impl MockLlm {
    fn new(model: &'static str) -> Self {
        Self {
            model,
            prompts: Mutex::new(Vec::new()),
        }
    }

    async fn complete(&self, prompt: &str) -> String {
        self.prompts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(prompt.to_owned());
        format!("[{}] {}", self.model, prompt.to_uppercase())
    }
}

/// Asks the LLM.
#[node(start, end)]
async fn ask(question: String, llm: Res<MockLlm>) -> Value {
    json!({ "answer": llm.complete(&question).await })
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(future)
}

#[test]
fn a_node_uses_a_client_given_as_a_resource() {
    block_on(async {
        let graph = Graph::new()
            .resource(MockLlm::new("tiny"))
            .add_node(ask)
            .compile()
            .unwrap();
        let result = graph.execute(json!({ "question": "why?" })).await.unwrap();
        assert_eq!(result["answer"], "[tiny] WHY?");
        // The resource is not in the run state or the result.
        assert_eq!(result.keys().collect::<Vec<_>>(), ["question", "answer"]);
        let llm = graph.resources().get::<MockLlm>().expect("registered");
        assert_eq!(*llm.prompts.lock().unwrap(), ["why?"]);
        // Nor in the schema.
        let names: Vec<_> = ask().schema().parameters().map(|p| p.name()).collect();
        assert_eq!(names, ["question"]);
        assert_eq!(ask().resources()[0].param, "llm");
    });
}

#[test]
fn two_graphs_with_resources_of_one_type_do_not_see_each_others() {
    block_on(async {
        let small = Graph::new()
            .resource(MockLlm::new("small"))
            .add_node(ask)
            .compile()
            .unwrap();
        let large = Graph::new()
            .resource(MockLlm::new("large"))
            .add_node(ask)
            .compile()
            .unwrap();
        let (a, b) = futures::join!(
            small.execute(json!({ "question": "a" })),
            large.execute(json!({ "question": "b" })),
        );
        assert_eq!(a.unwrap()["answer"], "[small] A");
        assert_eq!(b.unwrap()["answer"], "[large] B");
        let seen = |g: &graphai::CompiledGraph| {
            g.resources()
                .get::<MockLlm>()
                .map(|llm| llm.prompts.lock().unwrap().clone())
        };
        assert_eq!(seen(&small), Some(vec!["a".to_owned()]));
        assert_eq!(seen(&large), Some(vec!["b".to_owned()]));
    });
}

struct Counter(AtomicUsize);
struct Config {
    prefix: &'static str,
}

#[node(start)]
async fn first(text: String, counter: Res<Counter>, config: Res<Config>) -> Value {
    counter.0.fetch_add(1, Ordering::SeqCst);
    json!({ "text": format!("{}{text}", config.prefix) })
}

#[node(end)]
async fn second(text: String, counter: Res<Counter>, user: Res<User>) -> Value {
    counter.0.fetch_add(1, Ordering::SeqCst);
    json!({ "text": format!("{text} for {}", user.0) })
}

struct User(&'static str);

#[test]
fn compile_lists_every_parameter_whose_resource_is_missing() {
    let error = Graph::new()
        .resource(Counter(AtomicUsize::new(0)))
        .add_node(first)
        .add_node(second)
        .add_edge(first, second)
        .compile()
        .unwrap_err();
    let missing: Vec<_> = error
        .problems()
        .iter()
        .filter_map(|p| match p {
            CompileProblem::MissingResource {
                node,
                parameter,
                ty,
                ..
            } => Some((node.as_str(), parameter.as_str(), ty.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        missing,
        [
            ("first", "config", "Res<Config>"),
            ("second", "user", "Res<User>")
        ]
    );
    assert_eq!(
        error.problems()[0].to_string(),
        "node `first` takes `config: Res<Config>`, but no `resources::Config` resource is registered: add one with `Graph::resource(..)`, or declare it with `Graph::resource_per_run::<resources::Config>()` and give it to each run"
    );
}

#[test]
fn a_per_run_resource_satisfies_compile_and_a_run_without_it_fails_before_any_node() {
    block_on(async {
        let counter = std::sync::Arc::new(Counter(AtomicUsize::new(0)));
        let mut resources = Resources::new().with(Config { prefix: "> " });
        resources.insert_arc(counter.clone());
        let graph = Graph::new()
            .resources(&resources)
            .resource_per_run::<User>()
            .add_node(first)
            .add_node(second)
            .add_edge(first, second)
            .compile()
            .unwrap();
        // A run that does not bring it fails at once, naming the node, the
        // parameter and the type.
        let error = graph.execute(json!({ "text": "hi" })).await.unwrap_err();
        assert!(
            matches!(&error, GraphError::MissingResource { node, parameter, type_name }
                if node == "second" && parameter == "user" && type_name == "resources::User"),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "node `second` needs the resource `resources::User` (parameter `user`), which neither the graph nor this run provides: give it to the run with `.resource(..)`, or to the graph with `Graph::resource(..)`"
        );
        assert_eq!(error.node(), Some("second"));
        assert_eq!(counter.0.load(Ordering::SeqCst), 0, "no node ran");
        // Each run brings its own user.
        for name in ["ada", "grace"] {
            let result = graph
                .run(json!({ "text": "hi" }))
                .resource(User(name))
                .execute()
                .await
                .unwrap();
            assert_eq!(result["text"], format!("> hi for {name}"));
        }
        assert_eq!(counter.0.load(Ordering::SeqCst), 4, "two nodes per run");
    });
}

#[test]
fn a_per_run_resource_overrides_the_graphs_value_of_its_type() {
    block_on(async {
        let graph = Graph::new()
            .resource(MockLlm::new("shared"))
            .add_node(ask)
            .compile()
            .unwrap();
        let tenant = graph
            .run(json!({ "question": "hi" }))
            .resource(MockLlm::new("tenant"))
            .execute()
            .await
            .unwrap();
        assert_eq!(tenant["answer"], "[tenant] HI");
        let shared = graph.execute(json!({ "question": "hi" })).await.unwrap();
        assert_eq!(shared["answer"], "[shared] HI");
        let llm = graph.resources().get::<MockLlm>().expect("registered");
        assert_eq!(
            *llm.prompts.lock().unwrap(),
            ["hi"],
            "the tenant's run did not use it"
        );
    });
}

#[test]
fn a_graph_level_value_satisfies_a_per_run_declaration() {
    block_on(async {
        let graph = Graph::new()
            .resource(Counter(AtomicUsize::new(0)))
            .resource(Config { prefix: "" })
            .resource(User("ada"))
            .resource_per_run::<User>()
            .add_node(first)
            .add_node(second)
            .add_edge(first, second)
            .compile()
            .unwrap();
        let result = graph.execute(json!({ "text": "hi" })).await.unwrap();
        assert_eq!(result["text"], "hi for ada");
    });
}

#[test]
fn a_later_value_of_a_type_replaces_the_earlier() {
    block_on(async {
        let graph = Graph::new()
            .resource(MockLlm::new("first"))
            .resource(MockLlm::new("second"))
            .add_node(ask)
            .compile()
            .unwrap();
        let result = graph.execute(json!({ "question": "q" })).await.unwrap();
        assert_eq!(result["answer"], "[second] Q");
    });
}

#[test]
fn res_derefs_and_clones_cheaply() {
    let res = Res::new(String::from("shared"));
    let other = res.clone();
    assert!(std::sync::Arc::ptr_eq(res.arc(), other.arc()));
    assert_eq!(res.len(), 6);
    assert_eq!(format!("{other:?}"), "Res(\"shared\")");
    let resources = Resources::new().with(1_u8);
    assert_eq!(format!("{resources:?}"), "{\"u8\"}");
}
