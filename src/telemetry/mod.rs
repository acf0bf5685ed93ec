//! Logs, metrics and traces. [`init`] starts logging and trace export, and returns a
//! guard that flushes both.

pub mod current_request;
pub mod logs;
pub mod metrics;
pub mod traceparent;
pub mod traces;

use std::io::BufWriter;

use anyhow::Context as _;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use logs::{LogConfig, error_chain};
pub use metrics::Metrics;
pub use traces::{RequestTracer, Traces, TracesConfig};

/// Target of the one access line per request, so it can be filtered on its own
/// (`RUST_LOG=info,hello_service::access=warn`).
pub const ACCESS_LOG_TARGET: &str = "hello_service::access";

/// Lines the log writer queues before it drops new ones rather than block a request.
const LOG_QUEUE_LINES: usize = 64 * 1024;

/// Keeps telemetry running; [`TelemetryGuard::shutdown`] flushes what is queued.
#[must_use = "dropping the guard stops logging and trace export"]
#[derive(Debug)]
pub struct TelemetryGuard {
    traces: Option<Traces>,
    _logs: WorkerGuard,
}

impl TelemetryGuard {
    /// What the request path traces requests with, when traces are exported.
    pub fn request_tracer(&self) -> Option<RequestTracer> {
        self.traces.as_ref().map(Traces::request_tracer)
    }

    /// Sends the spans still queued (within [`traces::FLUSH_LIMIT`]), then the log lines.
    /// Dropping the guard does the same.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        // Before the log writer stops (fields drop after this), so what the flush logs
        // is written.
        if let Some(traces) = self.traces.take() {
            traces.shutdown();
        }
    }
}

/// Starts logging to stdout as `logs` says and, when a collector is configured, trace
/// export, and installs the panic hook.
pub fn init(logs: &LogConfig, traces: &TracesConfig) -> anyhow::Result<TelemetryGuard> {
    let filter = logs::config::filter(&logs.filter)?;
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .thread_name("log-writer")
        .finish(BufWriter::new(std::io::stdout()));
    let layer = logs::LogLayer::new(writer, logs.format);
    let config = traces;
    let traces = config
        .export
        .as_ref()
        .map(|export| Traces::start(config, export))
        .transpose()?;

    let installed = match &traces {
        // Each layer its own filter: the database spans the trace layer needs are below
        // the level most logs run at.
        Some(traces) => tracing_subscriber::registry()
            .with(layer.with_filter(filter))
            .with(traces.layer())
            .try_init(),
        // A global filter, not a per-layer one: with a single layer it decides the same,
        // and costs less on every span and event.
        None => tracing_subscriber::registry()
            .with(filter)
            .with(layer)
            .try_init(),
    };
    installed.context("a global logger is already installed")?;
    logs::install_panic_hook();
    if let Some(export) = &config.export {
        tracing::info!(
            endpoint = export.endpoint,
            protocol = %export.protocol,
            sampler = config.sampler_name,
            sampler_arg = config.sampler_arg,
            "exporting traces"
        );
    }
    Ok(TelemetryGuard {
        traces,
        _logs: guard,
    })
}
