//! Greeting queries. Statements are prepared once per connection and cached.

use std::time::SystemTime;

use tokio_postgres::{GenericClient, Row};

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
pub async fn insert(
    client: &deadpool_postgres::Client,
    name: &str,
    message: &str,
) -> Result<Greeting, tokio_postgres::Error> {
    let statement = client
        .prepare_cached(
            "INSERT INTO greetings (name, message) VALUES ($1, $2)
             RETURNING id, name, message, created_at",
        )
        .await?;
    tracing::debug!(target: "hello_service::db", statement = "insert greeting", "query");
    let row = client.query_one(&statement, &[&name, &message]).await?;
    Ok(Greeting::from(&row))
}

/// Up to `limit` greetings, newest first, older than the greeting `before` when given.
pub async fn list(
    client: &deadpool_postgres::Client,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Greeting>, tokio_postgres::Error> {
    let statement = client
        .prepare_cached(
            "SELECT id, name, message, created_at FROM greetings
             WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .await?;
    tracing::debug!(target: "hello_service::db", statement = "list greetings", "query");
    let rows = client
        .query(&statement, &[&before.unwrap_or(i64::MAX), &limit])
        .await?;
    Ok(rows.iter().map(Greeting::from).collect())
}

/// One greeting.
pub async fn find(
    client: &deadpool_postgres::Client,
    id: i64,
) -> Result<Option<Greeting>, tokio_postgres::Error> {
    let statement = client
        .prepare_cached("SELECT id, name, message, created_at FROM greetings WHERE id = $1")
        .await?;
    tracing::debug!(target: "hello_service::db", statement = "find greeting", "query");
    let row = client.query_opt(&statement, &[&id]).await?;
    Ok(row.as_ref().map(Greeting::from))
}

/// Deletes a greeting; says whether there was one.
pub async fn delete(
    client: &deadpool_postgres::Client,
    id: i64,
) -> Result<bool, tokio_postgres::Error> {
    let statement = client
        .prepare_cached("DELETE FROM greetings WHERE id = $1")
        .await?;
    tracing::debug!(target: "hello_service::db", statement = "delete greeting", "query");
    Ok(client.execute(&statement, &[&id]).await? == 1)
}

/// Holds the connection for `seconds` in the database: the drill behind the
/// `db_latency_ms` fault.
pub async fn sleep(client: &impl GenericClient, seconds: f64) -> Result<(), tokio_postgres::Error> {
    client.execute("SELECT pg_sleep($1)", &[&seconds]).await?;
    Ok(())
}
