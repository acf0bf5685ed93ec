//! The command line: `serve` (the default), `healthcheck` and `check-config`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use axum::body::Bytes;
use axum::http::{Request, Uri, header};
use clap::{Parser, Subcommand};
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::app::Backends;
use crate::build_info::BUILD;
use crate::config::{self, Config};

/// How long `healthcheck` waits for the answer, connection included.
pub const HEALTHCHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The hello-service binary.
#[derive(Debug, Parser)]
#[command(version = BUILD.version, about)]
pub struct Cli {
    /// What to do; `serve` when left out.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (the default).
    Serve,
    /// Exit 0 if `GET /health` answers 200 within 2 s, else 1. For the image's
    /// HEALTHCHECK, which has no shell or curl to do it.
    Healthcheck {
        /// The URL to probe; by default `/health` on loopback at the port of
        /// `APP_LISTEN_ADDR`.
        #[arg(long)]
        url: Option<String>,
    },
    /// Load and validate the configuration, print it as JSON with secrets redacted.
    CheckConfig,
    /// Apply pending database migrations and exit (an ECS one-off task).
    Migrate,
}

/// `check-config`: the configuration on stdout, or every problem on stderr.
#[allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the command's output"
)]
pub fn check_config() -> ExitCode {
    match Config::from_env() {
        Ok(config) => {
            let shown = serde_json::to_string_pretty(&config.redacted()).unwrap_or_default();
            println!("{shown}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

/// `healthcheck`: probes the service and reports by exit status.
#[allow(clippy::print_stderr, reason = "the command's output")]
pub async fn healthcheck(url: Option<String>) -> ExitCode {
    let url = url.unwrap_or_else(default_health_url);
    match tokio::time::timeout(HEALTHCHECK_TIMEOUT, probe(&url)).await {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(error)) => {
            eprintln!("unhealthy: {url}: {error:#}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("unhealthy: {url}: no answer within {HEALTHCHECK_TIMEOUT:?}");
            ExitCode::FAILURE
        }
    }
}

/// `/health` on this host at the app listener's port, read from `APP_LISTEN_ADDR`
/// alone: the probe must work even when the rest of the configuration would not.
fn default_health_url() -> String {
    let listen: SocketAddr = std::env::var(config::APP_LISTEN_ADDR)
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| {
            config::DEFAULT_LISTEN_ADDR
                .parse()
                .expect("the default listen address is valid")
        });
    let host = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/health", SocketAddr::new(host, listen.port()))
}

async fn probe(url: &str) -> anyhow::Result<()> {
    let uri: Uri = url.parse().context("not a valid URL")?;
    if uri.scheme_str() != Some("http") {
        bail!("only http:// URLs can be probed");
    }
    let authority = uri.authority().context("the URL has no host")?.clone();
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let stream = TcpStream::connect((host, authority.port_u16().unwrap_or(80)))
        .await
        .context("cannot connect")?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP handshake failed")?;
    tokio::spawn(connection);
    let path = uri.path_and_query().map_or("/", |path| path.as_str());
    let request = Request::get(path)
        .header(header::HOST, authority.as_str())
        .header(header::USER_AGENT, "hello-service-healthcheck")
        .body(Empty::<Bytes>::new())?;
    let status = sender.send_request(request).await?.status();
    if status.is_success() {
        Ok(())
    } else {
        bail!("answered {status}")
    }
}

/// `migrate`: applies pending migrations to `DATABASE_URL`'s database.
pub async fn migrate() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let _telemetry = crate::telemetry::init(&config.logs, &config.traces)?;
    let registry = prometheus::Registry::new();
    let db = Backends::start(&config, &registry)
        .await?
        .db
        .with_context(|| {
            format!(
                "{} is not set: there is no database to migrate",
                config::DATABASE_URL
            )
        })?;
    let applied = db.migrate().await?;
    tracing::info!(?applied, "migrations done");
    db.close();
    Ok(())
}
