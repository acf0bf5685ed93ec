//! Postgres: the pool, its health, migrations and the queries.

mod error;
pub mod greetings;
pub mod migrate;
pub mod pool;
pub mod rotation;
pub mod tls;

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use deadpool_postgres::{Client, Object, Pool, PoolError};
use futures_util::future::BoxFuture;
use prometheus::{Histogram, HistogramOpts, IntCounterVec, Opts, Registry};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

pub use self::error::DbError;
use self::error::{Failure, is_rejected_password, pool_error_kind};
use self::rotation::Rotation;
use crate::config::DatabaseConfig;
use crate::faults::Faults;
use crate::secrets::Secrets;
use crate::telemetry::error_chain;

/// How often readiness pings the database.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(2);
/// How long a readiness ping may take before the database counts as down.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// Buckets for the time a request waits for a connection: almost always immediate,
/// and at most the pool's 2 s wait timeout.
const ACQUIRE_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.0,
];

/// The database, as the rest of the service sees it.
#[derive(Debug, Clone)]
pub struct Database {
    pool: Pool,
    acquire: Histogram,
    errors: IntCounterVec,
    health: Arc<RwLock<DatabaseHealth>>,
    /// When the credentials come from Secrets Manager, and so may rotate.
    rotation: Option<Rotation>,
    /// For the `db_latency_ms` drill.
    faults: Arc<Faults>,
}

/// Whether the database answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseStatus {
    /// The last ping was answered.
    Up,
    /// The last ping failed, or none has been answered yet.
    Down,
}

/// What readiness reports of the database.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseHealth {
    /// Whether the last ping succeeded.
    pub status: DatabaseStatus,
    /// The last ping's round trip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// When the last ping ended, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
    /// Why the database is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Database {
    /// The pool and its metrics, when a database is configured: by `DATABASE_URL`, or by
    /// credentials with a host in the secret. Credentials in the secret override those
    /// of the URL, and follow the secret as it rotates. Opens no connection.
    pub fn new(
        config: &DatabaseConfig,
        registry: &Registry,
        secrets: Option<&Arc<Secrets>>,
    ) -> anyhow::Result<Option<Self>> {
        let from_secret = secrets.and_then(|secrets| {
            let credentials = secrets.current().database.clone()?;
            Some((credentials, Arc::clone(secrets)))
        });
        let ca_file = config.ca_file.as_deref();
        let (pool, rotation) = match (&config.url, from_secret) {
            (None, None) => return Ok(None),
            (None, Some((credentials, _))) if credentials.host.is_none() => {
                anyhow::bail!(
                    "the secret holds database credentials but no `host`: set DATABASE_URL to say where the database is"
                );
            }
            (url, Some((credentials, secrets))) => {
                let rotation = Rotation::new(credentials, url.as_ref(), ca_file, secrets)?;
                let hook = Some(rotation.retire_hook());
                (
                    pool::build(rotation.manager(), hook, config.pool_max)?,
                    Some(rotation),
                )
            }
            (Some(url), None) => {
                let manager = pool::url_manager(url, ca_file)?;
                (pool::build(manager, None, config.pool_max)?, None)
            }
        };
        let acquire = Histogram::with_opts(
            HistogramOpts::new(
                "db_pool_acquire_duration_seconds",
                "Time requests waited for a Postgres connection.",
            )
            .buckets(ACQUIRE_BUCKETS.to_vec()),
        )?;
        let errors = IntCounterVec::new(
            Opts::new(
                "db_pool_errors_total",
                "Failures to get a Postgres connection or run a query.",
            ),
            &["kind"],
        )?;
        registry.register(Box::new(acquire.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(pool::PoolCollector::new(pool.clone())?))?;
        Ok(Some(Self {
            pool,
            acquire,
            errors,
            health: Arc::new(RwLock::new(DatabaseHealth {
                status: DatabaseStatus::Down,
                latency_ms: None,
                checked_at: None,
                error: Some("not checked yet".to_owned()),
            })),
            rotation,
            faults: Arc::default(),
        }))
    }

    /// The database with its queries held up by `faults`' `db_latency_ms` drill.
    #[must_use]
    pub fn with_drills(self, faults: Arc<Faults>) -> Self {
        Self { faults, ..self }
    }

    /// Runs `query`, a read, on a pooled connection. A read whose connection turns out
    /// to be lost (Postgres or a middlebox closed it while it sat idle in the pool, and
    /// the close was not seen before the query went out, or Postgres ended it under the
    /// query, as on a failover) runs once more on another: a read changes nothing, so
    /// running it twice is safe.
    pub async fn read<'q, T>(
        &self,
        // The query owns the connection it runs on, and gives it back to the pool as it
        // ends. Boxed rather than an async closure: an async closure's future is not
        // yet known to be `Send`, which axum's handlers need.
        query: impl Fn(Client) -> BoxFuture<'q, Result<T, tokio_postgres::Error>>,
    ) -> Result<T, DbError> {
        match query(self.connection().await?).await {
            Err(error) if Failure::of(&error) == Failure::ConnectionLost => {
                let lost = self.failed(error);
                let cause = error_chain(&lost);
                tracing::info!(
                    cause,
                    "the connection was lost under a read; reading again on another"
                );
                query(self.connection().await?)
                    .await
                    .map_err(|error| self.failed(error))
            }
            result => result.map_err(|error| self.failed(error)),
        }
    }

    /// Runs `statement`, a write, once: a connection lost after the statement was sent
    /// leaves unknown whether it ran, so it answers [`DbError::Unavailable`] for the
    /// client to decide.
    pub async fn write<'q, T>(
        &self,
        statement: impl FnOnce(Client) -> BoxFuture<'q, Result<T, tokio_postgres::Error>>,
    ) -> Result<T, DbError> {
        statement(self.connection().await?)
            .await
            .map_err(|error| self.failed(error))
    }

    /// A pooled connection, after the `db_latency_ms` drill if one is in force.
    async fn connection(&self) -> Result<Object, DbError> {
        let client = self.client().await?;
        if let Some(latency) = self.faults.db_latency() {
            greetings::sleep(&**client, latency.as_secs_f64())
                .await
                .map_err(|error| self.failed(error))?;
        }
        Ok(client)
    }

    /// A pooled connection, within the wait timeout. When Postgres rejects the password
    /// and the credentials come from the secret, the secret is read again (at most every
    /// few seconds) and, if the credentials changed, the connection tried once more with
    /// them.
    async fn client(&self) -> Result<Object, DbError> {
        let started = Instant::now();
        // Read before trying, so a rotation that lands meanwhile still earns a retry.
        let before = self.rotation.as_ref().map(Rotation::current);
        let mut result = self.pool.get().await;
        if let (Err(PoolError::Backend(error)), Some(rotation), Some(before)) =
            (&result, &self.rotation, before)
            && is_rejected_password(error)
            && rotation.password_rejected(&self.pool, &before).await
        {
            result = self.pool.get().await;
        }
        self.acquire.observe(started.elapsed().as_secs_f64());
        result.map_err(|error| {
            self.count_error(pool_error_kind(&error));
            DbError::Unavailable(error.into())
        })
    }

    /// Counts a failed query and says what it means for the caller.
    fn failed(&self, error: tokio_postgres::Error) -> DbError {
        let failure = Failure::of(&error);
        self.count_error(failure.kind());
        failure.into_error(error)
    }

    fn count_error(&self, kind: &str) {
        self.errors.with_label_values(&[kind]).inc();
    }

    /// The readiness state, as the last background ping left it.
    pub fn health(&self) -> DatabaseHealth {
        self.health
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Pings the database every [`CHECK_INTERVAL`] until `stop`, so that readiness
    /// probes read a cached state and never query.
    pub async fn watch_health(self, stop: CancellationToken) {
        loop {
            let started = Instant::now();
            let tried = self.rotation.as_ref().map(Rotation::current);
            let mut rejected = false;
            let outcome = tokio::time::timeout(CHECK_TIMEOUT, async {
                let client = self.pool.get().await.map_err(|error| {
                    rejected = matches!(&error, PoolError::Backend(e) if is_rejected_password(e));
                    error.to_string()
                })?;
                client
                    .simple_query("SELECT 1")
                    .await
                    .map_err(|e| e.to_string())
            })
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {CHECK_TIMEOUT:?}")));
            // With no traffic (a load balancer that stopped sending it to an unready
            // task) only this ping meets a rotated password: it re-reads the secret too.
            if let (true, Some(rotation), Some(tried)) = (rejected, &self.rotation, &tried) {
                rotation.password_rejected(&self.pool, tried).await;
            }
            let checked_at = Some(humantime::format_rfc3339_millis(SystemTime::now()).to_string());
            let health = match outcome {
                Ok(_) => DatabaseHealth {
                    status: DatabaseStatus::Up,
                    latency_ms: Some(started.elapsed().as_secs_f64() * 1000.0),
                    checked_at,
                    error: None,
                },
                Err(error) => DatabaseHealth {
                    status: DatabaseStatus::Down,
                    latency_ms: None,
                    checked_at,
                    error: Some(error),
                },
            };
            let was = std::mem::replace(
                &mut *self.health.write().unwrap_or_else(PoisonError::into_inner),
                health.clone(),
            );
            if was.status != health.status {
                match &health.error {
                    None => tracing::info!("database is up"),
                    Some(error) => tracing::warn!(%error, "database is down"),
                }
            }
            // Connections opened before a rotation that were busy at the time have come
            // back by now: close them while idle, so the pool ends on the new credentials.
            if let Some(rotation) = &self.rotation {
                rotation.retire_old(&self.pool);
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(CHECK_INTERVAL) => {}
            }
        }
    }

    /// Applies pending migrations (see [`migrate`]) and returns the versions applied.
    pub async fn migrate(&self) -> anyhow::Result<Vec<i64>> {
        use anyhow::Context as _;
        let mut client = self
            .pool
            .get()
            .await
            .context("cannot connect to the database to migrate it")?;
        migrate::run(&mut client)
            .await
            .context("a migration failed")
    }

    /// Closes the pool: idle connections now, busy ones as they come back.
    pub fn close(&self) {
        self.pool.close();
    }

    /// Moves the pool to the secret's credentials each time the secret changes, until
    /// `stop`. Does nothing when the credentials do not come from the secret.
    pub async fn follow_secret_changes(self, stop: CancellationToken) {
        if let Some(rotation) = self.rotation {
            rotation.follow_secret_changes(self.pool, stop).await;
        }
    }
}
