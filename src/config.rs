//! Typed configuration, read once from the environment at start.
//!
//! Every variable is a named constant with its default beside it: the service's own
//! below, the logs' in [`crate::telemetry::logs::config`] and the traces' in
//! [`crate::telemetry::traces::config`], each area reading its own. A bad value never
//! stops the reading: every problem is collected, and [`Config::from_env`] fails once
//! with all of them, each naming its variable, so one restart fixes them all.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};

use crate::env::Env;
pub use crate::env::Problem;
use crate::telemetry::logs::LogConfig;
pub use crate::telemetry::logs::config::{APP_LOG_FORMAT, RUST_LOG};
use crate::telemetry::traces::TracesConfig;

/// App listener: the only one the load balancer sees.
pub const APP_LISTEN_ADDR: &str = "APP_LISTEN_ADDR";
/// Default of [`APP_LISTEN_ADDR`].
pub const DEFAULT_LISTEN_ADDR: &str = "0.0.0.0:8080";
/// Admin listener: `/metrics`, health and fault injection, never behind the load balancer.
pub const APP_ADMIN_LISTEN_ADDR: &str = "APP_ADMIN_LISTEN_ADDR";
/// Default of [`APP_ADMIN_LISTEN_ADDR`].
pub const DEFAULT_ADMIN_LISTEN_ADDR: &str = "0.0.0.0:9090";
/// Time limit for one request, health routes excepted; past it the answer is 504.
pub const APP_REQUEST_TIMEOUT: &str = "APP_REQUEST_TIMEOUT";
/// Default of [`APP_REQUEST_TIMEOUT`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request body in bytes; a larger one is answered 413.
pub const APP_BODY_LIMIT: &str = "APP_BODY_LIMIT";
/// Default of [`APP_BODY_LIMIT`].
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;
/// Time for a request's headers to arrive once its first byte has; slower clients are cut.
pub const APP_HEADER_READ_TIMEOUT: &str = "APP_HEADER_READ_TIMEOUT";
/// Default of [`APP_HEADER_READ_TIMEOUT`].
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Requests in flight before new ones are shed with 503.
pub const APP_MAX_CONCURRENCY: &str = "APP_MAX_CONCURRENCY";
/// Default of [`APP_MAX_CONCURRENCY`].
pub const DEFAULT_MAX_CONCURRENCY: usize = 1024;
/// After SIGTERM, how long to keep serving with `/health` at 503 before closing the listeners.
pub const APP_SHUTDOWN_DELAY: &str = "APP_SHUTDOWN_DELAY";
/// Default of [`APP_SHUTDOWN_DELAY`]: ECS drains the target before it sends SIGTERM.
pub const DEFAULT_SHUTDOWN_DELAY: Duration = Duration::ZERO;
/// Time in-flight requests get to finish after the listeners close.
pub const APP_SHUTDOWN_TIMEOUT: &str = "APP_SHUTDOWN_TIMEOUT";
/// Default of [`APP_SHUTDOWN_TIMEOUT`]: below ECS's 30 s `stopTimeout`.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(25);
/// Postgres connection URL; unset runs the service without a database.
pub const DATABASE_URL: &str = "DATABASE_URL";
/// Size of the Postgres pool.
pub const APP_DB_POOL_MAX: &str = "APP_DB_POOL_MAX";
/// Default of [`APP_DB_POOL_MAX`].
pub const DEFAULT_DB_POOL_MAX: usize = 16;
/// Extra PEM roots trusted for Postgres TLS (the RDS CA bundle).
pub const APP_DB_CA_FILE: &str = "APP_DB_CA_FILE";
/// Whether `serve` applies pending migrations before it listens.
pub const APP_DB_MIGRATE_ON_START: &str = "APP_DB_MIGRATE_ON_START";
/// Secrets Manager secret (name or ARN) holding a JSON object of secrets.
pub const APP_SECRET_ID: &str = "APP_SECRET_ID";
/// How often the secret is read again.
pub const APP_SECRET_REFRESH: &str = "APP_SECRET_REFRESH";
/// Default of [`APP_SECRET_REFRESH`].
pub const DEFAULT_SECRET_REFRESH: Duration = Duration::from_mins(5);
/// Bearer token for `/admin/faults`; unset turns fault injection off.
pub const APP_ADMIN_TOKEN: &str = "APP_ADMIN_TOKEN";

/// How `check-config` shows a secret that is set.
const REDACTED: &str = "[REDACTED]";

/// The service's whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the app listener binds.
    pub listen_addr: SocketAddr,
    /// Where the admin listener binds.
    pub admin_listen_addr: SocketAddr,
    /// What is logged, and how.
    pub logs: LogConfig,
    /// Time limit for one request.
    pub request_timeout: Duration,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Time for a request's headers to arrive.
    pub header_read_timeout: Duration,
    /// Requests in flight before shedding.
    pub max_concurrency: usize,
    /// Serving on with `/health` at 503 after SIGTERM.
    pub shutdown_delay: Duration,
    /// Drain limit for in-flight requests.
    pub shutdown_timeout: Duration,
    /// The database, when one is configured.
    pub database: DatabaseConfig,
    /// The Secrets Manager secret, when one is configured.
    pub secret_id: Option<String>,
    /// How often the secret is read again.
    pub secret_refresh: Duration,
    /// Token that enables `/admin/faults`.
    pub admin_token: Option<SecretString>,
    /// OpenTelemetry traces.
    pub traces: TracesConfig,
}

/// Postgres settings.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// The connection URL; `None` runs without a database.
    pub url: Option<SecretString>,
    /// Pool size.
    pub pool_max: usize,
    /// Extra PEM roots for TLS.
    pub ca_file: Option<PathBuf>,
    /// Apply migrations at start.
    pub migrate_on_start: bool,
}

/// Every bad variable found while reading the configuration.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ConfigError {
    /// One entry per bad variable, in reading order.
    pub problems: Vec<Problem>,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration from any source of variables, such as a test's map.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut env = Env::new(&lookup);
        let config = Self {
            listen_addr: env.parsed(APP_LISTEN_ADDR, DEFAULT_LISTEN_ADDR),
            admin_listen_addr: env.parsed(APP_ADMIN_LISTEN_ADDR, DEFAULT_ADMIN_LISTEN_ADDR),
            logs: LogConfig::read(&mut env),
            request_timeout: env.duration(APP_REQUEST_TIMEOUT, DEFAULT_REQUEST_TIMEOUT),
            body_limit: env.count(APP_BODY_LIMIT, DEFAULT_BODY_LIMIT),
            header_read_timeout: env.duration(APP_HEADER_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT),
            max_concurrency: env.count(APP_MAX_CONCURRENCY, DEFAULT_MAX_CONCURRENCY),
            shutdown_delay: env.duration_or_zero(APP_SHUTDOWN_DELAY, DEFAULT_SHUTDOWN_DELAY),
            shutdown_timeout: env.duration(APP_SHUTDOWN_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT),
            database: DatabaseConfig {
                url: env.text(DATABASE_URL).map(SecretString::from),
                pool_max: env.count(APP_DB_POOL_MAX, DEFAULT_DB_POOL_MAX),
                ca_file: env.text(APP_DB_CA_FILE).map(PathBuf::from),
                migrate_on_start: env.flag(APP_DB_MIGRATE_ON_START),
            },
            secret_id: env.text(APP_SECRET_ID),
            secret_refresh: env.duration(APP_SECRET_REFRESH, DEFAULT_SECRET_REFRESH),
            admin_token: env.text(APP_ADMIN_TOKEN).map(SecretString::from),
            traces: TracesConfig::read(&mut env),
        };
        let problems = env.into_problems();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError { problems })
        }
    }

    /// The effective configuration keyed by variable name, secrets redacted: what
    /// `check-config` prints.
    pub fn redacted(&self) -> Value {
        let secret = |value: &Option<SecretString>| value.as_ref().map(|_| REDACTED);
        let duration = |value: Duration| humantime::format_duration(value).to_string();
        let mut shown = json!({
            APP_LISTEN_ADDR: self.listen_addr.to_string(),
            APP_ADMIN_LISTEN_ADDR: self.admin_listen_addr.to_string(),
            APP_LOG_FORMAT: self.logs.format.to_string(),
            RUST_LOG: self.logs.filter,
            APP_REQUEST_TIMEOUT: duration(self.request_timeout),
            APP_BODY_LIMIT: self.body_limit,
            APP_HEADER_READ_TIMEOUT: duration(self.header_read_timeout),
            APP_MAX_CONCURRENCY: self.max_concurrency,
            APP_SHUTDOWN_DELAY: duration(self.shutdown_delay),
            APP_SHUTDOWN_TIMEOUT: duration(self.shutdown_timeout),
            DATABASE_URL: secret(&self.database.url),
            APP_DB_POOL_MAX: self.database.pool_max,
            APP_DB_CA_FILE: self.database.ca_file,
            APP_DB_MIGRATE_ON_START: self.database.migrate_on_start,
            APP_SECRET_ID: self.secret_id,
            APP_SECRET_REFRESH: duration(self.secret_refresh),
            APP_ADMIN_TOKEN: secret(&self.admin_token),
        });
        if let Value::Object(map) = &mut shown {
            self.traces.shown(map);
        }
        shown
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::telemetry::logs::LogFormat;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_match_the_design() {
        let config = config(&[]).expect("defaults are valid");
        assert_eq!(config.listen_addr.to_string(), "0.0.0.0:8080");
        assert_eq!(config.admin_listen_addr.to_string(), "0.0.0.0:9090");
        assert_eq!(config.logs.format, LogFormat::Json);
        assert_eq!(config.logs.filter, "info");
        assert_eq!(config.request_timeout, Duration::from_secs(10));
        assert_eq!(config.body_limit, 65536);
        assert_eq!(config.header_read_timeout, Duration::from_secs(10));
        assert_eq!(config.max_concurrency, 1024);
        assert_eq!(config.shutdown_delay, Duration::ZERO);
        assert_eq!(config.shutdown_timeout, Duration::from_secs(25));
        assert!(config.database.url.is_none());
        assert_eq!(config.database.pool_max, 16);
        assert!(!config.database.migrate_on_start);
        assert_eq!(config.secret_refresh, Duration::from_mins(5));
        assert!(config.admin_token.is_none());
    }

    #[test]
    fn every_bad_variable_is_named_at_once() {
        let error = config(&[
            (APP_LISTEN_ADDR, "nowhere"),
            (APP_BODY_LIMIT, "-1"),
            (APP_REQUEST_TIMEOUT, "soon"),
            (APP_SHUTDOWN_TIMEOUT, "0s"),
            (APP_LOG_FORMAT, "xml"),
            (APP_DB_MIGRATE_ON_START, "yes"),
        ])
        .expect_err("all of these are invalid");
        let named: Vec<_> = error.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            named,
            [
                APP_LISTEN_ADDR,
                APP_LOG_FORMAT,
                APP_REQUEST_TIMEOUT,
                APP_BODY_LIMIT,
                APP_SHUTDOWN_TIMEOUT,
                APP_DB_MIGRATE_ON_START
            ]
        );
        let message = error.to_string();
        for variable in named {
            assert!(message.contains(variable), "{message} names {variable}");
        }
    }

    #[test]
    fn secrets_are_redacted_and_never_in_errors() {
        let config = config(&[
            (APP_ADMIN_TOKEN, "hunter2-token"),
            (DATABASE_URL, "postgres://app:hunter2@db/app"),
        ])
        .expect("valid");
        let shown = config.redacted().to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(config.redacted()[APP_ADMIN_TOKEN], REDACTED);
        assert!(!format!("{config:?}").contains("hunter2"));

        let error = self::config(&[(APP_BODY_LIMIT, "hunter2")]).expect_err("invalid");
        assert!(!error.to_string().contains("hunter2"));
    }
}
