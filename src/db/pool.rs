//! The Postgres pool: every wait bounded, dead connections noticed, metrics exposed.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use deadpool_postgres::{Hook, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, IntGaugeVec, Opts};
use secrecy::{ExposeSecret, SecretString};

use crate::db::tls;

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

/// The pool, opening its connections through `manager` (see [`url_manager`], and
/// [`crate::db::rotation::Rotation::manager`] for credentials from the secret), with
/// `pre_recycle` checking each connection handed out again. No connection is opened
/// here: the first is opened by the first request or readiness check, so the service
/// starts even while Postgres is down.
pub fn build(manager: Manager, pre_recycle: Option<Hook>, max_size: usize) -> anyhow::Result<Pool> {
    let mut builder = Pool::builder(manager);
    if let Some(hook) = pre_recycle {
        builder = builder.pre_recycle(hook);
    }
    builder
        .max_size(max_size)
        .wait_timeout(Some(WAIT_TIMEOUT))
        .create_timeout(Some(CREATE_TIMEOUT))
        .recycle_timeout(Some(RECYCLE_TIMEOUT))
        .runtime(Runtime::Tokio1)
        .build()
        .context("cannot build the database pool")
}

/// A connection manager for `url`, with the credentials in it.
pub fn url_manager(url: &SecretString, ca_file: Option<&Path>) -> anyhow::Result<Manager> {
    let (config, ssl_mode) = base_config(Some(url))?;
    Ok(Manager::from_config(
        config,
        tls::connector(ssl_mode, ca_file)?,
        manager_config(),
    ))
}

/// How every manager recycles: `Fast` asks the client whether its connection task has
/// ended, which it has once Postgres restarted or closed the socket; a per-checkout
/// test query would cost a round trip on every request.
pub fn manager_config() -> ManagerConfig {
    ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    }
}

/// The settings of `url`, or libpq's defaults without one, with those every connection
/// is opened with; and the TLS mode.
pub fn base_config(
    url: Option<&SecretString>,
) -> anyhow::Result<(tokio_postgres::Config, tls::SslMode)> {
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
    apply_settings(&mut config);
    Ok((config, ssl_mode))
}

/// What every connection is opened with, whoever's credentials.
pub fn apply_settings(config: &mut tokio_postgres::Config) {
    config
        .application_name("hello-service")
        .connect_timeout(CONNECT_TIMEOUT)
        .keepalives(true)
        .keepalives_idle(KEEPALIVE_IDLE)
        .options(format!(
            "-c statement_timeout={}",
            STATEMENT_TIMEOUT.as_millis()
        ));
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
