//! The Postgres pool: every wait bounded, dead connections noticed, metrics exposed.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use arc_swap::ArcSwap;
use deadpool_postgres::{
    Connect, Hook, HookError, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime,
};
use futures_util::future::BoxFuture;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, IntGaugeVec, Opts};
use secrecy::{ExposeSecret, SecretString};
use tokio::task::JoinHandle;

use crate::db::tls;
use crate::secrets::DbCredentials;

/// How long a request waits for a free connection before it is answered 503.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long opening a connection may take, handshake and authentication included.
pub const CREATE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long checking a returning connection may take.
pub const RECYCLE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the TCP connect itself may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Idle time before TCP keepalives probe a connection, so a peer that vanished without
/// closing (a failover, a dropped NAT entry) is noticed.
pub const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
/// Longest a single statement may run; Postgres cancels it past this.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Builds the pool for `url`, or for the address in `credentials` when there is no URL.
/// No connection is opened here: the first is opened by the first request or readiness
/// check, so the service starts even while Postgres is down.
///
/// Each connection is opened with the credentials `credentials` holds at that moment
/// (overriding those parts of the URL), so a rotation applies to every connection opened
/// after it; [`retire_older_than`] and the pool's recycling hook retire the ones opened
/// before.
pub fn build(
    url: Option<&SecretString>,
    credentials: Option<Arc<Credentials>>,
    max_size: usize,
    ca_file: Option<&Path>,
) -> anyhow::Result<Pool> {
    let (mut config, ssl_mode) = match url {
        Some(url) => {
            let (url, ssl_mode) = tls::split_ssl_mode(url.expose_secret())?;
            let config: tokio_postgres::Config = url
                .parse()
                // The parse error would quote the URL, password and all.
                .map_err(|_| anyhow::anyhow!("DATABASE_URL is not a valid Postgres URL"))?;
            (config, ssl_mode)
        }
        // libpq's default mode, as for a URL without `sslmode`.
        None => (tokio_postgres::Config::new(), tls::SslMode::Prefer),
    };
    config
        .application_name("hello-service")
        .connect_timeout(CONNECT_TIMEOUT)
        .keepalives(true)
        .keepalives_idle(KEEPALIVE_IDLE)
        .options(format!(
            "-c statement_timeout={}",
            STATEMENT_TIMEOUT.as_millis()
        ));
    // `Fast` recycling asks the client whether its connection task has ended, which it
    // has once Postgres restarted or closed the socket; a per-checkout test query would
    // cost a round trip on every request.
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let tls = tls::connector(ssl_mode, ca_file)?;
    let builder = match credentials {
        None => Pool::builder(Manager::from_config(config, tls, manager_config)),
        Some(credentials) => {
            let retiring = Arc::clone(&credentials);
            Pool::builder(Manager::from_connect(
                config,
                RotatingConnect { tls, credentials },
                manager_config,
            ))
            // A connection opened before a rotation is not handed out again.
            .pre_recycle(Hook::sync_fn(move |_, metrics| {
                if retiring.opened_before_rotation(metrics.created) {
                    Err(HookError::message("opened with credentials since rotated"))
                } else {
                    Ok(())
                }
            }))
        }
    };
    builder
        .max_size(max_size)
        .wait_timeout(Some(WAIT_TIMEOUT))
        .create_timeout(Some(CREATE_TIMEOUT))
        .recycle_timeout(Some(RECYCLE_TIMEOUT))
        .runtime(Runtime::Tokio1)
        .build()
        .context("cannot build the database pool")
}

/// Closes the idle connections opened before the last rotation; busy ones are retired by
/// the recycling hook when next handed out.
pub fn retire_older_than_rotation(pool: &Pool, credentials: &Credentials) {
    pool.retain(|_, metrics| !credentials.opened_before_rotation(metrics.created));
}

/// The credentials new connections are opened with, from the Secrets Manager secret.
#[derive(Debug)]
pub struct Credentials {
    current: ArcSwap<DbCredentials>,
    /// When the credentials last changed, as time since `epoch`, in nanoseconds: read by
    /// every checkout, so an atomic rather than a lock.
    rotated_at: AtomicU64,
    epoch: Instant,
}

impl Credentials {
    /// Starts with `initial`.
    pub fn new(initial: DbCredentials) -> Self {
        Self {
            current: ArcSwap::from_pointee(initial),
            rotated_at: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// The credentials new connections use.
    pub fn current(&self) -> Arc<DbCredentials> {
        self.current.load_full()
    }

    /// Switches to `next` if it differs; returns whether it did.
    pub fn rotate(&self, next: &DbCredentials) -> bool {
        if *self.current.load_full() == *next {
            return false;
        }
        self.current.store(Arc::new(next.clone()));
        let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.rotated_at.store(now, Ordering::Release);
        true
    }

    fn opened_before_rotation(&self, created: Instant) -> bool {
        let rotated_at = self.rotated_at.load(Ordering::Acquire);
        rotated_at != 0
            && u64::try_from(created.saturating_duration_since(self.epoch).as_nanos())
                .unwrap_or(u64::MAX)
                < rotated_at
    }
}

/// Opens connections with the current [`Credentials`] over the configured address.
struct RotatingConnect {
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    credentials: Arc<Credentials>,
}

impl Connect for RotatingConnect {
    fn connect(
        &self,
        base: &tokio_postgres::Config,
    ) -> BoxFuture<'_, Result<(tokio_postgres::Client, JoinHandle<()>), tokio_postgres::Error>>
    {
        let mut config = base.clone();
        let credentials = self.credentials.current();
        config
            .user(&credentials.username)
            .password(credentials.password.expose_secret());
        if let Some(host) = &credentials.host {
            config.host(host);
        }
        if let Some(port) = credentials.port {
            config.port(port);
        }
        if let Some(dbname) = &credentials.dbname {
            config.dbname(dbname);
        }
        let tls = self.tls.clone();
        Box::pin(async move {
            let (client, connection) = config.connect(tls).await?;
            let task = tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "database connection ended");
                }
            });
            Ok((client, task))
        })
    }
}

/// `db_pool_connections{state}` and `db_pool_max_connections`, read from the pool at
/// scrape time rather than kept up to date on every checkout.
#[derive(Debug)]
pub struct PoolCollector {
    pool: Pool,
    connections: IntGaugeVec,
    max: IntGauge,
}

impl PoolCollector {
    /// A collector for `pool`.
    pub fn new(pool: Pool) -> prometheus::Result<Self> {
        Ok(Self {
            pool,
            connections: IntGaugeVec::new(
                Opts::new(
                    "db_pool_connections",
                    "Pooled Postgres connections by state.",
                ),
                &["state"],
            )?,
            max: IntGauge::new(
                "db_pool_max_connections",
                "Most Postgres connections the pool opens.",
            )?,
        })
    }
}

impl Collector for PoolCollector {
    fn desc(&self) -> Vec<&Desc> {
        let mut descs = self.connections.desc();
        descs.extend(self.max.desc());
        descs
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let status = self.pool.status();
        let gauge = |value: usize| i64::try_from(value).unwrap_or(i64::MAX);
        self.connections
            .with_label_values(&["idle"])
            .set(gauge(status.available));
        self.connections
            .with_label_values(&["in_use"])
            .set(gauge(status.size.saturating_sub(status.available)));
        self.max.set(gauge(status.max_size));
        let mut families = self.connections.collect();
        families.extend(self.max.collect());
        families
    }
}
