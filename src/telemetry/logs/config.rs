//! Log settings: the format and the filter.

use std::fmt;
use std::str::FromStr;

use anyhow::Context as _;
use tracing_subscriber::filter::{LevelFilter, Targets};

use crate::env::Env;

/// `json` or `text`.
pub const APP_LOG_FORMAT: &str = "APP_LOG_FORMAT";
/// One JSON object per line, for log pipelines.
pub const DEFAULT_LOG_FORMAT: &str = "json";
/// Which log lines are written: `level` and `target=level` directives.
pub const RUST_LOG: &str = "RUST_LOG";
/// Every line at INFO and above.
pub const DEFAULT_LOG_FILTER: &str = "info";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, for log pipelines.
    Json,
    /// Human-readable lines, for a terminal.
    Text,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "json" => Ok(Self::Json),
            "text" => Ok(Self::Text),
            _ => Err("must be `json` or `text`".to_owned()),
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Json => "json",
            Self::Text => "text",
        })
    }
}

/// What is logged, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// How log lines are written.
    pub format: LogFormat,
    /// Which log lines are written, as [`RUST_LOG`] gives them.
    pub filter: String,
}

impl LogConfig {
    /// Reads [`APP_LOG_FORMAT`] and [`RUST_LOG`], noting each bad one in `env`.
    pub fn read(env: &mut Env<'_>) -> Self {
        let format = env.parsed(APP_LOG_FORMAT, DEFAULT_LOG_FORMAT);
        let filter = match env.text(RUST_LOG) {
            None => DEFAULT_LOG_FILTER.to_owned(),
            // The parse that starting the logs makes, so a filter accepted here starts.
            Some(value) if filter(&value).is_ok() => value,
            Some(_) => {
                env.problem(
                    RUST_LOG,
                    "must be a filter such as `info` or `warn,hello_service=debug`",
                );
                DEFAULT_LOG_FILTER.to_owned()
            }
        };
        Self { format, filter }
    }
}

/// The [`RUST_LOG`] filter.
///
/// It is a `Targets` filter rather than an `EnvFilter`: `EnvFilter` also matches on span
/// fields, and pays for that with a lock on every span entered, on the request path.
pub fn filter(directives: &str) -> anyhow::Result<Targets> {
    let targets: Targets = directives
        .parse()
        .with_context(|| format!("{RUST_LOG} is not a valid filter"))?;
    // tokio-postgres logs every statement's parameter values at DEBUG: names, messages,
    // anything a client sent. Those never reach the logs, whatever RUST_LOG says.
    Ok(targets.with_target("tokio_postgres", LevelFilter::INFO))
}
