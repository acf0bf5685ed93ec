//! The server span of one request, by the OpenTelemetry HTTP server conventions.

use std::str::FromStr as _;

use axum::extract::Request;
use axum::http::{HeaderMap, Version, header};
use opentelemetry::trace::{
    Span as _, SpanBuilder, SpanContext, SpanKind, Status, TraceContextExt as _, TraceFlags,
    TraceState, Tracer as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::SdkTracer;

use crate::telemetry::metrics::method_label;
use crate::telemetry::traceparent::{Parent, SpanId, TRACESTATE, TraceId, TraceIds};

/// `error.type` of a request whose client went away before its answer: there is no
/// status code to record, as none was sent.
const CLIENT_CLOSED: &str = "client_closed";

/// Starts the server span of each request. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RequestTracer {
    tracer: SdkTracer,
}

impl RequestTracer {
    pub(super) fn new(tracer: SdkTracer) -> Self {
        Self { tracer }
    }
}

/// One request's server span.
#[derive(Debug)]
pub struct RequestSpan {
    ids: TraceIds,
    /// The span as the current context of the request's future; only when sampled.
    recording: Option<Context>,
}

impl RequestTracer {
    /// Starts the span of `request`, the child of the caller's when there is one.
    ///
    /// The sampler sees the span's kind and the method as its name; the attributes of the
    /// HTTP server conventions are added only once the span is known to be sampled, so
    /// an unsampled request allocates none of them.
    pub fn start(
        &self,
        request: &Request,
        parent: Option<&Parent>,
        route: Option<&str>,
    ) -> RequestSpan {
        let method = method_label(request.method());
        let name = if method == "_OTHER" { "HTTP" } else { method };
        let parent_cx = parent.map_or_else(Context::new, |parent| {
            Context::new().with_remote_span_context(remote_span_context(parent, request.headers()))
        });
        let mut span = self.tracer.build_with_context(
            SpanBuilder::from_name(name).with_kind(SpanKind::Server),
            &parent_cx,
        );
        let context = span.span_context();
        let ids = TraceIds {
            trace_id: TraceId(u128::from_be_bytes(context.trace_id().to_bytes())),
            span_id: SpanId(u64::from_be_bytes(context.span_id().to_bytes())),
            sampled: context.is_sampled(),
        };
        if !span.is_recording() {
            return RequestSpan {
                ids,
                recording: None,
            };
        }
        if let Some(route) = route {
            span.update_name(format!("{name} {route}"));
        }
        span.set_attributes(server_attributes(request, method, route));
        RequestSpan {
            ids,
            recording: Some(parent_cx.with_span(span)),
        }
    }
}

impl RequestSpan {
    /// A request that is not traced still has ids, for its log lines.
    pub fn untraced(parent: Option<&Parent>) -> Self {
        Self {
            ids: TraceIds::untraced(parent),
            recording: None,
        }
    }

    /// The ids its log lines carry.
    pub fn ids(&self) -> TraceIds {
        self.ids
    }

    /// The context to make current while the request is served, when it is sampled.
    pub fn context(&self) -> Option<Context> {
        self.recording.clone()
    }

    /// Ends the span with the status answered, or `None` when the client went away.
    pub fn end(&mut self, status: Option<u16>) {
        let Some(cx) = self.recording.take() else {
            return;
        };
        let span = cx.span();
        match status {
            Some(status) => {
                span.set_attribute(KeyValue::new(
                    "http.response.status_code",
                    i64::from(status),
                ));
                // Server spans mark only 5xx as errors: a 4xx is the client's.
                if status >= 500 {
                    span.set_attribute(KeyValue::new("error.type", status.to_string()));
                    span.set_status(Status::error(""));
                }
            }
            None => span.set_attribute(KeyValue::new("error.type", CLIENT_CLOSED)),
        }
        span.end();
    }
}

fn remote_span_context(parent: &Parent, headers: &HeaderMap) -> SpanContext {
    // Several `tracestate` headers are one list, in order (W3C Trace Context 3.3.1.1).
    let lists: Vec<&str> = headers
        .get_all(&TRACESTATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    let state = match lists.as_slice() {
        [] => TraceState::default(),
        [one] => TraceState::from_str(one).unwrap_or_default(),
        many => TraceState::from_str(&many.join(",")).unwrap_or_default(),
    };
    SpanContext::new(
        parent.trace_id.0.into(),
        parent.span_id.0.into(),
        if parent.sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        },
        true,
        state,
    )
}

/// The HTTP server span attributes of the semantic conventions. The query string is
/// left out: it may carry what should not be stored.
fn server_attributes(
    request: &Request,
    method: &'static str,
    route: Option<&str>,
) -> Vec<KeyValue> {
    let headers = request.headers();
    let header = |name| headers.get(name).and_then(|value| value.to_str().ok());
    let mut attributes = Vec::with_capacity(10);
    attributes.push(KeyValue::new("http.request.method", method));
    if method == "_OTHER" {
        attributes.push(KeyValue::new(
            "http.request.method_original",
            request.method().as_str().to_owned(),
        ));
    }
    attributes.push(KeyValue::new("url.path", request.uri().path().to_owned()));
    // Behind the load balancer, the scheme the client used is the forwarded one.
    let scheme = match header("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    attributes.push(KeyValue::new("url.scheme", scheme));
    if let Some(route) = route {
        attributes.push(KeyValue::new("http.route", route.to_owned()));
    }
    let version = match request.version() {
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        _ => "1.1",
    };
    attributes.push(KeyValue::new("network.protocol.version", version));
    if let Some(host) = header(header::HOST.as_str())
        .and_then(|host| host.parse::<axum::http::uri::Authority>().ok())
    {
        attributes.push(KeyValue::new("server.address", host.host().to_owned()));
        if let Some(port) = host.port_u16() {
            attributes.push(KeyValue::new("server.port", i64::from(port)));
        }
    }
    if let Some(client) = header("x-forwarded-for").and_then(|list| list.split(',').next()) {
        attributes.push(KeyValue::new("client.address", client.trim().to_owned()));
    }
    if let Some(agent) = header(header::USER_AGENT.as_str()) {
        attributes.push(KeyValue::new("user_agent.original", agent.to_owned()));
    }
    attributes
}
