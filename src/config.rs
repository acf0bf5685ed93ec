//! Typed configuration, read once from the environment at start.
//!
//! Every variable is a named constant below with its default beside it. A bad value
//! never stops the reading: every problem is collected, and [`Config::from_env`] fails
//! once with all of them, each naming its variable, so one restart fixes them all.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};

/// App listener: the only one the load balancer sees.
pub const APP_LISTEN_ADDR: &str = "APP_LISTEN_ADDR";
/// Default of [`APP_LISTEN_ADDR`].
pub const DEFAULT_LISTEN_ADDR: &str = "0.0.0.0:8080";
/// Admin listener: `/metrics`, health and fault injection, never behind the load balancer.
pub const APP_ADMIN_LISTEN_ADDR: &str = "APP_ADMIN_LISTEN_ADDR";
/// Default of [`APP_ADMIN_LISTEN_ADDR`].
pub const DEFAULT_ADMIN_LISTEN_ADDR: &str = "0.0.0.0:9090";
/// Log format: `json` for machines, `text` for humans.
pub const APP_LOG_FORMAT: &str = "APP_LOG_FORMAT";
/// Log filter, in `tracing_subscriber::EnvFilter` syntax.
pub const RUST_LOG: &str = "RUST_LOG";
/// Default of [`RUST_LOG`].
pub const DEFAULT_LOG_FILTER: &str = "info";
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

/// OTLP endpoint of all signals; traces go to `<endpoint>/v1/traces` over HTTP. Setting
/// it (or [`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`]) turns trace export on.
pub const OTEL_EXPORTER_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// OTLP endpoint of traces alone, used as it is.
pub const OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
/// `grpc` or `http/protobuf`.
pub const OTEL_EXPORTER_OTLP_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
/// The protocol of traces alone; wins over [`OTEL_EXPORTER_OTLP_PROTOCOL`].
pub const OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
/// Default of [`OTEL_EXPORTER_OTLP_PROTOCOL`], as the OpenTelemetry specification sets it.
pub const DEFAULT_OTLP_PROTOCOL: &str = "http/protobuf";
/// Extra headers for the collector (`key=value,...`), read by the exporter; a secret.
pub const OTEL_EXPORTER_OTLP_HEADERS: &str = "OTEL_EXPORTER_OTLP_HEADERS";
/// `true` turns all OpenTelemetry export off.
pub const OTEL_SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
/// `otlp` (the default) or `none`.
pub const OTEL_TRACES_EXPORTER: &str = "OTEL_TRACES_EXPORTER";
/// `service.name` of the exported spans.
pub const OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
/// Default of [`OTEL_SERVICE_NAME`].
pub const DEFAULT_SERVICE_NAME: &str = "hello-service";
/// More resource attributes: `key=value` pairs, comma-separated, values percent-encoded.
pub const OTEL_RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
/// Which requests are traced: the specification's sampler names.
pub const OTEL_TRACES_SAMPLER: &str = "OTEL_TRACES_SAMPLER";
/// Default of [`OTEL_TRACES_SAMPLER`].
pub const DEFAULT_TRACES_SAMPLER: &str = "parentbased_always_on";
/// The ratio of the `traceidratio` samplers, 0 to 1 (default 1).
pub const OTEL_TRACES_SAMPLER_ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
/// Longest wait, in milliseconds, before queued spans are sent.
pub const OTEL_BSP_SCHEDULE_DELAY: &str = "OTEL_BSP_SCHEDULE_DELAY";
/// Spans queued for export before new ones are dropped.
pub const OTEL_BSP_MAX_QUEUE_SIZE: &str = "OTEL_BSP_MAX_QUEUE_SIZE";
/// Most spans in one export request.
pub const OTEL_BSP_MAX_EXPORT_BATCH_SIZE: &str = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE";
/// Time limit, in milliseconds, of one export request.
pub const OTEL_BSP_EXPORT_TIMEOUT: &str = "OTEL_BSP_EXPORT_TIMEOUT";

/// How `check-config` shows a secret that is set.
const REDACTED: &str = "[REDACTED]";

/// The service's whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the app listener binds.
    pub listen_addr: SocketAddr,
    /// Where the admin listener binds.
    pub admin_listen_addr: SocketAddr,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// Which log lines are written.
    pub log_filter: String,
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

/// OpenTelemetry trace settings, from the variables the OpenTelemetry specification
/// defines. The exporter itself also reads [`OTEL_EXPORTER_OTLP_HEADERS`] and
/// `OTEL_EXPORTER_OTLP_TIMEOUT`.
#[derive(Debug, Clone)]
pub struct TracesConfig {
    /// Where spans go; `None` exports nothing (ids are still made for the logs).
    pub export: Option<OtlpExport>,
    /// `service.name` when set explicitly; else [`OTEL_RESOURCE_ATTRIBUTES`]' or
    /// [`DEFAULT_SERVICE_NAME`].
    pub service_name: Option<String>,
    /// [`OTEL_RESOURCE_ATTRIBUTES`], decoded, in order.
    pub resource_attributes: Vec<(String, String)>,
    /// Which requests are traced.
    pub sampler: TraceSampler,
    /// The export queue.
    pub batch: BatchSettings,
}

/// An OTLP collector to export to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpExport {
    /// The endpoint as configured, which the exporter reads from the environment.
    pub endpoint: String,
    /// The wire protocol.
    pub protocol: OtlpProtocol,
}

/// OTLP wire protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpProtocol {
    /// OTLP/gRPC, usually on port 4317.
    Grpc,
    /// OTLP/HTTP with protobuf bodies, usually on port 4318.
    HttpProtobuf,
}

/// The samplers of the OpenTelemetry specification (`OTEL_TRACES_SAMPLER`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TraceSampler {
    /// Every trace.
    AlwaysOn,
    /// No trace.
    AlwaysOff,
    /// This fraction of traces, decided by trace id.
    TraceIdRatio(f64),
    /// As the caller decided, else every trace.
    ParentBasedAlwaysOn,
    /// As the caller decided, else none.
    ParentBasedAlwaysOff,
    /// As the caller decided, else this fraction of traces.
    ParentBasedTraceIdRatio(f64),
}

/// The export queue (`OTEL_BSP_*`). The defaults are the specification's but for the
/// batch size: 128, not 512, because a batch is encoded in one go on the core that also
/// serves requests, and 512 spans at once showed in p99 (docs/benchmarks.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSettings {
    /// Longest wait before queued spans are sent.
    pub schedule_delay: Duration,
    /// Spans queued before new ones are dropped.
    pub max_queue_size: usize,
    /// Most spans in one export request.
    pub max_export_batch_size: usize,
    /// Time limit of one export request.
    pub export_timeout: Duration,
}

impl Default for BatchSettings {
    fn default() -> Self {
        Self {
            schedule_delay: Duration::from_secs(5),
            max_queue_size: 2048,
            max_export_batch_size: 128,
            export_timeout: Duration::from_secs(30),
        }
    }
}

impl FromStr for OtlpProtocol {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "grpc" => Ok(Self::Grpc),
            "http/protobuf" => Ok(Self::HttpProtobuf),
            _ => Err("must be `grpc` or `http/protobuf`".to_owned()),
        }
    }
}

impl fmt::Display for OtlpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Grpc => "grpc",
            Self::HttpProtobuf => "http/protobuf",
        })
    }
}

impl fmt::Display for TraceSampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlwaysOn => f.write_str("always_on"),
            Self::AlwaysOff => f.write_str("always_off"),
            Self::TraceIdRatio(ratio) => write!(f, "traceidratio {ratio}"),
            Self::ParentBasedAlwaysOn => f.write_str("parentbased_always_on"),
            Self::ParentBasedAlwaysOff => f.write_str("parentbased_always_off"),
            Self::ParentBasedTraceIdRatio(ratio) => write!(f, "parentbased_traceidratio {ratio}"),
        }
    }
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

/// Every bad variable found while reading the configuration.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ConfigError {
    /// One entry per bad variable, in reading order.
    pub problems: Vec<Problem>,
}

/// One bad variable. The message says what is expected, never what the value was, so a
/// misplaced secret cannot leak through an error.
#[derive(Debug)]
pub struct Problem {
    /// The variable's name.
    pub variable: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.variable, self.message)
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration from any source of variables, such as a test's map.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut env = Reader {
            lookup: &lookup,
            problems: Vec::new(),
        };
        let config = Self {
            listen_addr: env.parsed(APP_LISTEN_ADDR, DEFAULT_LISTEN_ADDR),
            admin_listen_addr: env.parsed(APP_ADMIN_LISTEN_ADDR, DEFAULT_ADMIN_LISTEN_ADDR),
            log_format: env.parsed(APP_LOG_FORMAT, "json"),
            log_filter: env.log_filter(),
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
            traces: env.traces(),
        };
        if env.problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError {
                problems: env.problems,
            })
        }
    }

    /// The effective configuration keyed by variable name, secrets redacted: what
    /// `check-config` prints.
    pub fn redacted(&self) -> Value {
        let secret = |value: &Option<SecretString>| value.as_ref().map(|_| REDACTED);
        let duration = |value: Duration| humantime::format_duration(value).to_string();
        json!({
            APP_LISTEN_ADDR: self.listen_addr.to_string(),
            APP_ADMIN_LISTEN_ADDR: self.admin_listen_addr.to_string(),
            APP_LOG_FORMAT: self.log_format.to_string(),
            RUST_LOG: self.log_filter,
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
            "traces": self.traces.shown(),
        })
    }
}

impl TracesConfig {
    fn shown(&self) -> Value {
        let millis = |value: Duration| u64::try_from(value.as_millis()).unwrap_or(u64::MAX);
        json!({
            "export": self.export.as_ref().map(|export| json!({
                "endpoint": export.endpoint,
                OTEL_EXPORTER_OTLP_PROTOCOL: export.protocol.to_string(),
            })),
            OTEL_SERVICE_NAME: self.service_name,
            OTEL_RESOURCE_ATTRIBUTES: self.resource_attributes.iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect::<Vec<_>>(),
            OTEL_TRACES_SAMPLER: self.sampler.to_string(),
            OTEL_BSP_SCHEDULE_DELAY: millis(self.batch.schedule_delay),
            OTEL_BSP_MAX_QUEUE_SIZE: self.batch.max_queue_size,
            OTEL_BSP_MAX_EXPORT_BATCH_SIZE: self.batch.max_export_batch_size,
            OTEL_BSP_EXPORT_TIMEOUT: millis(self.batch.export_timeout),
        })
    }
}

/// Reads variables, collecting a [`Problem`] for each bad one and standing in the
/// default so reading can go on.
struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    /// The variable's value; unset and empty are the same, as in most shells' eyes.
    fn text(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|value| !value.trim().is_empty())
    }

    fn problem(&mut self, variable: &'static str, message: impl Into<String>) {
        self.problems.push(Problem {
            variable,
            message: message.into(),
        });
    }

    fn parsed<T>(&mut self, name: &'static str, default: &str) -> T
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        let parse = |value: &str| value.trim().parse::<T>();
        if let Some(value) = self.text(name) {
            match parse(&value) {
                Ok(parsed) => return parsed,
                Err(error) => self.problem(name, format!("is invalid: {error}")),
            }
        }
        match parse(default) {
            Ok(parsed) => parsed,
            Err(error) => unreachable!("the default of {name} must parse: {error}"),
        }
    }

    /// A whole number of at least 1.
    fn count(&mut self, name: &'static str, default: usize) -> usize {
        let Some(value) = self.text(name) else {
            return default;
        };
        match value.trim().parse::<usize>() {
            Ok(count) if count >= 1 => count,
            _ => {
                self.problem(name, "must be a whole number of at least 1");
                default
            }
        }
    }

    /// A positive humantime duration such as `25s` or `500ms`.
    fn duration(&mut self, name: &'static str, default: Duration) -> Duration {
        match self.duration_or_zero(name, default) {
            Duration::ZERO => {
                self.problem(name, "must be longer than zero");
                default
            }
            duration => duration,
        }
    }

    fn duration_or_zero(&mut self, name: &'static str, default: Duration) -> Duration {
        let Some(value) = self.text(name) else {
            return default;
        };
        humantime::parse_duration(value.trim()).unwrap_or_else(|_| {
            self.problem(name, "must be a duration such as `500ms`, `25s` or `5m`");
            default
        })
    }

    fn log_filter(&mut self) -> String {
        let Some(value) = self.text(RUST_LOG) else {
            return DEFAULT_LOG_FILTER.to_owned();
        };
        // The same parse that `telemetry::init` makes, so a filter accepted here starts.
        if crate::telemetry::log_filter(&value).is_err() {
            self.problem(
                RUST_LOG,
                "must be a filter such as `info` or `warn,hello_service=debug`",
            );
            return DEFAULT_LOG_FILTER.to_owned();
        }
        value
    }

    fn traces(&mut self) -> TracesConfig {
        // The specification's booleans are case-insensitive, and anything but `true` is
        // false.
        let disabled = self
            .text(OTEL_SDK_DISABLED)
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"));
        let exporter_off = match self.text(OTEL_TRACES_EXPORTER).as_deref().map(str::trim) {
            None | Some("otlp") => false,
            Some("none") => true,
            Some(_) => {
                self.problem(OTEL_TRACES_EXPORTER, "must be `otlp` or `none`");
                true
            }
        };
        let endpoint = self
            .endpoint(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
            .or_else(|| self.endpoint(OTEL_EXPORTER_OTLP_ENDPOINT));
        let protocol = if self.text(OTEL_EXPORTER_OTLP_TRACES_PROTOCOL).is_some() {
            self.parsed(OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, DEFAULT_OTLP_PROTOCOL)
        } else {
            self.parsed(OTEL_EXPORTER_OTLP_PROTOCOL, DEFAULT_OTLP_PROTOCOL)
        };
        let batch = self.batch();
        TracesConfig {
            export: endpoint
                .filter(|_| !disabled && !exporter_off)
                .map(|endpoint| OtlpExport { endpoint, protocol }),
            service_name: self
                .text(OTEL_SERVICE_NAME)
                .map(|name| name.trim().to_owned()),
            resource_attributes: self.resource_attributes(),
            sampler: self.sampler(),
            batch,
        }
    }

    /// `key=value,...`, each value percent-decoded, as the specification writes them.
    fn resource_attributes(&mut self) -> Vec<(String, String)> {
        let Some(list) = self.text(OTEL_RESOURCE_ATTRIBUTES) else {
            return Vec::new();
        };
        let mut attributes = Vec::new();
        for pair in list.split(',').filter(|pair| !pair.trim().is_empty()) {
            let decoded = pair.split_once('=').and_then(|(key, value)| {
                let value = percent_encoding::percent_decode_str(value.trim())
                    .decode_utf8()
                    .ok()?;
                Some((key.trim().to_owned(), value.into_owned()))
            });
            match decoded {
                Some((key, value)) if !key.is_empty() => attributes.push((key, value)),
                _ => {
                    self.problem(
                        OTEL_RESOURCE_ATTRIBUTES,
                        "must be `key=value` pairs separated by commas, values percent-encoded",
                    );
                    return Vec::new();
                }
            }
        }
        attributes
    }

    /// An `http://` URL with a host. TLS to the collector is not built in: the
    /// collector is a sidecar on the task's loopback.
    fn endpoint(&mut self, name: &'static str) -> Option<String> {
        let value = self.text(name)?.trim().to_owned();
        match value.parse::<axum::http::Uri>() {
            Ok(uri) if uri.scheme_str() == Some("http") && uri.host().is_some() => Some(value),
            Ok(uri) if uri.scheme_str() == Some("https") => {
                self.problem(
                    name,
                    "must be an http:// URL: TLS to the collector is not supported, \
                     run the collector beside the service",
                );
                None
            }
            _ => {
                self.problem(name, "must be a URL such as `http://localhost:4318`");
                None
            }
        }
    }

    fn sampler(&mut self) -> TraceSampler {
        let name = self.text(OTEL_TRACES_SAMPLER).map_or_else(
            || DEFAULT_TRACES_SAMPLER.to_owned(),
            |name| name.trim().to_owned(),
        );
        let mut ratio = || match self.text(OTEL_TRACES_SAMPLER_ARG) {
            None => 1.0,
            Some(value) => match value.trim().parse::<f64>() {
                Ok(ratio) if (0.0..=1.0).contains(&ratio) => ratio,
                _ => {
                    self.problem(OTEL_TRACES_SAMPLER_ARG, "must be a number from 0 to 1");
                    1.0
                }
            },
        };
        match name.as_str() {
            "always_on" => TraceSampler::AlwaysOn,
            "always_off" => TraceSampler::AlwaysOff,
            "traceidratio" => TraceSampler::TraceIdRatio(ratio()),
            "parentbased_always_on" => TraceSampler::ParentBasedAlwaysOn,
            "parentbased_always_off" => TraceSampler::ParentBasedAlwaysOff,
            "parentbased_traceidratio" => TraceSampler::ParentBasedTraceIdRatio(ratio()),
            _ => {
                self.problem(
                    OTEL_TRACES_SAMPLER,
                    "must be one of always_on, always_off, traceidratio, \
                     parentbased_always_on, parentbased_always_off, parentbased_traceidratio",
                );
                TraceSampler::ParentBasedAlwaysOn
            }
        }
    }

    fn batch(&mut self) -> BatchSettings {
        let defaults = BatchSettings::default();
        let mut millis = |name, default: Duration| {
            let default = usize::try_from(default.as_millis()).unwrap_or(usize::MAX);
            Duration::from_millis(self.count(name, default) as u64)
        };
        let schedule_delay = millis(OTEL_BSP_SCHEDULE_DELAY, defaults.schedule_delay);
        let export_timeout = millis(OTEL_BSP_EXPORT_TIMEOUT, defaults.export_timeout);
        let max_queue_size = self.count(OTEL_BSP_MAX_QUEUE_SIZE, defaults.max_queue_size);
        let mut max_export_batch_size = self.count(
            OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
            defaults.max_export_batch_size.min(max_queue_size),
        );
        if max_export_batch_size > max_queue_size {
            self.problem(
                OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
                format!("must not exceed {OTEL_BSP_MAX_QUEUE_SIZE}"),
            );
            max_export_batch_size = max_queue_size;
        }
        BatchSettings {
            schedule_delay,
            max_queue_size,
            max_export_batch_size,
            export_timeout,
        }
    }

    fn flag(&mut self, name: &'static str) -> bool {
        match self.text(name).as_deref().map(str::trim) {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            Some(_) => {
                self.problem(name, "must be `true` or `false`");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

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
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.log_filter, "info");
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
    fn traces_are_exported_only_to_a_configured_collector() {
        let defaults = config(&[]).expect("defaults are valid").traces;
        assert_eq!(defaults.export, None);
        assert_eq!(defaults.sampler, TraceSampler::ParentBasedAlwaysOn);
        assert_eq!(defaults.service_name, None);
        assert!(defaults.resource_attributes.is_empty());
        assert_eq!(defaults.batch.max_queue_size, 2048);
        assert_eq!(defaults.batch.max_export_batch_size, 128);

        let endpoint = "http://localhost:4318";
        let export = |vars: &[(&str, &str)]| config(vars).expect("valid").traces.export;
        assert_eq!(
            export(&[(OTEL_EXPORTER_OTLP_ENDPOINT, endpoint)]),
            Some(OtlpExport {
                endpoint: endpoint.to_owned(),
                protocol: OtlpProtocol::HttpProtobuf
            })
        );
        assert_eq!(
            export(&[
                (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, "http://collector:4317"),
                (OTEL_EXPORTER_OTLP_PROTOCOL, "grpc"),
            ])
            .map(|export| (export.endpoint, export.protocol)),
            Some(("http://collector:4317".to_owned(), OtlpProtocol::Grpc))
        );
        assert_eq!(
            export(&[
                (OTEL_EXPORTER_OTLP_ENDPOINT, endpoint),
                (OTEL_SDK_DISABLED, "true")
            ]),
            None
        );
        assert_eq!(
            export(&[
                (OTEL_EXPORTER_OTLP_ENDPOINT, endpoint),
                (OTEL_TRACES_EXPORTER, "none")
            ]),
            None
        );
    }

    #[test]
    fn resource_attributes_are_decoded_and_the_specifications_spellings_kept() {
        let traces = config(&[
            (
                OTEL_RESOURCE_ATTRIBUTES,
                "deployment.environment.name=prod, team = a%2Cb%3Dc ,",
            ),
            (OTEL_SERVICE_NAME, "greeter"),
            (OTEL_EXPORTER_OTLP_ENDPOINT, "http://localhost:4317"),
            (OTEL_EXPORTER_OTLP_PROTOCOL, "http/protobuf"),
            (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, "grpc"),
        ])
        .expect("valid")
        .traces;
        assert_eq!(
            traces.resource_attributes,
            [
                ("deployment.environment.name".to_owned(), "prod".to_owned()),
                ("team".to_owned(), "a,b=c".to_owned()),
            ]
        );
        assert_eq!(traces.service_name.as_deref(), Some("greeter"));
        assert_eq!(
            traces.export.map(|export| export.protocol),
            Some(OtlpProtocol::Grpc),
            "the traces' own protocol wins"
        );

        for disabled in ["true", "TRUE", "True"] {
            let traces = config(&[
                (OTEL_EXPORTER_OTLP_ENDPOINT, "http://localhost:4317"),
                (OTEL_SDK_DISABLED, disabled),
            ])
            .expect("valid")
            .traces;
            assert_eq!(traces.export, None, "{disabled}");
        }

        let error = config(&[(OTEL_RESOURCE_ATTRIBUTES, "novalue")]).expect_err("invalid");
        assert_eq!(error.problems[0].variable, OTEL_RESOURCE_ATTRIBUTES);
    }

    #[test]
    fn samplers_are_the_specifications() {
        let sampler = |name: &str, arg: Option<&str>| {
            let mut vars = vec![(OTEL_TRACES_SAMPLER, name)];
            vars.extend(arg.map(|arg| (OTEL_TRACES_SAMPLER_ARG, arg)));
            config(&vars).expect("valid").traces.sampler
        };
        assert_eq!(sampler("always_on", None), TraceSampler::AlwaysOn);
        assert_eq!(sampler("always_off", None), TraceSampler::AlwaysOff);
        assert_eq!(
            sampler("traceidratio", None),
            TraceSampler::TraceIdRatio(1.0)
        );
        assert_eq!(
            sampler("parentbased_traceidratio", Some("0.1")),
            TraceSampler::ParentBasedTraceIdRatio(0.1)
        );
        assert_eq!(
            sampler("parentbased_always_off", None),
            TraceSampler::ParentBasedAlwaysOff
        );
    }

    #[test]
    fn bad_trace_settings_are_named() {
        let error = config(&[
            (OTEL_EXPORTER_OTLP_ENDPOINT, "https://collector:4317"),
            (OTEL_EXPORTER_OTLP_PROTOCOL, "http/json"),
            (OTEL_TRACES_SAMPLER, "xray"),
            (OTEL_BSP_MAX_QUEUE_SIZE, "8"),
            (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, "16"),
        ])
        .expect_err("all of these are invalid");
        let named: Vec<_> = error.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            named,
            [
                OTEL_EXPORTER_OTLP_ENDPOINT,
                OTEL_EXPORTER_OTLP_PROTOCOL,
                OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
                OTEL_TRACES_SAMPLER,
            ]
        );
        let error = config(&[
            (OTEL_TRACES_SAMPLER, "traceidratio"),
            (OTEL_TRACES_SAMPLER_ARG, "1.5"),
            (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, "collector"),
        ])
        .expect_err("invalid");
        let named: Vec<_> = error.problems.iter().map(|p| p.variable).collect();
        assert_eq!(
            named,
            [OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_TRACES_SAMPLER_ARG]
        );
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
