//! The one error type of the HTTP edge and the JSON every error answers with.
//!
//! [`ApiError`]'s `IntoResponse` is pure: it sets the status and attaches an
//! [`ErrorReport`] to the response. The outermost middleware renders the report as
//! `{"error":{"code","message","request_id","details"}}`, because only it knows the
//! request id, and logs the cause once, on the access line. Responses made elsewhere
//! with a bare or plain-text body (405 from the router, 413 from axum's body limit) are
//! rendered the same way from their status alone, so no route can ever answer an error
//! in anything but JSON.

use std::borrow::Cow;
use std::error::Error as StdError;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::db::DbError;
use crate::telemetry::error_chain;

/// Everything a handler or middleware can answer with instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed input: bad JSON, a bad query parameter.
    #[error("{message}")]
    BadRequest {
        /// What is wrong, for the client.
        message: String,
        /// The parameters at fault.
        details: Vec<FieldError>,
    },
    /// Missing or wrong credentials.
    #[error("missing or invalid credentials")]
    Unauthorized,
    /// Nothing here.
    #[error("the requested resource does not exist")]
    NotFound,
    /// A body over `APP_BODY_LIMIT`.
    #[error("the request body is larger than the limit")]
    PayloadTooLarge,
    /// A body in a format the route does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Well-formed input with invalid fields; `details` names every one.
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    /// Too many requests in flight; shed at once rather than queued.
    #[error("the service is overloaded, try again")]
    Overloaded,
    /// The database is not configured or cannot be reached.
    #[error("the database is unavailable, try again")]
    DatabaseUnavailable,
    /// The request took longer than `APP_REQUEST_TIMEOUT`.
    #[error("the request took longer than the time limit")]
    Timeout,
    /// The database answered a query with a failure; what it says decides the status,
    /// and its cause goes to the access line, never to the client.
    #[error("{}", database_message(.0))]
    Database(#[from] DbError),
    /// A bug or a failure we did not plan for. The cause is logged, never shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn StdError + Send + Sync>),
}

/// One invalid field or parameter.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as the client sent it.
    pub field: String,
    /// What is expected of it.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl ApiError {
    /// Wraps an unexpected failure.
    pub fn internal(cause: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Overloaded | Self::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Self::Database(error) => match error {
                DbError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                DbError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
                DbError::Conflict(_) => StatusCode::CONFLICT,
                DbError::NotFound => StatusCode::NOT_FOUND,
                DbError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Overloaded => "overloaded",
            Self::DatabaseUnavailable | Self::Database(DbError::Unavailable(_)) => {
                "database_unavailable"
            }
            _ => default_code(self.status()),
        }
    }

    /// What goes to the log beside the status: the cause of a failure on our side.
    fn cause(&self) -> Option<String> {
        match self {
            Self::Internal(cause) => Some(error_chain(cause.as_ref())),
            Self::Database(DbError::NotFound) => None,
            Self::Database(error) => Some(error_chain(error)),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let report = ErrorReport {
            code: self.code(),
            message: Cow::Owned(self.to_string()),
            details: match &self {
                Self::BadRequest { details, .. } | Self::Validation(details) => details.clone(),
                _ => Vec::new(),
            },
            cause: self.cause(),
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(report);
        response
    }
}

/// What an error response says, before the middleware renders it with the request id.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    code: &'static str,
    message: Cow<'static, str>,
    details: Vec<FieldError>,
    /// The internal cause, for the log only.
    pub cause: Option<String>,
}

impl ErrorReport {
    /// The report for a status that came without one: a router 405, a limit's 413.
    pub fn for_status(status: StatusCode) -> Self {
        Self {
            code: default_code(status),
            message: Cow::Borrowed(default_message(status)),
            details: Vec::new(),
            cause: None,
        }
    }
}

/// Whether a response needs its body rendered as a JSON error: every error status,
/// except answers that already are JSON (the health routes' 503 keeps its own body).
pub fn needs_rendering(response: &Response) -> bool {
    if response.extensions().get::<ErrorReport>().is_some() {
        return true;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    response.status().as_u16() >= 400 && !is_json
}

/// Replaces the body of an error response with the JSON error, naming the request id.
pub fn render(response: Response, request_id: &str) -> Response {
    #[derive(Serialize)]
    struct Body<'a> {
        error: Inner<'a>,
    }
    #[derive(Serialize)]
    struct Inner<'a> {
        code: &'a str,
        message: &'a str,
        request_id: &'a str,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        details: &'a [FieldError],
    }

    let (mut parts, _) = response.into_parts();
    let report = parts
        .extensions
        .get::<ErrorReport>()
        .cloned()
        .unwrap_or_else(|| ErrorReport::for_status(parts.status));
    let body = Body {
        error: Inner {
            code: report.code,
            message: &report.message,
            request_id,
            details: &report.details,
        },
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

#[allow(
    clippy::match_overlapping_arm,
    reason = "the known codes first, then their class"
)]
fn default_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        429 => "too_many_requests",
        503 => "unavailable",
        504 => "timeout",
        400..=499 => "client_error",
        _ => "internal",
    }
}

fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => "the requested resource does not exist",
        405 => "the method is not allowed on this route",
        413 => "the request body is larger than the limit",
        504 => "the request took longer than the time limit",
        500..=599 => "internal error",
        _ => status.canonical_reason().unwrap_or("error"),
    }
}

/// What the client is told of a database failure: what to do, never the cause.
fn database_message(error: &DbError) -> &'static str {
    match error {
        DbError::Unavailable(_) => "the database is unavailable, try again",
        DbError::Timeout(_) => "the request took longer than the time limit",
        DbError::Conflict(_) => "the request conflicts with the current state of the resource",
        DbError::NotFound => "the requested resource does not exist",
        DbError::Failed(_) => "internal error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn rendered(response: Response) -> serde_json::Value {
        let response = render(response, "req-1");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("in-memory body")
            .to_bytes();
        serde_json::from_slice(&bytes).expect("JSON body")
    }

    #[tokio::test]
    async fn validation_errors_name_every_field() {
        let error = ApiError::Validation(vec![
            FieldError::new("name", "must be 1 to 64 characters"),
            FieldError::new("message", "is required"),
        ]);
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = rendered(error.into_response()).await;
        assert_eq!(body["error"]["code"], "validation_failed");
        assert_eq!(body["error"]["request_id"], "req-1");
        assert_eq!(body["error"]["details"][1]["field"], "message");
    }

    #[tokio::test]
    async fn internal_errors_never_show_their_cause() {
        let response = ApiError::internal("connection refused to 10.0.0.5").into_response();
        assert_eq!(
            response
                .extensions()
                .get::<ErrorReport>()
                .and_then(|r| r.cause.as_deref()),
            Some("connection refused to 10.0.0.5")
        );
        let body = rendered(response).await;
        assert_eq!(body["error"]["code"], "internal");
        assert!(!body.to_string().contains("10.0.0.5"));
    }

    #[tokio::test]
    async fn a_lost_database_is_503_with_its_cause_in_the_log_only() {
        let lost = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by 10.0.0.7");
        let response = ApiError::from(DbError::Unavailable(lost.into())).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response
                .extensions()
                .get::<ErrorReport>()
                .and_then(|r| r.cause.as_deref()),
            Some("database unavailable: reset by 10.0.0.7")
        );
        let body = rendered(response).await;
        assert_eq!(body["error"]["code"], "database_unavailable");
        assert!(!body.to_string().contains("10.0.0.7"));

        let missing = ApiError::from(DbError::NotFound).into_response();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(rendered(missing).await["error"]["code"], "not_found");
    }

    #[tokio::test]
    async fn bare_statuses_get_a_json_body() {
        let body = rendered(StatusCode::METHOD_NOT_ALLOWED.into_response()).await;
        assert_eq!(body["error"]["code"], "method_not_allowed");
        assert!(body["error"].get("details").is_none());
    }
}
