//! Health routes. `/health` is the load balancer's: it says whether this process wants
//! traffic, and never asks the database, because on ECS a failing target-group check
//! replaces the task and a database outage must not take the whole fleet with it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::db::{Database, DatabaseStatus};
use crate::faults::Faults;

/// What the health routes report.
#[derive(Debug, Default)]
pub struct Health {
    draining: AtomicBool,
    faults: Arc<Faults>,
    database: Option<Database>,
}

impl Health {
    /// Health that answers for the database, when there is one, and for injected
    /// readiness failures.
    pub fn new(faults: Arc<Faults>, database: Option<Database>) -> Self {
        Self {
            draining: AtomicBool::new(false),
            faults,
            database,
        }
    }

    /// Turns `/health` and `/health/ready` to 503: shutdown has begun.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}

/// The health routes, served on both listeners.
pub fn routes(health: Arc<Health>) -> Router {
    Router::new()
        .route("/health", get(health_check))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .with_state(health)
}

fn static_json(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn health_check(State(health): State<Arc<Health>>) -> Response {
    if health.is_draining() {
        static_json(StatusCode::SERVICE_UNAVAILABLE, r#"{"status":"draining"}"#)
    } else {
        static_json(StatusCode::OK, r#"{"status":"ok"}"#)
    }
}

async fn live() -> Response {
    static_json(StatusCode::OK, r#"{"status":"ok"}"#)
}

async fn ready(State(health): State<Arc<Health>>) -> Response {
    let draining = health.is_draining();
    let fault = health.faults.fail_readiness();
    let database = health.database.as_ref().map(Database::health);
    let database_up = database
        .as_ref()
        .is_none_or(|db| db.status == DatabaseStatus::Up);
    let ready = !draining && !fault && database_up;
    let mut checks = json!({
        "database": database.map_or_else(|| json!({ "status": "disabled" }), |db| json!(db)),
    });
    if fault {
        checks["fault"] = json!({ "status": "down", "error": "readiness failure injected" });
    }
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "draining": draining,
        "checks": checks,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
