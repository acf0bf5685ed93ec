//! The HTTP surface: every route of both listeners, assembled in one place.
//!
//! The request path (docs/design.md section 3): sensitive headers are marked first, then
//! [`middleware::RequestPath`] does the rest in order; axum's `DefaultBodyLimit` holds
//! streamed bodies to `APP_BODY_LIMIT` as extractors read them.

pub mod admin;
pub mod error;
pub mod extract;
pub mod greetings;
pub mod health;
pub mod middleware;
pub mod server;
pub mod shed;

/// Headers whose values must never reach a log, whatever logs them later.
const SENSITIVE_HEADERS: [HeaderName; 3] =
    [header::AUTHORIZATION, header::COOKIE, header::SET_COOKIE];

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::{HeaderName, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::sensitive_headers::SetSensitiveHeadersLayer;

use crate::build_info::{BUILD, BuildInfo};
use crate::config::Config;
use crate::db::Database;
use crate::faults::Faults;
use crate::secrets::Secrets;
use crate::telemetry::{Metrics, RequestTracer};

use self::admin::Admin;
use self::error::ApiError;
use self::greetings::Greetings;
use self::health::Health;
use self::middleware::RequestPathLayer;

/// What the routers are built from.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Health, turned to draining by shutdown.
    pub health: Arc<Health>,
    /// Faults injected through the admin listener.
    pub faults: Arc<Faults>,
    /// The app's metrics registry.
    pub metrics: Metrics,
    /// The database, when one is configured.
    pub db: Option<Database>,
    /// Traces the app listener's requests, when traces are exported.
    pub tracer: Option<RequestTracer>,
    /// The Secrets Manager secret, when one is configured.
    pub secrets: Option<Arc<Secrets>>,
}

impl AppState {
    /// Fresh state with the given parts; `faults` are the ones `db` drills with.
    pub fn new(
        metrics: Metrics,
        db: Option<Database>,
        tracer: Option<RequestTracer>,
        secrets: Option<Arc<Secrets>>,
        faults: Arc<Faults>,
    ) -> Self {
        Self {
            health: Arc::new(Health::new(Arc::clone(&faults), db.clone())),
            faults,
            metrics,
            db,
            tracer,
            secrets,
        }
    }
}

/// The router of the app listener.
pub fn app_router(config: &Config, state: &AppState) -> Router {
    let path = RequestPathLayer::app(
        Arc::clone(&state.metrics.http),
        config.max_concurrency,
        config.request_timeout,
        config.body_limit,
        Arc::clone(&state.faults),
        state.tracer.clone(),
    );
    Router::new()
        .route("/", get(hello))
        .route("/version", get(version))
        .merge(greetings::routes(Greetings(state.db.clone())))
        .fallback(not_found)
        .layer(path.clone())
        // Merged after the layer above, so they get only the probes' path.
        .merge(health::routes(Arc::clone(&state.health)).layer(path.for_probes()))
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(SetSensitiveHeadersLayer::new(SENSITIVE_HEADERS))
        // Turns every handler into its finished route now. A router still holding
        // handlers builds their routes, layers included, again on every request.
        .with_state(())
}

/// The router of the admin listener.
pub fn admin_router(config: &Config, state: &AppState) -> Router {
    let admin = Admin::enabled(
        config.admin_token.clone(),
        state.secrets.clone(),
        Arc::clone(&state.faults),
    );
    let path = RequestPathLayer::admin(config.body_limit);
    let probes = Router::new()
        .route("/metrics", get(metrics).with_state(state.metrics.clone()))
        .merge(health::routes(Arc::clone(&state.health)));
    Router::new()
        .merge(admin::routes(admin))
        .fallback(not_found)
        .layer(path.clone())
        // Merged after the layer above, so they get only the probes' path.
        .merge(probes.layer(path.for_probes()))
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(SetSensitiveHeadersLayer::new(SENSITIVE_HEADERS))
        // Turns every handler into its finished route now. A router still holding
        // handlers builds their routes, layers included, again on every request.
        .with_state(())
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
