//! The outermost middleware: request id, sensitive headers, the request span, the access
//! line and metrics, security headers, and the JSON rendering of every error.
//!
//! These are the first five steps of the request path (DESIGN.md section 3) in one
//! service, because they share what is expensive to find: the request id, the route
//! and the clock. It is added with `Router::layer`, which wraps every route on its
//! own, so each instance learns its route template once and keeps its metric series;
//! a request then costs two atomic adds for metrics, one span, and one log line
//! formatted into a reused buffer.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use tower::{Layer, Service};
use tracing::{Instrument as _, Span};

use crate::http::error::{self, ErrorReport};
use crate::telemetry::metrics::{HttpMetrics, RouteMetrics, method_label};
use crate::telemetry::{ACCESS_LOG_TARGET, REQUEST_SPAN_TARGET};

/// The request id header, taken from the client when valid and always echoed.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied request id that is kept.
const MAX_REQUEST_ID_LEN: usize = 128;

/// Route label of requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Status logged and counted for a request whose client went away before its answer.
const CLIENT_CLOSED_REQUEST: u16 = 499;

/// Headers whose values must never reach a log, whatever logs them later.
const SENSITIVE_HEADERS: [HeaderName; 3] =
    [header::AUTHORIZATION, header::COOKIE, header::SET_COOKIE];

/// Set on every answer (DESIGN.md section 3, step 5).
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

/// Which listener a stack serves: the admin listener is neither counted nor traced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// The app listener, behind the load balancer.
    App,
    /// The admin listener.
    Admin,
}

/// Adds [`Observe`] to every route of a router.
#[derive(Debug, Clone)]
pub struct ObserveLayer {
    listener: Listener,
    metrics: Option<Arc<HttpMetrics>>,
}

impl ObserveLayer {
    /// Observes the app listener, counting into `metrics`.
    pub fn app(metrics: Arc<HttpMetrics>) -> Self {
        Self {
            listener: Listener::App,
            metrics: Some(metrics),
        }
    }

    /// Observes the admin listener: logs and headers, no metrics.
    pub fn admin() -> Self {
        Self {
            listener: Listener::Admin,
            metrics: None,
        }
    }
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe {
            inner,
            layer: self.clone(),
            route: Arc::new(OnceLock::new()),
        }
    }
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct Observe<S> {
    inner: S,
    layer: ObserveLayer,
    /// Resolved by the first request: one instance wraps one route.
    route: Arc<OnceLock<RouteInfo>>,
}

#[derive(Debug)]
struct RouteInfo {
    template: Box<str>,
    /// Health and metrics routes log at DEBUG: probes would drown everything else.
    quiet: bool,
    metrics: Option<Arc<RouteMetrics>>,
}

impl RouteInfo {
    fn new(matched: Option<&MatchedPath>, layer: &ObserveLayer) -> Self {
        let template = matched.map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
        Self {
            template: template.into(),
            quiet: template == "/metrics" || template.starts_with("/health"),
            metrics: layer
                .metrics
                .as_ref()
                .map(|metrics| metrics.route(template)),
        }
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> Service<Request> for Observe<S>
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

    fn call(&mut self, mut request: Request) -> Self::Future {
        let started = Instant::now();
        // The clone takes the place of the instance that was polled ready.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let route_cell = Arc::clone(&self.route);
        let layer = self.layer.clone();

        Box::pin(async move {
            let route =
                route_cell.get_or_init(|| RouteInfo::new(request.extensions().get(), &layer));
            let request_id = request_id(request.headers());
            mark_sensitive(request.headers_mut());
            let span = request_span(layer.listener, &request_id);
            let mut in_flight = InFlight::start(
                route,
                layer.metrics.as_deref(),
                request.method().clone(),
                request.uri().clone(),
                span.clone(),
                started,
            );

            let Ok(mut response) = inner.call(request).instrument(span).await;

            let cause = response
                .extensions()
                .get::<ErrorReport>()
                .and_then(|report| report.cause.clone());
            if error::needs_rendering(&response) {
                response = error::render(response, request_id.to_str().unwrap_or_default());
            }
            let headers = response.headers_mut();
            headers.reserve(SECURITY_HEADERS.len() + 1);
            for (name, value) in &SECURITY_HEADERS {
                headers.insert(name, value.clone());
            }
            headers.insert(&REQUEST_ID, request_id);
            in_flight.finish(response.status().as_u16(), cause.as_deref());
            Ok(response)
        })
    }
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

fn mark_sensitive(headers: &mut HeaderMap) {
    for name in &SENSITIVE_HEADERS {
        if let header::Entry::Occupied(mut entry) = headers.entry(name) {
            for value in entry.iter_mut() {
                value.set_sensitive(true);
            }
        }
    }
}

fn request_span(listener: Listener, request_id: &HeaderValue) -> Span {
    let request_id = request_id.to_str().unwrap_or_default();
    match listener {
        Listener::App => tracing::info_span!(target: REQUEST_SPAN_TARGET, "request", request_id),
        Listener::Admin => {
            tracing::info_span!(target: REQUEST_SPAN_TARGET, "admin_request", request_id)
        }
    }
}

/// A request being served: counted in flight until dropped, and logged and measured
/// exactly once, also when its client goes away and the server drops it unanswered.
struct InFlight<'a> {
    route: &'a RouteInfo,
    gauge: Option<&'a HttpMetrics>,
    method: Method,
    uri: Uri,
    span: Span,
    started: Instant,
    finished: bool,
}

impl<'a> InFlight<'a> {
    fn start(
        route: &'a RouteInfo,
        gauge: Option<&'a HttpMetrics>,
        method: Method,
        uri: Uri,
        span: Span,
        started: Instant,
    ) -> Self {
        if let Some(metrics) = gauge {
            metrics.in_flight.inc();
        }
        Self {
            route,
            gauge,
            method,
            uri,
            span,
            started,
            finished: false,
        }
    }

    fn finish(&mut self, status: u16, error: Option<&str>) {
        self.finished = true;
        let elapsed = self.started.elapsed().as_secs_f64();
        if let Some(metrics) = &self.route.metrics {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            metrics.observe(&self.method, status, elapsed);
        }
        let _entered = self.span.enter();
        let method = method_label(&self.method);
        let route = &*self.route.template;
        let path = self.uri.path();
        let duration_ms = elapsed * 1000.0;
        if self.route.quiet {
            tracing::debug!(target: ACCESS_LOG_TARGET, method, route, path, status, duration_ms, error, "request");
        } else {
            tracing::info!(target: ACCESS_LOG_TARGET, method, route, path, status, duration_ms, error, "request");
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.finish(CLIENT_CLOSED_REQUEST, None);
        }
        if let Some(metrics) = self.gauge {
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
