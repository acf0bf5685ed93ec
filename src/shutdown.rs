//! Signals and the drain sequence (docs/design.md section 7).
//!
//! The order, each step bounded: `/health` turns 503 at once; after
//! `APP_SHUTDOWN_DELAY` both listeners stop accepting; in-flight requests get
//! `APP_SHUTDOWN_TIMEOUT` to finish and the rest are cut; the background checks stop
//! and the pool closes; then the caller shuts telemetry down, which flushes last, after
//! the requests it describes.

use std::future::Future;
use std::time::Duration;

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;

use crate::db::Database;
use crate::http::health::Health;

/// Exit status after a second signal: 128 + SIGINT, as a shell reports an interrupt.
pub const FORCED_EXIT_CODE: i32 = 130;

/// SIGTERM and SIGINT, listened for from start-up so that none is missed.
#[derive(Debug)]
pub struct Signals {
    terminate: Signal,
    interrupt: Signal,
}

impl Signals {
    /// Takes over SIGTERM and SIGINT. The process runs as PID 1 in the image, where the
    /// kernel gives signals no default action, so it must handle them itself.
    pub fn install() -> std::io::Result<Self> {
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for the first signal, then arms the second to end the process at once.
    pub async fn shutdown_requested(mut self) {
        let name = self.next().await;
        tracing::info!(signal = name, "shutdown requested");
        tokio::spawn(async move {
            let name = self.next().await;
            tracing::warn!(signal = name, "second signal; exiting now");
            std::process::exit(FORCED_EXIT_CODE);
        });
    }

    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }
}

/// What the drain sequence stops, in its order.
#[derive(Debug)]
pub struct Drain<'a, L> {
    /// Turned to draining first, so the load balancer stops sending.
    pub health: &'a Health,
    /// `APP_SHUTDOWN_DELAY`: how long to serve on while the load balancer notices.
    pub delay: Duration,
    /// Stops both listeners accepting.
    pub stop_accepting: &'a CancellationToken,
    /// Ends when both listeners have finished their connections, each within
    /// `APP_SHUTDOWN_TIMEOUT` (see [`crate::http::server`]).
    pub listeners: L,
    /// Stops the readiness ping, the secret's refresh and the credentials' rotation.
    pub stop_checks: &'a CancellationToken,
    /// Closed last.
    pub db: Option<&'a Database>,
}

/// Drains the service once shutdown is requested, in the order above.
pub async fn drain<L>(steps: Drain<'_, L>) -> anyhow::Result<()>
where
    L: Future<Output = anyhow::Result<()>>,
{
    steps.health.start_draining();
    if !steps.delay.is_zero() {
        tracing::info!(delay = ?steps.delay, "serving on while the load balancer drains");
        tokio::time::sleep(steps.delay).await;
    }
    steps.stop_accepting.cancel();
    let served = steps.listeners.await;
    steps.stop_checks.cancel();
    if let Some(db) = steps.db {
        db.close();
    }
    served?;
    tracing::info!("shutdown complete");
    Ok(())
}
