//! Embedded, versioned SQL migrations.
//!
//! Each runs once, in order, inside one transaction that first takes an advisory lock:
//! two tasks migrating at once (two ECS tasks starting together with
//! `APP_DB_MIGRATE_ON_START=true`) serialize, and the second finds nothing left to do.

use std::collections::HashSet;

use tokio_postgres::Client;

/// One migration: its version, its name and its SQL, compiled into the binary.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Applied in ascending order; never reused.
    pub version: i64,
    /// What it does, for `schema_migrations` and the log.
    pub name: &'static str,
    /// The statements.
    pub sql: &'static str,
}

/// Every migration, oldest first. Add new ones at the end; never edit an applied one.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "create_greetings",
    sql: include_str!("migrations/0001_create_greetings.sql"),
}];

/// The advisory lock key that serializes migrations ("hello" in ASCII).
const LOCK_KEY: i64 = 0x68_65_6c_6c_6f;

/// Applies every pending migration and returns the versions applied now.
pub async fn run(client: &mut Client) -> Result<Vec<i64>, tokio_postgres::Error> {
    let transaction = client.transaction().await?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await?;
    transaction
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    bigint      PRIMARY KEY,
                 name       text        NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await?;
    let applied: HashSet<i64> = transaction
        .query("SELECT version FROM schema_migrations", &[])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut now_applied = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        transaction.batch_execute(migration.sql).await?;
        transaction
            .execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                &[&migration.version, &migration.name],
            )
            .await?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "migration applied"
        );
        now_applied.push(migration.version);
    }
    transaction.commit().await?;
    Ok(now_applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_ascend_without_gaps() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, i64::try_from(index).expect("few") + 1);
        }
    }
}
