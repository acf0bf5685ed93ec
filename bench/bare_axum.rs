//! The baseline of the throughput benchmark: a bare axum hello world, served the way
//! `axum::serve` serves it, with nothing of the service's instrumentation.
//!
//! `bench/throughput` runs it beside the service and prints the ratio (docs/design.md
//! section 10: the service must keep 0.80 of this).

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("BARE_LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:18180".into());
    let app = Router::new().route(
        "/",
        get(|| async {
            (
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"message":"Hello, World!"}"#,
            )
                .into_response()
        }),
    );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await
}
