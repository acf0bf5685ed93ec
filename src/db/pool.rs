//! The Postgres pool: every wait bounded, dead connections noticed, metrics exposed.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
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
use tokio_postgres::config::Host;
use tokio_postgres_rustls::MakeRustlsConnect;

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
/// after it; [`retire_older_than_rotation`] and the pool's recycling hook retire the ones
/// opened before.
pub fn build(
    url: Option<&SecretString>,
    credentials: Option<Arc<Credentials>>,
    max_size: usize,
    ca_file: Option<&Path>,
) -> anyhow::Result<Pool> {
    let (config, ssl_mode) = base_config(url)?;
    // `Fast` recycling asks the client whether its connection task has ended, which it
    // has once Postgres restarted or closed the socket; a per-checkout test query would
    // cost a round trip on every request.
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let builder = match credentials {
        None => Pool::builder(Manager::from_config(
            config,
            tls::connector(ssl_mode, ca_file)?,
            manager_config,
        )),
        Some(credentials) => {
            let retiring = Arc::clone(&credentials);
            Pool::builder(Manager::from_connect(
                config,
                RotatingConnect(credentials),
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
///
/// A change takes effect for connections opened from then on. The connections opened
/// before are retired only once a connection has been opened with the new credentials:
/// a wrong password put in the secret by hand then costs no working connection.
pub struct Credentials {
    /// The URL's settings, or the defaults without a URL.
    base: tokio_postgres::Config,
    /// TLS as the URL's `sslmode` says.
    tls: MakeRustlsConnect,
    /// The credentials and their generation, replaced whole on a change.
    current: ArcSwap<Generation>,
    /// The last generation a connection was opened with.
    confirmed: AtomicU64,
    /// When a connection was first opened with new credentials, as nanoseconds since
    /// `epoch` plus one (0: never): connections opened before are retired. Read by
    /// every checkout, so an atomic rather than a lock.
    retire_before: AtomicU64,
    /// The origin of `retire_before`.
    epoch: Instant,
}

/// One version of the credentials.
#[derive(Debug)]
struct Generation {
    number: u64,
    credentials: DbCredentials,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Starts with `initial`, over the settings of `url` (or the defaults without one).
    pub fn new(
        initial: DbCredentials,
        url: Option<&SecretString>,
        ca_file: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let (base, ssl_mode) = base_config(url)?;
        Ok(Self {
            base,
            tls: tls::connector(ssl_mode, ca_file)?,
            current: ArcSwap::from_pointee(Generation {
                number: 0,
                credentials: initial,
            }),
            confirmed: AtomicU64::new(0),
            retire_before: AtomicU64::new(0),
            epoch: Instant::now(),
        })
    }

    /// Opens a connection with the current credentials.
    async fn connect(
        &self,
    ) -> Result<(tokio_postgres::Client, JoinHandle<()>), tokio_postgres::Error> {
        // A connection opened with credentials replaced while it was being opened would
        // pass for a new one; it is opened again instead.
        loop {
            let generation = self.current.load_full();
            let config = with_credentials(&self.base, &generation.credentials);
            let (client, connection) = config.connect(self.tls.clone()).await?;
            if self.current.load().number != generation.number {
                continue;
            }
            self.confirm(generation.number);
            let task = tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "database connection ended");
                }
            });
            return Ok((client, task));
        }
    }

    /// Opens and closes a connection with the current credentials, so that, if they
    /// work, the connections opened with the ones before are retired without waiting for
    /// the pool to need a new one.
    pub async fn verify(&self) -> Result<(), tokio_postgres::Error> {
        self.connect().await.map(drop)
    }

    /// The credentials new connections use.
    pub fn current(&self) -> DbCredentials {
        self.current.load().credentials.clone()
    }

    /// Switches to `next` if it differs; returns whether it did.
    pub fn rotate(&self, next: &DbCredentials) -> bool {
        let current = self.current.load();
        if current.credentials == *next {
            return false;
        }
        self.current.store(Arc::new(Generation {
            number: current.number + 1,
            credentials: next.clone(),
        }));
        true
    }

    /// A connection was opened with generation `number`: if it is the newest that
    /// worked, the connections opened before it are retired from now on.
    fn confirm(&self, number: u64) {
        if self.confirmed.fetch_max(number, Ordering::AcqRel) < number {
            let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
            self.retire_before.store(now + 1, Ordering::Release);
        }
    }

    fn opened_before_rotation(&self, created: Instant) -> bool {
        let retire_before = self.retire_before.load(Ordering::Acquire);
        let created = u64::try_from(created.saturating_duration_since(self.epoch).as_nanos())
            .unwrap_or(u64::MAX - 1);
        retire_before != 0 && created + 1 < retire_before
    }
}

/// Opens the pool's connections with the current [`Credentials`].
struct RotatingConnect(Arc<Credentials>);

impl Connect for RotatingConnect {
    fn connect(
        &self,
        _base: &tokio_postgres::Config,
    ) -> BoxFuture<'_, Result<(tokio_postgres::Client, JoinHandle<()>), tokio_postgres::Error>>
    {
        Box::pin(self.0.connect())
    }
}

/// `base` with the secret's credentials, and its `host`, `port` and `dbname` in place of
/// the URL's where the secret has them.
fn with_credentials(
    base: &tokio_postgres::Config,
    credentials: &DbCredentials,
) -> tokio_postgres::Config {
    let mut config = tokio_postgres::Config::new();
    config
        .user(&credentials.username)
        .password(credentials.password.expose_secret())
        .ssl_mode(base.get_ssl_mode())
        .target_session_attrs(base.get_target_session_attrs())
        .channel_binding(base.get_channel_binding());
    if let Some(dbname) = credentials.dbname.as_deref().or(base.get_dbname()) {
        config.dbname(dbname);
    }
    match &credentials.host {
        Some(host) => {
            config.host(host);
        }
        None => {
            for host in base.get_hosts() {
                match host {
                    Host::Tcp(name) => config.host(name),
                    Host::Unix(path) => config.host_path(path),
                };
            }
        }
    }
    // The URL's ports go with the URL's hosts.
    match credentials.port {
        Some(port) => {
            config.port(port);
        }
        None if credentials.host.is_none() => {
            for port in base.get_ports() {
                config.port(*port);
            }
        }
        None => {}
    }
    apply_settings(&mut config);
    config
}

/// The settings of `url`, or libpq's defaults without one, with those every connection
/// is opened with; and the TLS mode.
fn base_config(
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
fn apply_settings(config: &mut tokio_postgres::Config) {
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
