//! Trace settings, from the variables the OpenTelemetry specification defines. The
//! exporter itself also reads [`OTEL_EXPORTER_OTLP_HEADERS`] and
//! `OTEL_EXPORTER_OTLP_TIMEOUT`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use opentelemetry_sdk::trace::Sampler;
use serde_json::{Map, Value, json};

use crate::env::Env;

/// OTLP endpoint of all signals; traces go to `<endpoint>/v1/traces` over HTTP. Setting
/// it (or [`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`]) turns trace export on.
pub const OTEL_EXPORTER_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// OTLP endpoint of traces alone, used as it is; wins over [`OTEL_EXPORTER_OTLP_ENDPOINT`].
pub const OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
/// `grpc` or `http/protobuf`.
pub const OTEL_EXPORTER_OTLP_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
/// The traces' own protocol; wins over [`OTEL_EXPORTER_OTLP_PROTOCOL`].
pub const OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
/// The specification's default protocol.
pub const DEFAULT_OTLP_PROTOCOL: &str = "http/protobuf";
/// Extra headers for the collector (`key=value,...`), read by the exporter; a secret.
pub const OTEL_EXPORTER_OTLP_HEADERS: &str = "OTEL_EXPORTER_OTLP_HEADERS";
/// `true` turns all export off.
pub const OTEL_SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
/// `otlp` or `none`.
pub const OTEL_TRACES_EXPORTER: &str = "OTEL_TRACES_EXPORTER";
/// `service.name`.
pub const OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
/// `service.name` when neither [`OTEL_SERVICE_NAME`] nor the resource attributes set it.
pub const DEFAULT_SERVICE_NAME: &str = "hello-service";
/// `key=value,...` attributes of every span's resource.
pub const OTEL_RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
/// Which requests are traced.
pub const OTEL_TRACES_SAMPLER: &str = "OTEL_TRACES_SAMPLER";
/// The specification's default sampler.
pub const DEFAULT_TRACES_SAMPLER: &str = "parentbased_always_on";
/// The ratio of the ratio samplers.
pub const OTEL_TRACES_SAMPLER_ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
/// The ratio when [`OTEL_TRACES_SAMPLER_ARG`] is not set: the specification's.
pub const DEFAULT_TRACES_SAMPLER_ARG: f64 = 1.0;
/// Longest wait before queued spans are sent, in milliseconds.
pub const OTEL_BSP_SCHEDULE_DELAY: &str = "OTEL_BSP_SCHEDULE_DELAY";
/// The specification's default.
pub const DEFAULT_BSP_SCHEDULE_DELAY: Duration = Duration::from_secs(5);
/// Spans queued before new ones are dropped.
pub const OTEL_BSP_MAX_QUEUE_SIZE: &str = "OTEL_BSP_MAX_QUEUE_SIZE";
/// The specification's default.
pub const DEFAULT_BSP_MAX_QUEUE_SIZE: usize = 2048;
/// Most spans in one export request.
pub const OTEL_BSP_MAX_EXPORT_BATCH_SIZE: &str = "OTEL_BSP_MAX_EXPORT_BATCH_SIZE";
/// 128, not the specification's 512: a batch is encoded in one go on the core that also
/// serves requests, and 512 spans at once showed in p99 (docs/benchmarks.md).
pub const DEFAULT_BSP_MAX_EXPORT_BATCH_SIZE: usize = 128;
/// Time limit of one export request, in milliseconds.
pub const OTEL_BSP_EXPORT_TIMEOUT: &str = "OTEL_BSP_EXPORT_TIMEOUT";
/// The specification's default.
pub const DEFAULT_BSP_EXPORT_TIMEOUT: Duration = Duration::from_secs(30);

/// The samplers of the specification, by the names [`OTEL_TRACES_SAMPLER`] takes.
const SAMPLERS: &str = "always_on, always_off, traceidratio, parentbased_always_on, \
                        parentbased_always_off, parentbased_traceidratio";

/// OpenTelemetry trace settings.
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
    pub sampler: Sampler,
    /// [`OTEL_TRACES_SAMPLER`] and its ratio as given, for `check-config`.
    pub sampler_name: String,
    /// The ratio of a ratio sampler.
    pub sampler_arg: Option<f64>,
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

/// The export queue (`OTEL_BSP_*`).
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
            schedule_delay: DEFAULT_BSP_SCHEDULE_DELAY,
            max_queue_size: DEFAULT_BSP_MAX_QUEUE_SIZE,
            max_export_batch_size: DEFAULT_BSP_MAX_EXPORT_BATCH_SIZE,
            export_timeout: DEFAULT_BSP_EXPORT_TIMEOUT,
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

impl TracesConfig {
    /// Reads the trace variables, noting each bad one in `env`.
    pub fn read(env: &mut Env<'_>) -> Self {
        // The specification's booleans are case-insensitive, and anything but `true` is
        // false.
        let disabled = env
            .text(OTEL_SDK_DISABLED)
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"));
        let exporter_off = match env.text(OTEL_TRACES_EXPORTER).as_deref().map(str::trim) {
            None | Some("otlp") => false,
            Some("none") => true,
            Some(_) => {
                env.problem(OTEL_TRACES_EXPORTER, "must be `otlp` or `none`");
                true
            }
        };
        let endpoint = endpoint(env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
            .or_else(|| endpoint(env, OTEL_EXPORTER_OTLP_ENDPOINT));
        let protocol = if env.text(OTEL_EXPORTER_OTLP_TRACES_PROTOCOL).is_some() {
            env.parsed(OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, DEFAULT_OTLP_PROTOCOL)
        } else {
            env.parsed(OTEL_EXPORTER_OTLP_PROTOCOL, DEFAULT_OTLP_PROTOCOL)
        };
        let batch = batch(env);
        let service_name = env
            .text(OTEL_SERVICE_NAME)
            .map(|name| name.trim().to_owned());
        let resource_attributes = resource_attributes(env);
        let (sampler, sampler_name, sampler_arg) = sampler(env);
        Self {
            export: endpoint
                .filter(|_| !disabled && !exporter_off)
                .map(|endpoint| OtlpExport { endpoint, protocol }),
            service_name,
            resource_attributes,
            sampler,
            sampler_name,
            sampler_arg,
            batch,
        }
    }

    /// The settings keyed by variable name, as `check-config` shows them.
    pub fn shown(&self, shown: &mut Map<String, Value>) {
        let millis = |value: Duration| u64::try_from(value.as_millis()).unwrap_or(u64::MAX);
        let export = self.export.as_ref();
        let entries = [
            (
                OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
                json!(export.map(|export| &export.endpoint)),
            ),
            (
                OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
                json!(export.map(|export| export.protocol.to_string())),
            ),
            (OTEL_SERVICE_NAME, json!(self.service_name)),
            (
                OTEL_RESOURCE_ATTRIBUTES,
                json!(
                    self.resource_attributes
                        .iter()
                        .map(|(key, value)| format!("{key}={value}"))
                        .collect::<Vec<_>>()
                ),
            ),
            (OTEL_TRACES_SAMPLER, json!(self.sampler_name)),
            (OTEL_TRACES_SAMPLER_ARG, json!(self.sampler_arg)),
            (
                OTEL_BSP_SCHEDULE_DELAY,
                json!(millis(self.batch.schedule_delay)),
            ),
            (OTEL_BSP_MAX_QUEUE_SIZE, json!(self.batch.max_queue_size)),
            (
                OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
                json!(self.batch.max_export_batch_size),
            ),
            (
                OTEL_BSP_EXPORT_TIMEOUT,
                json!(millis(self.batch.export_timeout)),
            ),
        ];
        for (name, value) in entries {
            shown.insert(name.to_owned(), value);
        }
    }
}

/// An `http://` URL with a host. TLS to the collector is not built in: the collector is
/// a sidecar on the task's loopback.
fn endpoint(env: &mut Env<'_>, name: &'static str) -> Option<String> {
    let value = env.text(name)?.trim().to_owned();
    match value.parse::<axum::http::Uri>() {
        Ok(uri) if uri.scheme_str() == Some("http") && uri.host().is_some() => Some(value),
        Ok(uri) if uri.scheme_str() == Some("https") => {
            env.problem(
                name,
                "must be an http:// URL: TLS to the collector is not supported, \
                 run the collector beside the service",
            );
            None
        }
        _ => {
            env.problem(name, "must be a URL such as `http://localhost:4318`");
            None
        }
    }
}

/// `key=value,...`, each value percent-decoded, as the specification writes them.
fn resource_attributes(env: &mut Env<'_>) -> Vec<(String, String)> {
    let Some(list) = env.text(OTEL_RESOURCE_ATTRIBUTES) else {
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
                env.problem(
                    OTEL_RESOURCE_ATTRIBUTES,
                    "must be `key=value` pairs separated by commas, values percent-encoded",
                );
                return Vec::new();
            }
        }
    }
    attributes
}

/// The SDK's sampler for [`OTEL_TRACES_SAMPLER`] and its argument, with the name and
/// the ratio as read.
fn sampler(env: &mut Env<'_>) -> (Sampler, String, Option<f64>) {
    let name = env.text(OTEL_TRACES_SAMPLER).map_or_else(
        || DEFAULT_TRACES_SAMPLER.to_owned(),
        |name| name.trim().to_owned(),
    );
    let mut ratio = || match env.text(OTEL_TRACES_SAMPLER_ARG) {
        None => DEFAULT_TRACES_SAMPLER_ARG,
        Some(value) => match value.trim().parse::<f64>() {
            Ok(ratio) if (0.0..=1.0).contains(&ratio) => ratio,
            _ => {
                env.problem(OTEL_TRACES_SAMPLER_ARG, "must be a number from 0 to 1");
                DEFAULT_TRACES_SAMPLER_ARG
            }
        },
    };
    let parent_based = |root: Sampler| Sampler::ParentBased(Box::new(root));
    let (sampler, arg) = match name.as_str() {
        "always_on" => (Sampler::AlwaysOn, None),
        "always_off" => (Sampler::AlwaysOff, None),
        "traceidratio" => {
            let ratio = ratio();
            (Sampler::TraceIdRatioBased(ratio), Some(ratio))
        }
        "parentbased_always_on" => (parent_based(Sampler::AlwaysOn), None),
        "parentbased_always_off" => (parent_based(Sampler::AlwaysOff), None),
        "parentbased_traceidratio" => {
            let ratio = ratio();
            (parent_based(Sampler::TraceIdRatioBased(ratio)), Some(ratio))
        }
        _ => {
            env.problem(OTEL_TRACES_SAMPLER, format!("must be one of {SAMPLERS}"));
            let sampler = parent_based(Sampler::AlwaysOn);
            return (sampler, DEFAULT_TRACES_SAMPLER.to_owned(), None);
        }
    };
    (sampler, name, arg)
}

fn batch(env: &mut Env<'_>) -> BatchSettings {
    let schedule_delay = env.millis(OTEL_BSP_SCHEDULE_DELAY, DEFAULT_BSP_SCHEDULE_DELAY);
    let export_timeout = env.millis(OTEL_BSP_EXPORT_TIMEOUT, DEFAULT_BSP_EXPORT_TIMEOUT);
    let max_queue_size = env.count(OTEL_BSP_MAX_QUEUE_SIZE, DEFAULT_BSP_MAX_QUEUE_SIZE);
    let mut max_export_batch_size = env.count(
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
        DEFAULT_BSP_MAX_EXPORT_BATCH_SIZE.min(max_queue_size),
    );
    if max_export_batch_size > max_queue_size {
        env.problem(
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

#[cfg(test)]
mod tests;
