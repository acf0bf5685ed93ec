//! Logs and metrics. [`init`] starts logging and returns a guard that flushes it.

pub mod context;
pub mod logs;
pub mod metrics;
pub mod trace_context;

use std::io::BufWriter;

use anyhow::Context as _;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::Config;

pub use metrics::Metrics;

/// Target of the one access line per request, so it can be filtered on its own
/// (`RUST_LOG=info,hello_service::access=warn`).
pub const ACCESS_LOG_TARGET: &str = "hello_service::access";

/// Lines the log writer queues before it drops new ones rather than block a request.
const LOG_QUEUE_LINES: usize = 64 * 1024;

/// Keeps telemetry running; dropping it flushes what is queued.
#[must_use = "dropping the guard stops and flushes logging"]
#[derive(Debug)]
pub struct TelemetryGuard {
    _logs: WorkerGuard,
}

/// Starts logging to stdout as `config` says and installs the panic hook.
pub fn init(config: &Config) -> anyhow::Result<TelemetryGuard> {
    let filter = log_filter(&config.log_filter)?;
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .thread_name("log-writer")
        .finish(BufWriter::new(std::io::stdout()));

    // A global filter, not a per-layer one: with a single layer it decides the same,
    // and costs less on every span and event.
    tracing_subscriber::registry()
        .with(filter)
        .with(logs::LogLayer::new(writer, config.log_format))
        .try_init()
        .context("a global logger is already installed")?;
    logs::install_panic_hook();
    Ok(TelemetryGuard { _logs: guard })
}

/// The `RUST_LOG` filter.
///
/// `RUST_LOG` takes `level` and `target=level` directives, comma-separated
/// (`warn,hello_service=debug`). It is a `Targets` filter rather than an `EnvFilter`:
/// `EnvFilter` also matches on span fields, and pays for that with a lock on every span
/// entered, on the request path.
pub fn log_filter(directives: &str) -> anyhow::Result<Targets> {
    let targets: Targets = directives
        .parse()
        .with_context(|| format!("{} is not a valid filter", crate::config::RUST_LOG))?;
    // tokio-postgres logs every statement's parameter values at DEBUG: names, messages,
    // anything a client sent. Those never reach the logs, whatever RUST_LOG says.
    Ok(targets.with_target("tokio_postgres", LevelFilter::INFO))
}
