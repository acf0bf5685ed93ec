//! The HTTP surface: every route of both listeners, assembled in one place.
//!
//! The request path, outermost first (DESIGN.md section 3): [`middleware::Observe`]
//! (request id, sensitive headers, span, access log and metrics, security headers,
//! JSON errors), then load shedding, the request timeout, the body limit, panic
//! catching, and injected faults. The health routes skip shedding, the timeout and the
//! faults: shedding the load balancer's check would get a busy task replaced.

pub mod admin;
pub mod error;
pub mod extract;
pub mod health;
pub mod middleware;
pub mod server;
pub mod shed;

use std::any::Any;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::build_info::{BUILD, BuildInfo};
use crate::config::Config;
use crate::telemetry::Metrics;

use self::admin::{Admin, FaultLayer, Faults};
use self::error::ApiError;
use self::health::Health;
use self::middleware::ObserveLayer;
use self::shed::ShedLayer;

/// What the routers are built from.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Health, turned to draining by shutdown.
    pub health: Arc<Health>,
    /// Faults injected through the admin listener.
    pub faults: Arc<Faults>,
    /// The app's metrics registry.
    pub metrics: Metrics,
}

impl AppState {
    /// Fresh state with the given metrics.
    pub fn new(metrics: Metrics) -> Self {
        let faults = Arc::new(Faults::default());
        Self {
            health: Arc::new(Health::new(Arc::clone(&faults))),
            faults,
            metrics,
        }
    }
}

/// The router of the app listener.
pub fn app_router(config: &Config, state: &AppState) -> Router {
    let guarded = ServiceBuilder::new()
        .layer(ShedLayer::new(config.max_concurrency))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            config.request_timeout,
        ))
        // The timeout needs a body it can make empty; the layers below change its type.
        .map_response(IntoResponse::into_response)
        .layer(RequestBodyLimitLayer::new(config.body_limit))
        .layer(CatchPanicLayer::custom(panicked))
        .layer(FaultLayer(Arc::clone(&state.faults)));

    Router::new()
        .route("/", get(hello))
        .route("/version", get(version))
        .fallback(not_found)
        .layer(guarded)
        .merge(health::routes(Arc::clone(&state.health)).layer(CatchPanicLayer::custom(panicked)))
        .layer(ObserveLayer::app(Arc::clone(&state.metrics.http)))
}

/// The router of the admin listener.
pub fn admin_router(config: &Config, state: &AppState) -> Router {
    let admin = config.admin_token.clone().map(|token| Admin {
        token,
        faults: Arc::clone(&state.faults),
    });
    Router::new()
        .route("/metrics", get(metrics).with_state(state.metrics.clone()))
        .merge(admin::routes(admin))
        .merge(health::routes(Arc::clone(&state.health)))
        .fallback(not_found)
        .layer(RequestBodyLimitLayer::new(config.body_limit))
        .layer(CatchPanicLayer::custom(panicked))
        .layer(ObserveLayer::admin())
}

async fn hello() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"message":"Hello, World!"}"#,
    )
        .into_response()
}

async fn version() -> Json<BuildInfo> {
    Json(BUILD)
}

async fn metrics(State(metrics): State<Metrics>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// The panic itself is logged by the panic hook, with the request id; the client
/// learns only that it failed.
fn panicked(_panic: Box<dyn Any + Send + 'static>) -> Response {
    ApiError::internal("the handler panicked").into_response()
}
