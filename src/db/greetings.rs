//! Greeting queries. Statements are prepared once per connection and cached.
//!
//! Each query runs in a `db.query` span carrying the OpenTelemetry database conventions
//! (exported as a client span named `INSERT greetings` and so on, the child of the
//! request's span) and ends with a DEBUG line giving its operation and duration, never
//! the values of its parameters.

use std::future::Future;
use std::time::{Instant, SystemTime};

use futures_util::FutureExt as _;
use tokio_postgres::{GenericClient, Row};
use tracing::Instrument as _;

use crate::db::{Database, DbError};

/// The table every query here reads or writes.
const TABLE: &str = "greetings";

/// What a query does.
struct Operation {
    /// `db.operation.name`.
    name: &'static str,
    /// The span's name: `{db.operation.name} {db.collection.name}`.
    span_name: &'static str,
}

const INSERT: Operation = Operation {
    name: "INSERT",
    span_name: "INSERT greetings",
};
const SELECT: Operation = Operation {
    name: "SELECT",
    span_name: "SELECT greetings",
};
const DELETE: Operation = Operation {
    name: "DELETE",
    span_name: "DELETE greetings",
};

/// Runs one query in its span and logs it at DEBUG.
async fn traced<T>(
    operation: Operation,
    query: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, tokio_postgres::Error> {
    let span = tracing::debug_span!(
        target: "hello_service::db",
        "db.query",
        otel.name = operation.span_name,
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        db.system.name = "postgresql",
        db.operation.name = operation.name,
        db.collection.name = TABLE,
        db.response.status_code = tracing::field::Empty,
        error.type = tracing::field::Empty,
    );
    let started = Instant::now();
    let result = query.instrument(span.clone()).await;
    if let Err(error) = &result {
        // The SQLSTATE, as the conventions ask: a code, never a message with values. An
        // error without one never reached the database.
        match error.code() {
            Some(state) => {
                span.record("db.response.status_code", state.code());
                span.record("error.type", state.code());
            }
            None => {
                span.record("error.type", "connection");
            }
        }
        span.record("otel.status_code", "error");
    }
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        tracing::debug!(target: "hello_service::db", duration_ms, ok = result.is_ok(), "query");
    });
    result
}

/// A stored greeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// Assigned by the database, ascending with insertion.
    pub id: i64,
    /// Who greets.
    pub name: String,
    /// What they say.
    pub message: String,
    /// When it was stored.
    pub created_at: SystemTime,
}

impl From<&Row> for Greeting {
    fn from(row: &Row) -> Self {
        Self {
            id: row.get("id"),
            name: row.get("name"),
            message: row.get("message"),
            created_at: row.get("created_at"),
        }
    }
}

/// Stores a greeting.
pub async fn insert(db: &Database, name: &str, message: &str) -> Result<Greeting, DbError> {
    db.write(move |client| {
        traced(INSERT, async move {
            let statement = client
                .prepare_cached(
                    "INSERT INTO greetings (name, message) VALUES ($1, $2)
                     RETURNING id, name, message, created_at",
                )
                .await?;
            let row = client.query_one(&statement, &[&name, &message]).await?;
            Ok(Greeting::from(&row))
        })
        .boxed()
    })
    .await
}

/// Up to `limit` greetings, newest first, older than the greeting `before` when given.
pub async fn list(
    db: &Database,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Greeting>, DbError> {
    db.read(move |client| {
        traced(SELECT, async move {
            let statement = client
                .prepare_cached(
                    "SELECT id, name, message, created_at FROM greetings
                     WHERE id < $1 ORDER BY id DESC LIMIT $2",
                )
                .await?;
            let rows = client
                .query(&statement, &[&before.unwrap_or(i64::MAX), &limit])
                .await?;
            Ok(rows.iter().map(Greeting::from).collect())
        })
        .boxed()
    })
    .await
}

/// One greeting, or [`DbError::NotFound`].
pub async fn find(db: &Database, id: i64) -> Result<Greeting, DbError> {
    db.read(move |client| {
        traced(SELECT, async move {
            let statement = client
                .prepare_cached("SELECT id, name, message, created_at FROM greetings WHERE id = $1")
                .await?;
            let row = client.query_opt(&statement, &[&id]).await?;
            Ok(row.as_ref().map(Greeting::from))
        })
        .boxed()
    })
    .await?
    .ok_or(DbError::NotFound)
}

/// Deletes a greeting, or answers [`DbError::NotFound`] when there was none.
pub async fn delete(db: &Database, id: i64) -> Result<(), DbError> {
    let deleted = db
        .write(move |client| {
            traced(DELETE, async move {
                let statement = client
                    .prepare_cached("DELETE FROM greetings WHERE id = $1")
                    .await?;
                client.execute(&statement, &[&id]).await
            })
            .boxed()
        })
        .await?;
    if deleted == 1 {
        Ok(())
    } else {
        Err(DbError::NotFound)
    }
}

/// Holds the connection for `seconds` in the database: the drill behind the
/// `db_latency_ms` fault.
pub(crate) async fn sleep(
    client: &impl GenericClient,
    seconds: f64,
) -> Result<(), tokio_postgres::Error> {
    client.execute("SELECT pg_sleep($1)", &[&seconds]).await?;
    Ok(())
}
