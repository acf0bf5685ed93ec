//! The application: both listeners bound, routers built, and the run until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use prometheus::Registry;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::build_info::BUILD;
use crate::config::Config;
use crate::db::Database;
use crate::faults::Faults;
use crate::http::server::{self, ConnectionLimits, IDLE_TIMEOUT};
use crate::http::{self, AppState};
use crate::secrets::Secrets;
use crate::shutdown::{self, Drain};
use crate::telemetry::{Metrics, RequestTracer};

/// A service with its listeners bound, ready to run.
#[derive(Debug)]
pub struct Application {
    config: Config,
    state: AppState,
    app_listener: TcpListener,
    admin_listener: TcpListener,
}

impl Application {
    /// Builds the app and binds both listeners. A port of 0 binds a free port, which
    /// [`Application::app_addr`] then reports (how the tests start it). Requests are
    /// traced with `tracer`, when there is one.
    pub async fn build(config: Config, tracer: Option<RequestTracer>) -> anyhow::Result<Self> {
        let metrics = Metrics::new(&BUILD).context("cannot register metrics")?;
        let Backends { secrets, db } = Backends::start(&config, metrics.registry()).await?;
        let faults = Arc::new(Faults::default());
        let db = db.map(|db| db.with_drills(Arc::clone(&faults)));
        if let Some(db) = db.as_ref().filter(|_| config.database.migrate_on_start) {
            let applied = db.migrate().await?;
            tracing::info!(?applied, "migrations done at start");
        }
        let state = AppState::new(metrics, db, tracer, secrets, faults);
        let app_listener = bind(config.listen_addr, crate::config::APP_LISTEN_ADDR).await?;
        let admin_listener = bind(
            config.admin_listen_addr,
            crate::config::APP_ADMIN_LISTEN_ADDR,
        )
        .await?;
        Ok(Self {
            config,
            state,
            app_listener,
            admin_listener,
        })
    }

    /// Where the app listener is bound.
    pub fn app_addr(&self) -> SocketAddr {
        self.app_listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Where the admin listener is bound.
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then drains ([`shutdown::drain`]).
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let Self {
            config,
            state,
            app_listener,
            admin_listener,
        } = self;
        let limits = ConnectionLimits {
            header_read_timeout: config.header_read_timeout,
            idle_timeout: IDLE_TIMEOUT,
            drain_timeout: config.shutdown_timeout,
        };
        let stop_accepting = CancellationToken::new();
        let stop_checks = CancellationToken::new();
        if let Some(db) = &state.db {
            tokio::spawn(db.clone().watch_health(stop_checks.clone()));
            tokio::spawn(db.clone().follow_secret_changes(stop_checks.clone()));
        }
        if let Some(secrets) = &state.secrets {
            tokio::spawn(
                Arc::clone(secrets).refresh_every(config.secret_refresh, stop_checks.clone()),
            );
        }
        tracing::info!(
            app = %app_listener.local_addr()?,
            admin = %admin_listener.local_addr()?,
            version = BUILD.version,
            git_sha = BUILD.git_sha,
            "listening"
        );
        let app = tokio::spawn(server::serve(
            "app",
            app_listener,
            http::app_router(&config, &state),
            limits,
            stop_accepting.clone(),
        ));
        let admin = tokio::spawn(server::serve(
            "admin",
            admin_listener,
            http::admin_router(&config, &state),
            limits,
            stop_accepting.clone(),
        ));

        shutdown.await;
        let listeners = async {
            let (app, admin) = tokio::join!(app, admin);
            app.context("the app listener failed")?;
            admin.context("the admin listener failed")
        };
        shutdown::drain(Drain {
            health: &state.health,
            delay: config.shutdown_delay,
            stop_accepting: &stop_accepting,
            listeners,
            stop_checks: &stop_checks,
            db: state.db.as_ref(),
        })
        .await
    }
}

/// The secret and the database, started alike by every command that needs them.
#[derive(Debug)]
pub struct Backends {
    /// The secret, when `APP_SECRET_ID` names one.
    pub secrets: Option<Arc<Secrets>>,
    /// The database, when one is configured.
    pub db: Option<Database>,
}

impl Backends {
    /// Reads the secret once (failing with what to fix), registers its metrics, and
    /// builds the pool over it. Opens no database connection.
    pub async fn start(config: &Config, registry: &Registry) -> anyhow::Result<Self> {
        let secrets = match &config.secret_id {
            Some(id) => Some(Secrets::load(id).await?),
            None => None,
        };
        if let Some(secrets) = &secrets {
            registry
                .register(Box::new(secrets.metrics()))
                .context("cannot register metrics")?;
        }
        let db = Database::new(&config.database, registry, secrets.as_ref())?;
        Ok(Self { secrets, db })
    }
}

async fn bind(addr: SocketAddr, variable: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} ({variable})"))
}
