//! `/admin/faults`: fault injection for drills, on the admin listener only.
//!
//! A drill sets latency, an error rate, a panic rate, failing readiness or a slow
//! database ([`crate::faults`]), and the app routes (never the health routes) suffer
//! them until the faults are cleared. It needs
//! `Authorization: Bearer $APP_ADMIN_TOKEN` (or the secret's `admin_token`, which wins),
//! and without a token at start the routes do not exist (404).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::faults::{FaultSettings, Faults, MAX_LATENCY_MS};
use crate::http::error::{ApiError, FieldError};
use crate::http::extract::JsonObject;
use crate::secrets::Secrets;

/// The state of the admin routes.
#[derive(Debug, Clone)]
pub struct Admin {
    /// `APP_ADMIN_TOKEN`, when set.
    pub token: Option<SecretString>,
    /// The secret, whose `admin_token` wins over `APP_ADMIN_TOKEN` and may rotate.
    pub secrets: Option<Arc<Secrets>>,
    /// The faults they set.
    pub faults: Arc<Faults>,
}

impl Admin {
    /// The admin routes' state when they are enabled: when a token is set at start, in
    /// `APP_ADMIN_TOKEN` or in the secret. Without one the routes do not exist.
    pub fn enabled(
        token: Option<SecretString>,
        secrets: Option<Arc<Secrets>>,
        faults: Arc<Faults>,
    ) -> Option<Self> {
        let from_secret = secrets
            .as_ref()
            .is_some_and(|secrets| secrets.current().admin_token.is_some());
        (token.is_some() || from_secret).then_some(Self {
            token,
            secrets,
            faults,
        })
    }

    /// The token in force: the secret's as last read, else `APP_ADMIN_TOKEN`.
    fn token(&self) -> Option<SecretString> {
        self.secrets
            .as_ref()
            .and_then(|secrets| secrets.current().admin_token.clone())
            .or_else(|| self.token.clone())
    }
}

/// `/admin/faults`, when [`Admin::enabled`] says so.
pub fn routes(admin: Option<Admin>) -> Router {
    let Some(admin) = admin else {
        return Router::new();
    };
    Router::new()
        .route(
            "/admin/faults",
            get(show_faults).put(set_faults).delete(clear_faults),
        )
        .with_state(admin)
}

fn authorize(admin: &Admin, headers: &HeaderMap) -> Result<(), ApiError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let Some(token) = admin
        .token()
        .filter(|token| !token.expose_secret().is_empty())
    else {
        return Err(ApiError::Unauthorized);
    };
    if constant_time_eq(presented.as_bytes(), token.expose_secret().as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// Compares without stopping at the first difference, so response timing does not
/// reveal how much of a guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

async fn show_faults(
    State(admin): State<Admin>,
    headers: HeaderMap,
) -> Result<Json<FaultSettings>, ApiError> {
    authorize(&admin, &headers)?;
    Ok(Json(admin.faults.settings()))
}

async fn set_faults(
    State(admin): State<Admin>,
    headers: HeaderMap,
    body: JsonObject,
) -> Result<Json<FaultSettings>, ApiError> {
    authorize(&admin, &headers)?;
    let settings = parse_settings(&body.0)?;
    admin.faults.set(settings);
    tracing::warn!(?settings, "faults injected");
    Ok(Json(settings))
}

async fn clear_faults(
    State(admin): State<Admin>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    authorize(&admin, &headers)?;
    admin.faults.set(FaultSettings::default());
    tracing::warn!("faults cleared");
    Ok(StatusCode::NO_CONTENT)
}

fn parse_settings(body: &serde_json::Map<String, Value>) -> Result<FaultSettings, ApiError> {
    let mut settings = FaultSettings::default();
    let mut problems = Vec::new();
    for (field, value) in body {
        let valid = match field.as_str() {
            "latency_ms" => value
                .as_u64()
                .filter(|ms| *ms <= MAX_LATENCY_MS)
                .map(|ms| settings.latency_ms = ms)
                .ok_or("must be a whole number of milliseconds from 0 to 60000"),
            "error_rate" => rate(value).map(|rate| settings.error_rate = rate),
            "panic_rate" => rate(value).map(|rate| settings.panic_rate = rate),
            "db_latency_ms" => value
                .as_u64()
                .filter(|ms| *ms <= MAX_LATENCY_MS)
                .map(|ms| settings.db_latency_ms = ms)
                .ok_or("must be a whole number of milliseconds from 0 to 60000"),
            "fail_readiness" => value
                .as_bool()
                .map(|fail| settings.fail_readiness = fail)
                .ok_or("must be true or false"),
            _ => Err("is not a known fault"),
        };
        if let Err(message) = valid {
            problems.push(FieldError::new(field, message));
        }
    }
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(ApiError::Validation(problems))
    }
}

fn rate(value: &Value) -> Result<f64, &'static str> {
    value
        .as_f64()
        .filter(|rate| (0.0..=1.0).contains(rate))
        .ok_or("must be a number from 0 to 1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_name_every_bad_field() {
        let body = json!({"latency_ms": -5, "error_rate": 2, "panic_rate": 0.5, "colour": "red"});
        let Err(ApiError::Validation(problems)) = parse_settings(body.as_object().expect("object"))
        else {
            panic!("three fields are invalid");
        };
        let mut fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["colour", "error_rate", "latency_ms"]);
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
    }
}
