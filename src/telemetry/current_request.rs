//! The request a log line belongs to.
//!
//! Every line logged while a request is served carries its `request_id`, `trace_id` and
//! `span_id`. That context
//! travels with the request's future as a tokio task-local, swapped in for each poll,
//! rather than as a `tracing` span: a span per request costs the registry a slot, a
//! lock-protected extension map and bookkeeping on every poll, which the request path's
//! budget cannot afford for what is one id (docs/design.md section 10).

use std::future::Future;

use axum::http::HeaderValue;

use crate::telemetry::traceparent::TraceIds;

tokio::task_local! {
    static REQUEST: CurrentRequest;
}

/// What the log lines of one request share.
#[derive(Debug, Clone)]
pub struct CurrentRequest {
    /// The request id, as echoed in `x-request-id`.
    pub request_id: HeaderValue,
    /// The trace and span the request belongs to.
    pub trace: TraceIds,
}

impl CurrentRequest {
    /// Runs `future` with this context current on every poll.
    pub fn scope<F: Future>(self, future: F) -> impl Future<Output = F::Output> {
        REQUEST.scope(self, future)
    }

    /// Runs `f` with this context current.
    pub fn sync_scope<R>(self, f: impl FnOnce() -> R) -> R {
        REQUEST.sync_scope(self, f)
    }
}

/// Calls `f` with the context of the request being served here, if there is one.
pub fn with_current<R>(f: impl FnOnce(&CurrentRequest) -> R) -> Option<R> {
    REQUEST.try_with(f).ok()
}
