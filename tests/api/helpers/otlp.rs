//! A real OTLP receiver for the tests: the collector's trace service built from the
//! official protocol definitions (`opentelemetry-proto`), served over gRPC with tonic and
//! over HTTP (`POST /v1/traces`, protobuf bodies) on a free port. It keeps every span it
//! receives, with its resource, for the tests to read.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use tokio::net::TcpListener;

/// How the receiver listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/gRPC.
    Grpc,
    /// OTLP/HTTP with protobuf bodies.
    HttpProtobuf,
}

impl Protocol {
    /// The value of `OTEL_EXPORTER_OTLP_PROTOCOL` that selects it.
    pub fn variable(self) -> &'static str {
        match self {
            Self::Grpc => "grpc",
            Self::HttpProtobuf => "http/protobuf",
        }
    }
}

/// One received span with the resource it came with.
#[derive(Debug, Clone)]
pub struct Received {
    /// Resource attributes, values as text.
    pub resource: BTreeMap<String, String>,
    /// The span as sent.
    pub span: Span,
}

impl Received {
    /// An attribute's value as text.
    pub fn attribute(&self, key: &str) -> Option<String> {
        self.span
            .attributes
            .iter()
            .find(|attribute| attribute.key == key)
            .map(|attribute| text(attribute.value.as_ref()))
    }

    /// Every attribute key.
    pub fn attribute_keys(&self) -> Vec<String> {
        self.span.attributes.iter().map(|a| a.key.clone()).collect()
    }

    /// The trace id as 32 hex digits.
    pub fn trace_id(&self) -> String {
        hex(&self.span.trace_id)
    }

    /// The span id as 16 hex digits.
    pub fn span_id(&self) -> String {
        hex(&self.span.span_id)
    }

    /// The parent span id as 16 hex digits, empty for a root span.
    pub fn parent_span_id(&self) -> String {
        hex(&self.span.parent_span_id)
    }
}

/// A running receiver; stops when dropped.
pub struct Receiver {
    /// Its address, for `OTEL_EXPORTER_OTLP_ENDPOINT` as `http://ADDR`.
    pub addr: SocketAddr,
    spans: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone, Default)]
struct Sink {
    spans: Arc<Mutex<Vec<Received>>>,
    /// Answers every export with an error: gRPC `UNAVAILABLE`, HTTP 503.
    refuse: bool,
}

impl Sink {
    fn keep(&self, request: ExportTraceServiceRequest) {
        let mut spans = self.spans.lock().expect("not poisoned");
        for resource_spans in request.resource_spans {
            let resource: BTreeMap<_, _> = resource_spans
                .resource
                .map(|resource| resource.attributes)
                .unwrap_or_default()
                .into_iter()
                .map(|KeyValue { key, value, .. }| (key, text(value.as_ref())))
                .collect();
            for scope_spans in resource_spans.scope_spans {
                for span in scope_spans.spans {
                    spans.push(Received {
                        resource: resource.clone(),
                        span,
                    });
                }
            }
        }
    }
}

#[tonic::async_trait]
impl TraceService for Sink {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        if self.refuse {
            return Err(tonic::Status::unavailable("refusing on purpose"));
        }
        self.keep(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

impl Receiver {
    /// Starts a receiver on a free port.
    pub async fn start(protocol: Protocol) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        Self::on(listener, protocol)
    }

    /// Starts a receiver that refuses every export, as an overloaded collector does.
    pub async fn refusing(protocol: Protocol) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        Self::serve(listener, protocol, true)
    }

    /// Starts a receiver on `listener`, such as one at the address a collector was
    /// expected at all along.
    pub fn on(listener: TcpListener, protocol: Protocol) -> Self {
        Self::serve(listener, protocol, false)
    }

    fn serve(listener: TcpListener, protocol: Protocol, refuse: bool) -> Self {
        let addr = listener.local_addr().expect("bound");
        let sink = Sink {
            refuse,
            ..Sink::default()
        };
        let spans = Arc::clone(&sink.spans);
        let task = match protocol {
            Protocol::Grpc => tokio::spawn(async move {
                tonic::transport::Server::builder()
                    .add_service(TraceServiceServer::new(sink))
                    .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
                    .await
                    .expect("the gRPC receiver serves");
            }),
            Protocol::HttpProtobuf => {
                let router = axum::Router::new().route(
                    "/v1/traces",
                    axum::routing::post(move |body: Bytes| {
                        let sink = sink.clone();
                        async move { receive_http(&sink, &body) }
                    }),
                );
                tokio::spawn(async move {
                    axum::serve(listener, router)
                        .await
                        .expect("the HTTP receiver serves");
                })
            }
        };
        Self { addr, spans, task }
    }

    /// `http://ADDR`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<Received> {
        self.spans.lock().expect("not poisoned").clone()
    }

    /// Waits until the spans received satisfy `done`, failing after `limit`.
    pub async fn wait_for(
        &self,
        limit: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let spans = self.spans();
            if done(&spans) {
                return spans;
            }
            assert!(
                started.elapsed() < limit,
                "the receiver did not get the expected spans within {limit:?}; got {} spans: {:#?}",
                spans.len(),
                spans.iter().map(|s| &s.span.name).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn receive_http(sink: &Sink, body: &[u8]) -> axum::response::Response {
    if sink.refuse {
        return (StatusCode::SERVICE_UNAVAILABLE, "refusing on purpose").into_response();
    }
    match ExportTraceServiceRequest::decode(body) {
        Ok(request) => {
            sink.keep(request);
            (
                [(header::CONTENT_TYPE, "application/x-protobuf")],
                ExportTraceServiceResponse::default().encode_to_vec(),
            )
                .into_response()
        }
        Err(error) => (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    }
}

/// A collector that accepts connections and never answers, holding each open.
pub struct BlackHole {
    /// Its address.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl BlackHole {
    /// Starts one on a free port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let addr = listener.local_addr().expect("bound");
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        Self { addr, task }
    }

    /// `http://ADDR`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An address where nothing listens: bound, then let go.
pub fn dead_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    format!("http://{}", listener.local_addr().expect("bound"))
}

fn text(value: Option<&AnyValue>) -> String {
    match value.and_then(|value| value.value.as_ref()) {
        Some(any_value::Value::StringValue(text)) => text.clone(),
        Some(any_value::Value::IntValue(number)) => number.to_string(),
        Some(any_value::Value::BoolValue(flag)) => flag.to_string(),
        Some(any_value::Value::DoubleValue(number)) => number.to_string(),
        other => format!("{other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}
