use std::process::ExitCode;

use clap::Parser as _;
use hello_service::cli::{self, Cli, Command};
use hello_service::config::Config;
use hello_service::shutdown::Signals;
use hello_service::{Application, telemetry};

/// mimalloc rather than the system allocator: a request makes many small, short-lived
/// allocations, which glibc's malloc serves markedly slower (see docs/architecture.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::Serve => report(serve().await),
        Command::Healthcheck { url } => cli::healthcheck(url).await,
        Command::CheckConfig => cli::check_config(),
        Command::Migrate => report(cli::migrate().await),
    }
}

async fn serve() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let telemetry = telemetry::init(&config.logs, &config.traces)?;
    let signals = Signals::install()?;
    let app = Application::build(config, telemetry.request_tracer()).await?;
    let served = app.run_until_stopped(signals.shutdown_requested()).await;
    telemetry.shutdown();
    served
}

/// Start-up failures go to stderr: logging may be what failed to start.
#[allow(clippy::print_stderr, reason = "logging may not be running")]
fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hello-service: {error:#}");
            ExitCode::FAILURE
        }
    }
}
