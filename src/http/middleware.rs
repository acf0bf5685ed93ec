//! The request path (docs/design.md section 3) as one service: request id, request span,
//! access log and metrics, security headers, load shedding, timeout, body limit, panic
//! catching, injected faults, and the JSON rendering of every error. The request's
//! context (its id, for every log line) is a task-local, not a span: see
//! [`crate::telemetry::current_request`].
//!
//! One service rather than a stack of layers, because the request path has a budget:
//! with everything on, the service must keep 0.80 of a bare axum service's throughput.
//! A stack of tower layers boxes the body or the future at almost every step; here a
//! request costs one boxed future, two atomic adds for metrics and one log line, and
//! the steps stay separate functions in the order docs/design.md gives them.
//!
//! It is added with `Router::layer`, which wraps every route on its own, so each
//! instance learns its route template once and keeps that route's metric series.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;
use tower::{Layer, Service};

use crate::faults::Faults;
use crate::http::error::{self, ApiError, ErrorReport};
use crate::http::shed::Shed;
use crate::telemetry::ACCESS_LOG_TARGET;
use crate::telemetry::current_request::CurrentRequest;
use crate::telemetry::metrics::{HttpMetrics, RouteMetrics, method_label};
use crate::telemetry::traceparent::{Parent, TRACERESPONSE};
use crate::telemetry::traces::{RequestSpan, RequestTracer};

/// The request id header, taken from the client when valid and always echoed.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied request id that is kept.
const MAX_REQUEST_ID_LEN: usize = 128;

/// Route label of requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Status logged and counted for a request whose client went away before its answer.
const CLIENT_CLOSED_REQUEST: u16 = 499;

/// Set on every answer (docs/design.md section 3, step 5).
const SECURITY_HEADERS: [(HeaderName, HeaderValue); 5] = [
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    ),
    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    (
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000; includeSubDomains"),
    ),
];

/// What one listener's request path does.
#[derive(Debug, Clone)]
pub struct RequestPathLayer(Arc<Settings>);

#[derive(Debug)]
struct Settings {
    /// `None` on the admin listener, which is not counted.
    metrics: Option<Arc<HttpMetrics>>,
    /// `None` on the admin listener, which is never shed.
    shed: Option<Shed>,
    /// `None` on the admin listener, which has no time limit.
    timeout: Option<Duration>,
    body_limit: usize,
    /// Applied on the app listener only.
    faults: Option<Arc<Faults>>,
    /// Starts each request's span; `None` when traces are not exported, and on the
    /// admin listener, which is not traced.
    tracer: Option<RequestTracer>,
    /// Whether answers carry `traceresponse`: the app listener's do.
    trace_response: bool,
    /// Whether the access line is at DEBUG: probes and scrapes would drown the rest.
    quiet: bool,
}

impl RequestPathLayer {
    /// The app listener's: counted, traced, shed, timed out, and open to fault drills.
    pub fn app(
        metrics: Arc<HttpMetrics>,
        max_concurrency: usize,
        timeout: Duration,
        body_limit: usize,
        faults: Arc<Faults>,
        tracer: Option<RequestTracer>,
    ) -> Self {
        Self(Arc::new(Settings {
            metrics: Some(metrics),
            shed: Some(Shed::new(max_concurrency)),
            timeout: Some(timeout),
            body_limit,
            faults: Some(faults),
            tracer,
            trace_response: true,
            quiet: false,
        }))
    }

    /// The admin listener's: request ids, logs, headers, JSON errors, panics caught.
    pub fn admin(body_limit: usize) -> Self {
        Self(Arc::new(Settings {
            metrics: None,
            shed: None,
            timeout: None,
            body_limit,
            faults: None,
            tracer: None,
            trace_response: false,
            quiet: false,
        }))
    }

    /// This listener's path for the routes a load balancer or Prometheus polls (the
    /// health routes, `/metrics`): counted and logged at DEBUG, but never shed, timed
    /// out, slowed by drills or traced. Shedding the load balancer's check would get a
    /// busy task replaced, and their spans would drown the traces worth reading.
    #[must_use]
    pub fn for_probes(&self) -> Self {
        Self(Arc::new(Settings {
            metrics: self.0.metrics.clone(),
            shed: None,
            timeout: None,
            body_limit: self.0.body_limit,
            faults: None,
            tracer: None,
            trace_response: self.0.trace_response,
            quiet: true,
        }))
    }
}

impl<S> Layer<S> for RequestPathLayer {
    type Service = RequestPath<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestPath {
            inner,
            settings: Arc::clone(&self.0),
            route: Arc::new(OnceLock::new()),
        }
    }
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct RequestPath<S> {
    inner: S,
    settings: Arc<Settings>,
    /// Resolved by the first request: one instance wraps one route.
    route: Arc<OnceLock<Arc<RouteInfo>>>,
}

#[derive(Debug)]
struct RouteInfo {
    template: Box<str>,
    /// Whether a route matched; if not, `template` is [`UNMATCHED_ROUTE`].
    matched: bool,
    /// The listener's [`Settings::quiet`], kept where the access line reads it.
    quiet: bool,
    metrics: Option<Arc<RouteMetrics>>,
}

impl RouteInfo {
    fn new(matched: Option<&MatchedPath>, settings: &Settings) -> Self {
        let template = matched.map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
        Self {
            template: template.into(),
            matched: matched.is_some(),
            quiet: settings.quiet,
            metrics: settings
                .metrics
                .as_ref()
                .map(|metrics| metrics.route(template)),
        }
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> Service<Request> for RequestPath<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        let settings = &*self.settings;
        let route = Arc::clone(
            self.route
                .get_or_init(|| Arc::new(RouteInfo::new(request.extensions().get(), settings))),
        );

        // 1. Request id. (2, sensitive headers, is the layer around this one.)
        // 3. The trace span, and the context every log line of the request carries.
        let parent = Parent::from_headers(request.headers());
        let span = match settings.tracer.as_ref() {
            Some(tracer) => tracer.start(
                &request,
                parent.as_ref(),
                route.matched.then_some(&*route.template),
            ),
            None => RequestSpan::untraced(parent.as_ref()),
        };
        let context = CurrentRequest {
            request_id: request_id(request.headers()),
            trace: span.ids(),
        };
        let span_context = span.context();
        // 4. Access log and metrics, also for a request dropped unanswered.
        let record = RequestRecord {
            route: Arc::clone(&route),
            metrics: settings.metrics.clone(),
            method: request.method().clone(),
            uri: request.uri().clone(),
            context: context.clone(),
            span,
            trace_response: settings.trace_response,
            started,
            finished: false,
        }
        .start();
        // 6. Load shedding, and 8. the body limit where `Content-Length` tells at once;
        // a streamed body is held to it by axum's `DefaultBodyLimit` as it is read.
        let (place, early) = if declared_length(request.headers()) > settings.body_limit {
            (None, Some(ApiError::PayloadTooLarge))
        } else {
            match settings.shed.as_ref() {
                Some(shed) => match shed.try_enter() {
                    Some(place) => (Some(place), None),
                    None => (None, Some(ApiError::Overloaded)),
                },
                None => (None, None),
            }
        };
        let deadline = settings
            .timeout
            .map(|limit| tokio::time::Instant::from_std(started) + limit);
        let faults = settings.faults.clone();
        // The clone takes the place of the instance that was polled ready.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);

        Box::pin(async move {
            let response = if let Some(error) = early {
                error.into_response()
            } else {
                let handled = context.scope(handle(inner, request, deadline, faults));
                // A sampled request's span is the current OpenTelemetry context on every
                // poll, the parent of its database spans.
                match span_context {
                    Some(cx) => opentelemetry::context::FutureExt::with_context(handled, cx).await,
                    None => handled.await,
                }
            };
            drop(place);
            // 5. Security headers and JSON errors, then the access line.
            Ok(finish(response, record))
        })
    }
}

/// 7. The timeout, 9. panics caught, and injected faults, around the handler.
async fn handle<S>(
    mut inner: S,
    request: Request,
    deadline: Option<tokio::time::Instant>,
    faults: Option<Arc<Faults>>,
) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let handler = AssertUnwindSafe(async move {
        if let Some(faults) = faults.as_deref().and_then(Faults::in_force)
            && let Err(injected) = faults.inject().await
        {
            return ApiError::internal(injected).into_response();
        }
        let Ok(response) = inner.call(request).await;
        response
    })
    .catch_unwind();
    let outcome = match deadline {
        // `timeout_at` polls the handler first and arms its timer only when the handler
        // has to wait, so a quick answer never touches the timer wheel.
        Some(deadline) => match tokio::time::timeout_at(deadline, handler).await {
            Ok(outcome) => outcome,
            Err(_) => return ApiError::Timeout.into_response(),
        },
        None => handler.await,
    };
    // The panic hook has logged the panic with the request id; the client learns only
    // that it failed.
    outcome.unwrap_or_else(|_| ApiError::internal("the handler panicked").into_response())
}

fn finish(mut response: Response, mut record: RequestRecord) -> Response {
    let request_id = record.context.request_id.clone();
    let cause = response
        .extensions()
        .get::<ErrorReport>()
        .and_then(|report| report.cause.clone());
    if error::needs_rendering(&response) {
        response = error::render(response, request_id.to_str().unwrap_or_default());
    }
    let headers = response.headers_mut();
    headers.reserve(SECURITY_HEADERS.len() + 2);
    for (name, value) in &SECURITY_HEADERS {
        headers.insert(name, value.clone());
    }
    headers.insert(&REQUEST_ID, request_id);
    if record.trace_response {
        headers.insert(&TRACERESPONSE, record.context.trace.traceresponse());
    }
    record.finish(Some(response.status().as_u16()), cause.as_deref());
    response
}

/// The client's `x-request-id` when it is 1 to 128 visible ASCII characters, else a
/// new UUID: a client cannot inject log lines or unbounded values through it.
fn request_id(headers: &HeaderMap) -> HeaderValue {
    headers
        .get(&REQUEST_ID)
        .filter(|value| {
            let bytes = value.as_bytes();
            !bytes.is_empty()
                && bytes.len() <= MAX_REQUEST_ID_LEN
                && bytes.iter().all(u8::is_ascii_graphic)
        })
        .cloned()
        .unwrap_or_else(|| {
            let mut buffer = uuid::Uuid::encode_buffer();
            let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buffer);
            HeaderValue::from_str(id).expect("a UUID is a valid header value")
        })
}

/// The body length the client declared, or 0.
fn declared_length(headers: &HeaderMap) -> usize {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

/// A request being served: counted in flight until dropped, and logged and measured
/// exactly once, also when its client goes away and the server drops it unanswered.
struct RequestRecord {
    route: Arc<RouteInfo>,
    metrics: Option<Arc<HttpMetrics>>,
    method: Method,
    uri: Uri,
    context: CurrentRequest,
    span: RequestSpan,
    trace_response: bool,
    started: Instant,
    finished: bool,
}

impl RequestRecord {
    /// Counts the request in flight.
    fn start(self) -> Self {
        if let Some(metrics) = &self.metrics {
            metrics.in_flight.inc();
        }
        self
    }

    /// Ends the span and writes the access line and metrics, with the status answered,
    /// or `None` when there was no answer (logged and counted as 499).
    fn finish(&mut self, answered: Option<u16>, error: Option<&str>) {
        self.finished = true;
        self.span.end(answered);
        let status = answered.unwrap_or(CLIENT_CLOSED_REQUEST);
        let elapsed = self.started.elapsed().as_secs_f64();
        if let Some(metrics) = &self.route.metrics {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            metrics.observe(&self.method, status, elapsed);
        }
        let method = method_label(&self.method);
        let route = &*self.route.template;
        let path = self.uri.path();
        let duration_ms = elapsed * 1000.0;
        self.context.clone().sync_scope(|| {
            if self.route.quiet {
                tracing::debug!(target: ACCESS_LOG_TARGET, method, route, path, status, duration_ms, error, "request");
            } else {
                tracing::info!(target: ACCESS_LOG_TARGET, method, route, path, status, duration_ms, error, "request");
            }
        });
    }
}

impl Drop for RequestRecord {
    fn drop(&mut self) {
        if !self.finished {
            self.finish(None, None);
        }
        if let Some(metrics) = &self.metrics {
            metrics.in_flight.dec();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_request_ids_are_kept_and_others_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert(&REQUEST_ID, HeaderValue::from_static("abc-123"));
        assert_eq!(request_id(&headers), "abc-123");

        for bad in ["", "has space", &"x".repeat(129)] {
            headers.insert(
                &REQUEST_ID,
                HeaderValue::from_str(bad).expect("valid header"),
            );
            let replaced = request_id(&headers);
            assert_ne!(replaced, bad);
            assert_eq!(replaced.len(), 36, "a UUID");
        }
    }
}
