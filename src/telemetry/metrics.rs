//! Prometheus metrics: one registry owned by the app, no global state.
//!
//! The request path never looks a series up by its labels. Each route resolves its own
//! series table once, and a request then finds its counter and histogram by indexing
//! with its method and status code: no hashing, no locks, two atomic adds.

use std::sync::{Arc, Mutex, OnceLock};

use axum::http::{Method, StatusCode};
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};

use crate::build_info::BuildInfo;

/// Request duration buckets in seconds: fine below 100 ms, where this service lives,
/// and up to the 10 s default request timeout.
const DURATION_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The `method` label values: the standard methods, and `_OTHER` for the rest, so a
/// scanner inventing methods cannot create series.
const METHODS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "_OTHER",
];

/// The status codes a series table has room for: all that HTTP defines.
const STATUS_RANGE: std::ops::Range<u16> = 100..600;

/// The app's metrics and the registry that exposes them.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// Server-side HTTP metrics of the app listener.
    pub http: Arc<HttpMetrics>,
}

impl Metrics {
    /// Creates and registers every metric the service exposes.
    pub fn new(build: &BuildInfo) -> prometheus::Result<Self> {
        let registry = Registry::new();

        let build_info = IntGauge::with_opts(
            Opts::new(
                "hello_service_build_info",
                "Build of the running service; always 1.",
            )
            .const_label("version", build.version)
            .const_label("git_sha", build.git_sha),
        )?;
        build_info.set(1);
        registry.register(Box::new(build_info))?;

        #[cfg(target_os = "linux")]
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;

        let http = Arc::new(HttpMetrics::new(&registry)?);
        Ok(Self { registry, http })
    }

    /// The registry, for components that add their own metrics.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Everything in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        // Encoding into memory fails only on metric families that cannot be written,
        // which the registry refuses to register in the first place.
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(%error, "cannot encode metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

/// `http_server_*` metrics.
#[derive(Debug)]
pub struct HttpMetrics {
    requests: IntCounterVec,
    duration: HistogramVec,
    /// Requests being served right now.
    pub in_flight: IntGauge,
    routes: Mutex<Vec<Arc<RouteMetrics>>>,
}

impl HttpMetrics {
    fn new(registry: &Registry) -> prometheus::Result<Self> {
        let labels = &["method", "route", "status"];
        let requests = IntCounterVec::new(
            Opts::new("http_server_requests_total", "HTTP requests served."),
            labels,
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_server_request_duration_seconds",
                "Time from a request's arrival to its response headers.",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
            labels,
        )?;
        let in_flight = IntGauge::new(
            "http_server_requests_in_flight",
            "HTTP requests being served.",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        Ok(Self {
            requests,
            duration,
            in_flight,
            routes: Mutex::new(Vec::new()),
        })
    }

    /// The series table of a route template (`unmatched` for 404s). Called once per
    /// route and cached by the caller; the lock is never taken on the request path.
    pub fn route(&self, template: &str) -> Arc<RouteMetrics> {
        let mut routes = self
            .routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(route) = routes.iter().find(|route| route.template == template) {
            return Arc::clone(route);
        }
        let route = Arc::new(RouteMetrics {
            template: template.to_owned(),
            requests: self.requests.clone(),
            duration: self.duration.clone(),
            series: std::array::from_fn(|_| OnceLock::new()),
        });
        routes.push(Arc::clone(&route));
        route
    }
}

/// The series of one route, created on first use per method and status.
#[derive(Debug)]
pub struct RouteMetrics {
    template: String,
    requests: IntCounterVec,
    duration: HistogramVec,
    series: [OnceLock<Box<[OnceLock<Series>]>>; METHODS.len()],
}

#[derive(Debug)]
struct Series {
    requests: IntCounter,
    duration: Histogram,
}

impl RouteMetrics {
    /// Counts one request and records its duration in seconds.
    pub fn observe(&self, method: &Method, status: StatusCode, seconds: f64) {
        let method = method_index(method);
        let code = status.as_u16();
        let Some(slot) = code.checked_sub(STATUS_RANGE.start) else {
            return;
        };
        let table = self.series[method].get_or_init(|| {
            STATUS_RANGE
                .map(|_| OnceLock::new())
                .collect::<Vec<_>>()
                .into_boxed_slice()
        });
        let Some(cell) = table.get(usize::from(slot)) else {
            return;
        };
        let series = cell.get_or_init(|| {
            let labels = [METHODS[method], self.template.as_str(), status.as_str()];
            Series {
                requests: self.requests.with_label_values(&labels),
                duration: self.duration.with_label_values(&labels),
            }
        });
        series.requests.inc();
        series.duration.observe(seconds);
    }
}

fn method_index(method: &Method) -> usize {
    match *method {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PUT => 3,
        Method::DELETE => 4,
        Method::CONNECT => 5,
        Method::OPTIONS => 6,
        Method::TRACE => 7,
        Method::PATCH => 8,
        _ => 9,
    }
}

/// The `method` label value of a request method.
pub fn method_label(method: &Method) -> &'static str {
    METHODS[method_index(method)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build_info::BUILD;

    #[test]
    fn series_are_created_once_and_labelled_by_template() {
        let metrics = Metrics::new(&BUILD).expect("metrics register");
        let route = metrics.http.route("/items/{id}");
        assert!(Arc::ptr_eq(&route, &metrics.http.route("/items/{id}")));
        route.observe(&Method::GET, StatusCode::OK, 0.002);
        route.observe(&Method::GET, StatusCode::OK, 0.004);
        route.observe(
            &Method::from_bytes(b"BREW").expect("valid token"),
            StatusCode::NOT_FOUND,
            0.001,
        );
        let text = metrics.render();
        assert!(text.contains(
            r#"http_server_requests_total{method="GET",route="/items/{id}",status="200"} 2"#
        ));
        assert!(text.contains(
            r#"http_server_requests_total{method="_OTHER",route="/items/{id}",status="404"} 1"#
        ));
        assert!(text.contains("hello_service_build_info{"));
    }
}
