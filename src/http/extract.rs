//! Request extractors that fail with [`ApiError`], so bad input gets the same JSON
//! errors everywhere: 415 for a body that is not JSON, 413 over the limit, 400 for
//! malformed JSON, and field-by-field 422s from the route's own validation.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde_json::{Map, Value};

use crate::http::error::ApiError;

/// A request body that is a JSON object, left as a map so that a route can check every
/// field and name each bad one, where deserializing stops at the first.
#[derive(Debug)]
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(
                "the body must be JSON, with `content-type: application/json`".to_owned(),
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest {
                        message: "the request body could not be read".to_owned(),
                        details: Vec::new(),
                    }
                }
            })?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(object)) => Ok(Self(object)),
            Ok(_) => Err(ApiError::BadRequest {
                message: "the body must be a JSON object".to_owned(),
                details: Vec::new(),
            }),
            Err(error) => Err(ApiError::BadRequest {
                message: format!(
                    "malformed JSON at line {} column {}",
                    error.line(),
                    error.column()
                ),
                details: Vec::new(),
            }),
        }
    }
}
