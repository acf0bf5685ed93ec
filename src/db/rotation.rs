//! Database credentials that follow the Secrets Manager secret: the one place that
//! knows how a rotation goes.
//!
//! The pool opens every connection with the credentials [`Rotation`] holds at that
//! moment. The rest of `db` tells it one thing, [`Rotation::password_rejected`], and it
//! reads the secret again, moves to new credentials, and retires the connections opened
//! with the old ones once a new one works.
//!
//! AWS rotates by setting the new password in the database and only then making it the
//! secret's current version. In between, the current version still holds the rejected
//! password and the pending version (`AWSPENDING`) the working one: the pending version
//! is used until the current one changes.

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use deadpool_postgres::{Connect, Hook, HookError, Manager, Pool};
use futures_util::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio_postgres::config::Host;
use tokio_postgres_rustls::MakeRustlsConnect;
use tokio_util::sync::CancellationToken;

use crate::db::{pool, tls};
use crate::secrets::{DbCredentials, Secrets};

/// After Postgres rejects the password, the secret is read again at most this often.
pub const REREAD_INTERVAL: Duration = Duration::from_secs(5);
/// How long a request waits for the secret to be read again after Postgres rejected its
/// password, within the request's own time limit.
pub const REREAD_LIMIT: Duration = Duration::from_secs(4);

/// Credentials that follow the secret.
#[derive(Debug, Clone)]
pub struct Rotation(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    generations: Arc<Generations>,
    secrets: Arc<Secrets>,
    /// When the secret was last read again because Postgres rejected a password; held
    /// while reading, so concurrent rejections wait for one read.
    last_reread: Mutex<Option<Instant>>,
    /// The credentials Postgres last rejected, while the secret's current version still
    /// holds them: a change of the secret to them is not followed.
    rejected: std::sync::Mutex<Option<DbCredentials>>,
}

impl Rotation {
    /// Starts with `initial`, over the settings of `url` (or the defaults without one).
    pub fn new(
        initial: DbCredentials,
        url: Option<&SecretString>,
        ca_file: Option<&Path>,
        secrets: Arc<Secrets>,
    ) -> anyhow::Result<Self> {
        Ok(Self(Arc::new(Inner {
            generations: Arc::new(Generations::new(initial, url, ca_file)?),
            secrets,
            last_reread: Mutex::new(None),
            rejected: std::sync::Mutex::new(None),
        })))
    }

    /// The pool's connection manager: each connection opened with the credentials of
    /// the moment.
    pub fn manager(&self) -> Manager {
        Manager::from_connect(
            self.0.generations.base.clone(),
            RotatingConnect(Arc::clone(&self.0.generations)),
            pool::manager_config(),
        )
    }

    /// The pool's recycling hook: a connection opened before a rotation is not handed
    /// out again.
    pub fn retire_hook(&self) -> Hook {
        let credentials = Arc::clone(&self.0.generations);
        Hook::sync_fn(move |_, metrics| {
            if credentials.opened_before_rotation(metrics.created) {
                Err(HookError::message("opened with credentials since rotated"))
            } else {
                Ok(())
            }
        })
    }

    /// The credentials new connections use.
    pub fn current(&self) -> DbCredentials {
        self.0.generations.current()
    }

    /// Postgres rejected `tried`: reads the secret again (at most every
    /// [`REREAD_INTERVAL`], within [`REREAD_LIMIT`]) and moves to its credentials, or to
    /// the pending version's while a rotation is half done. Returns whether the
    /// credentials now differ from `tried`, so that trying again may succeed.
    pub async fn password_rejected(&self, pool: &Pool, tried: &DbCredentials) -> bool {
        if tokio::time::timeout(REREAD_LIMIT, self.reread(pool, tried))
            .await
            .is_err()
        {
            tracing::warn!("re-reading the secret after a rejected password took too long");
        }
        self.current() != *tried
    }

    async fn reread(&self, pool: &Pool, tried: &DbCredentials) {
        let mut last = self.0.last_reread.lock().await;
        if self.current() != *tried {
            // Another caller has moved on already.
            return;
        }
        *self
            .0
            .rejected
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(tried.clone());
        if last.is_some_and(|at| at.elapsed() < REREAD_INTERVAL) {
            return;
        }
        *last = Some(Instant::now());
        let secrets = &self.0.secrets;
        secrets.refresh("password rejected").await;
        let mut next = secrets.current().database.clone().filter(|c| c != tried);
        if next.is_none() {
            next = secrets
                .read_pending()
                .await
                .ok()
                .and_then(|pending| pending.database)
                .filter(|c| c != tried);
            if next.is_some() {
                tracing::info!(
                    "using the pending version of the secret: Postgres rejected the current one"
                );
            }
        }
        if let Some(next) = next {
            self.switch(pool, &next);
        }
    }

    /// Follows the secret each time it changes, until `stop`: moves to its credentials,
    /// unless they are the ones Postgres rejected.
    pub async fn follow_secret_changes(self, pool: Pool, stop: CancellationToken) {
        let mut changes = self.0.secrets.subscribe();
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                next = changes.changed() => {
                    if next.is_err() {
                        return;
                    }
                }
            }
            let Some(next) = self.0.secrets.current().database.clone() else {
                tracing::warn!(
                    "the secret no longer holds database credentials; keeping the last ones"
                );
                continue;
            };
            {
                let mut rejected = self
                    .0
                    .rejected
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if rejected.as_ref() == Some(&next) {
                    continue;
                }
                *rejected = None;
            }
            self.switch(&pool, &next);
        }
    }

    /// Closes the idle connections opened before the last rotation; busy ones are
    /// retired by the recycling hook when next handed out.
    pub fn retire_old(&self, pool: &Pool) {
        let credentials = &self.0.generations;
        pool.retain(|_, metrics| !credentials.opened_before_rotation(metrics.created));
    }

    /// Switches new connections to `next` if it differs, and retires the connections
    /// opened before once one opens with it.
    fn switch(&self, pool: &Pool, next: &DbCredentials) {
        if !self.0.generations.rotate(next) {
            return;
        }
        tracing::info!(
            username = next.username,
            "database credentials rotated: new connections use the secret's"
        );
        let (rotation, pool) = (self.clone(), pool.clone());
        tokio::spawn(async move {
            // A wrong password put in the secret by hand then costs no working connection.
            match rotation.0.generations.connect().await {
                Ok(_) => rotation.retire_old(&pool),
                Err(error) => tracing::warn!(
                    %error,
                    "the secret's new database credentials do not work; keeping the connections opened before"
                ),
            }
        });
    }
}

/// The credentials new connections are opened with, and which connections were opened
/// before the last change that worked.
struct Generations {
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

impl fmt::Debug for Generations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generations")
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl Generations {
    fn new(
        initial: DbCredentials,
        url: Option<&SecretString>,
        ca_file: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let (base, ssl_mode) = pool::base_config(url)?;
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

    fn current(&self) -> DbCredentials {
        self.current.load().credentials.clone()
    }

    /// Switches to `next` if it differs; returns whether it did.
    fn rotate(&self, next: &DbCredentials) -> bool {
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

/// Opens the pool's connections with the current [`Generations`].
struct RotatingConnect(Arc<Generations>);

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
    pool::apply_settings(&mut config);
    config
}
