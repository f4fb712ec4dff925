use graphai::{Node, Policy, Value, json, node, router};
use std::time::Duration;

#[node(start, retries = 2, timeout = "1m30s")]
async fn fetch(url: String) -> Value {
    json!({ "url": url })
}

#[router(end, timeout = "250ms")]
async fn pick() -> Value {
    json!({ "choice": "fetch" })
}

fn main() {
    assert_eq!(
        <fetch as Node>::POLICY,
        Policy::new().retries(2).timeout(Duration::from_secs(90))
    );
    assert_eq!(
        <pick as Node>::POLICY.timeout_duration(),
        Some(Duration::from_millis(250))
    );
}
