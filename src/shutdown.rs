//! Signals and the drain sequence (DESIGN.md section 7).
//!
//! The order, each step bounded: `/health` turns 503 at once; after
//! `APP_SHUTDOWN_DELAY` both listeners stop accepting; in-flight requests get
//! `APP_SHUTDOWN_TIMEOUT` to finish and the rest are cut; then the caller drops the
//! telemetry guard, which flushes last, after the requests it describes.

use tokio::signal::unix::{Signal, SignalKind, signal};

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
