//! `/api/v1/greetings`: the database-backed resource (docs/design.md section 5).
//!
//! Input is checked before availability: a malformed or invalid request gets its 4xx
//! even while the database is down.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::db::Database;
use crate::db::greetings::{self, Greeting};
use crate::http::error::{ApiError, FieldError};
use crate::http::extract::JsonObject;

/// The collection's path; a greeting lives at `{COLLECTION}/{id}`.
pub const COLLECTION: &str = "/api/v1/greetings";
/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: i64 = 20;
/// Largest page.
pub const MAX_LIMIT: i64 = 100;
/// Longest name, in Unicode scalar values after trimming.
pub const MAX_NAME_CHARS: usize = 64;
/// Longest message, in Unicode scalar values after trimming.
pub const MAX_MESSAGE_CHARS: usize = 280;

/// What the greeting routes need: the database, or `None` when none is configured and
/// the routes answer 503.
#[derive(Debug, Clone)]
pub struct Greetings(pub Option<Database>);

impl Greetings {
    fn db(&self) -> Result<&Database, ApiError> {
        self.0.as_ref().ok_or(ApiError::DatabaseUnavailable)
    }
}

/// The routes of the resource.
pub fn routes(state: Greetings) -> Router {
    Router::new()
        .route(COLLECTION, get(list).post(create))
        .route(&format!("{COLLECTION}/{{id}}"), get(find).delete(delete))
        .with_state(state)
}

/// A greeting as the API shows it.
#[derive(Debug, Serialize)]
struct GreetingBody {
    id: i64,
    name: String,
    message: String,
    created_at: String,
}

impl From<Greeting> for GreetingBody {
    fn from(greeting: Greeting) -> Self {
        Self {
            id: greeting.id,
            name: greeting.name,
            message: greeting.message,
            created_at: humantime::format_rfc3339_micros(greeting.created_at).to_string(),
        }
    }
}

#[derive(Debug, Serialize)]
struct Page {
    items: Vec<GreetingBody>,
    next_cursor: Option<String>,
}

async fn create(State(state): State<Greetings>, body: JsonObject) -> Result<Response, ApiError> {
    let (name, message) = validate_new(&body.0)?;
    let greeting = greetings::insert(state.db()?, &name, &message).await?;
    let location = format!("{COLLECTION}/{}", greeting.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(GreetingBody::from(greeting)),
    )
        .into_response())
}

async fn list(
    State(state): State<Greetings>,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Page>, ApiError> {
    let Query(params) = query.map_err(|_| ApiError::BadRequest {
        message: "the query string is malformed".to_owned(),
        details: Vec::new(),
    })?;
    let (limit, before) = parse_page(&params)?;
    // One more than asked: whether it comes back says if there is a next page.
    let mut rows = greetings::list(state.db()?, before, limit + 1).await?;
    let has_more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = has_more
        .then(|| rows.last().map(|last| encode_cursor(last.id)))
        .flatten();
    Ok(axum::Json(Page {
        items: rows.into_iter().map(GreetingBody::from).collect(),
        next_cursor,
    }))
}

async fn find(
    State(state): State<Greetings>,
    Path(id): Path<String>,
) -> Result<axum::Json<GreetingBody>, ApiError> {
    let id = parse_id(&id)?;
    let greeting = greetings::find(state.db()?, id).await?;
    Ok(axum::Json(greeting.into()))
}

async fn delete(
    State(state): State<Greetings>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    greetings::delete(state.db()?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An id that is not a positive number names nothing: 404, as for an unknown id.
fn parse_id(id: &str) -> Result<i64, ApiError> {
    id.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(ApiError::NotFound)
}

/// The name and message of a new greeting, trimmed, or every problem with them.
fn validate_new(body: &Map<String, Value>) -> Result<(String, String), ApiError> {
    let mut problems = Vec::new();
    let name = text_field(body, "name", MAX_NAME_CHARS, &mut problems);
    let message = text_field(body, "message", MAX_MESSAGE_CHARS, &mut problems);
    match (name, message) {
        (Some(name), Some(message)) if problems.is_empty() => Ok((name, message)),
        _ => Err(ApiError::Validation(problems)),
    }
}

fn text_field(
    body: &Map<String, Value>,
    field: &str,
    max_chars: usize,
    problems: &mut Vec<FieldError>,
) -> Option<String> {
    let rule = format!("must be a string of 1 to {max_chars} characters");
    let Some(value) = body.get(field) else {
        problems.push(FieldError::new(field, format!("is required; {rule}")));
        return None;
    };
    let Some(text) = value.as_str() else {
        problems.push(FieldError::new(field, rule));
        return None;
    };
    let text = text.trim();
    if text.chars().any(char::is_control) {
        problems.push(FieldError::new(
            field,
            "must not contain control characters",
        ));
        return None;
    }
    if !(1..=max_chars).contains(&text.chars().count()) {
        problems.push(FieldError::new(field, rule));
        return None;
    }
    Some(text.to_owned())
}

/// `limit` and the id the cursor points past, or a 400 naming the bad parameter.
fn parse_page(params: &[(String, String)]) -> Result<(i64, Option<i64>), ApiError> {
    let mut limit = DEFAULT_LIMIT;
    let mut before = None;
    let mut problems = Vec::new();
    for (name, value) in params {
        match name.as_str() {
            "limit" => match value.parse::<i64>() {
                Ok(value) if (1..=MAX_LIMIT).contains(&value) => limit = value,
                _ => problems.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                )),
            },
            "cursor" => match decode_cursor(value) {
                Some(id) => before = Some(id),
                None => problems.push(FieldError::new(
                    "cursor",
                    "is not a cursor this API returned",
                )),
            },
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok((limit, before))
    } else {
        Err(ApiError::BadRequest {
            message: "invalid query parameters".to_owned(),
            details: problems,
        })
    }
}

/// Opaque to clients, so the pagination key can change without breaking them.
fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(id.to_be_bytes())
}

fn decode_cursor(cursor: &str) -> Option<i64> {
    let bytes: [u8; 8] = URL_SAFE_NO_PAD.decode(cursor).ok()?.try_into().ok()?;
    Some(i64::from_be_bytes(bytes)).filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(body: &Value) -> Vec<String> {
        match validate_new(body.as_object().expect("an object")) {
            Ok(_) => Vec::new(),
            Err(ApiError::Validation(problems)) => problems.into_iter().map(|p| p.field).collect(),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn names_and_messages_are_checked_after_trimming() {
        assert!(problems(&json!({"name": "  Ada ", "message": "Hi"})).is_empty());
        assert_eq!(
            problems(&json!({"name": "   ", "message": 5})),
            ["name", "message"]
        );
        assert_eq!(
            problems(&json!({"message": "x".repeat(281)})),
            ["name", "message"]
        );
        assert_eq!(
            problems(&json!({"name": "é".repeat(64), "message": "ok"})),
            Vec::<String>::new()
        );
        assert_eq!(
            problems(&json!({"name": "a\u{7}b", "message": "ok"})),
            ["name"]
        );
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("not-a-cursor"), None);
        assert_eq!(decode_cursor(""), None);
    }
}
