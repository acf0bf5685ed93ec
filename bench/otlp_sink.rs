//! A collector for the benchmarks: it receives OTLP traces, counts the spans, and prints
//! the total when stopped (SIGTERM). It keeps nothing else, so it costs the core it
//! shares with `wrk` as little as a receiver can.
//!
//! ```sh
//! otlp_sink grpc 127.0.0.1:4317        # receives over gRPC
//! otlp_sink http 127.0.0.1:4318        # receives over HTTP (protobuf)
//! otlp_sink black-hole 127.0.0.1:4317  # accepts connections and never answers
//! ```

#![allow(clippy::print_stdout, reason = "the sink's report")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message as _;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

/// The spans received so far.
#[derive(Clone, Default)]
struct Count(Arc<AtomicUsize>);

impl Count {
    fn add(&self, request: &ExportTraceServiceRequest) {
        let spans: usize = request
            .resource_spans
            .iter()
            .flat_map(|resource| &resource.scope_spans)
            .map(|scope| scope.spans.len())
            .sum();
        self.0.fetch_add(spans, Ordering::Relaxed);
    }
}

#[tonic::async_trait]
impl TraceService for Count {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.add(request.get_ref());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

fn receive_http(count: &Count, body: &[u8]) -> Response {
    match ExportTraceServiceRequest::decode(body) {
        Ok(request) => {
            count.add(&request);
            (
                [(header::CONTENT_TYPE, "application/x-protobuf")],
                ExportTraceServiceResponse::default().encode_to_vec(),
            )
                .into_response()
        }
        Err(error) => (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mode, addr) = (
        args.next().unwrap_or_default(),
        args.next().unwrap_or_default(),
    );
    let listener = TcpListener::bind(&addr).await?;
    let mut stop = signal(SignalKind::terminate())?;
    let count = Count::default();
    let server = match mode.as_str() {
        "grpc" => {
            let service = TraceServiceServer::new(count.clone());
            tokio::spawn(async move {
                tonic::transport::Server::builder()
                    .add_service(service)
                    .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
                    .await
                    .expect("the gRPC receiver serves");
            })
        }
        "http" => {
            let shared = count.clone();
            let router = axum::Router::new().route(
                "/v1/traces",
                axum::routing::post(move |body: Bytes| {
                    let count = shared.clone();
                    async move { receive_http(&count, &body) }
                }),
            );
            tokio::spawn(async move {
                axum::serve(listener, router)
                    .await
                    .expect("the HTTP receiver serves");
            })
        }
        "black-hole" => {
            let mut held = Vec::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => held.push(accepted?.0),
                    _ = stop.recv() => return Ok(()),
                }
            }
        }
        _ => panic!("usage: otlp_sink grpc|http|black-hole ADDR"),
    };
    stop.recv().await;
    server.abort();
    println!("spans received: {}", count.0.load(Ordering::Relaxed));
    Ok(())
}
