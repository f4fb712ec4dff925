//! A web page that shows a graph's tokens as they stream, grouped by node.
//!
//! Each request to `/stream?q=..` runs a small graph with `execute_with`: two
//! streaming nodes run in parallel and their tokens, markers and a final
//! custom event go out as Server-Sent Events (`GraphEvent::to_sse`). The page
//! at `/` reads them with `EventSource` and writes each token under the node
//! that sent it. Offline, no API key.
//!
//! Run it with `cargo run --example streaming_server` and open
//! <http://127.0.0.1:3000/?q=hello+streaming+world>; set `PORT` for another port.
//! Put the word `fail` in the query to see a failed run's error event.

mod app;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    graphai::logging::init();
    let port = match std::env::var("PORT") {
        Ok(port) => port.parse().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("`PORT` must be a port number, got {port:?}"),
            )
        })?,
        Err(_) => 3000,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    axum::serve(listener, app::app()).await
}
