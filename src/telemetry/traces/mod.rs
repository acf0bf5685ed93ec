//! OpenTelemetry traces, exported over OTLP when a collector is configured.
//!
//! Each request on the app listener gets one server span, started by the request path
//! ([`RequestTracer::start`], in `request.rs`) with the OpenTelemetry SDK directly
//! rather than through a `tracing` span: an unsampled request then costs a sampling
//! decision and two random ids, nothing more. A sampled request's span is attached to
//! its future as the current OpenTelemetry context, so the `tracing` spans of its
//! database queries become its children through `tracing-opentelemetry`
//! ([`Traces::layer`]).
//!
//! Finished spans go to a bounded queue and from there, in batches, to the collector on
//! a thread of their own (`export.rs`). A dead, slow or refusing collector therefore
//! never holds up a request: when the queue is full, new spans are dropped and counted,
//! and the loss is logged at most every [`REPORT_INTERVAL`].

pub mod config;
mod export;
mod request;

use std::time::Duration;

use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry::{Context, InstrumentationScope, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::resource::{ResourceDetector, TelemetryResourceDetector};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing_subscriber::filter;
use tracing_subscriber::layer::{Filter, Layer};
use tracing_subscriber::registry::LookupSpan;

use self::config::DEFAULT_SERVICE_NAME;
pub use self::config::{OtlpExport, TracesConfig};
use crate::build_info::BUILD;

pub use request::{RequestSpan, RequestTracer};

/// How long shutdown waits for queued spans to reach the collector (docs/design.md section 7).
pub const FLUSH_LIMIT: Duration = Duration::from_secs(3);

/// Lost spans are logged at most this often.
pub const REPORT_INTERVAL: Duration = Duration::from_secs(10);

/// Trace export: the provider, and the thread that sends its spans to the collector.
#[derive(Debug)]
pub struct Traces {
    /// Owns the export queue; shutting it down flushes.
    provider: SdkTracerProvider,
    /// The tracer of this crate's spans.
    tracer: SdkTracer,
}

impl Traces {
    /// Starts exporting to `export`. Fails when the exporter cannot be built; the
    /// collector itself need not be up, now or ever.
    pub fn start(config: &TracesConfig, export: &OtlpExport) -> anyhow::Result<Self> {
        let resource = resource(config);
        let queue = export::ExportQueue::start(export.protocol, config.batch, &resource)?;
        let provider = SdkTracerProvider::builder()
            .with_span_processor(queue)
            .with_sampler(config.sampler.clone())
            .with_resource(resource)
            .build();
        let tracer = provider.tracer_with_scope(
            InstrumentationScope::builder(env!("CARGO_PKG_NAME"))
                .with_version(BUILD.version)
                .build(),
        );
        Ok(Self { provider, tracer })
    }

    /// What the request path starts its spans with.
    pub fn request_tracer(&self) -> RequestTracer {
        RequestTracer::new(self.tracer.clone())
    }

    /// The `tracing` layer that turns the service's own spans (database queries) into
    /// children of the request's span. It sees only spans of this crate made inside a
    /// sampled request, so an unsampled request or a background task exports nothing,
    /// and it leaves out the `tracing` internals (`code.*`, `thread.*`, `busy_ns`).
    pub fn layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: tracing::Subscriber + for<'span> LookupSpan<'span>,
    {
        tracing_opentelemetry::layer()
            .with_tracer(self.tracer.clone())
            .with_location(false)
            .with_threads(false)
            .with_tracked_inactivity(false)
            .with_level(false)
            .with_target(false)
            .with_filter(own_spans_in_sampled_requests())
    }

    /// Sends what is queued, waiting at most [`FLUSH_LIMIT`], and stops exporting.
    pub fn shutdown(self) {
        // Blocks this thread, not the export thread, which runs a runtime of its own;
        // by now the servers have stopped and nothing else waits on this thread. A
        // flush that times out has logged what it lost.
        let _ = self.provider.shutdown_with_timeout(FLUSH_LIMIT);
    }
}

fn own_spans_in_sampled_requests<S>() -> impl Filter<S> {
    let own = |metadata: &tracing::Metadata<'_>| {
        metadata.is_span() && metadata.target().starts_with(env!("CARGO_CRATE_NAME"))
    };
    filter::dynamic_filter_fn(move |metadata, _| {
        own(metadata) && Context::map_current(|cx| cx.span().span_context().is_sampled())
    })
    // Never for other crates' spans and all events. Combined with the log filter's
    // interest those callsites still ask both filters on each use (per-layer filtering
    // cannot cache a disagreement), so the check above returns at its first test for
    // them: with no request sampled, the cost is within noise (docs/benchmarks.md).
    .with_callsite_filter(move |metadata| {
        if own(metadata) {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    })
    // The database spans are at DEBUG.
    .with_max_level_hint(tracing::Level::DEBUG)
}

/// `service.name`, `service.version`, a random `service.instance.id`, the SDK's own
/// `telemetry.sdk.*`, and `OTEL_RESOURCE_ATTRIBUTES`, which may override all of them but
/// an explicit `OTEL_SERVICE_NAME`, as the specification orders them.
fn resource(config: &TracesConfig) -> Resource {
    let detectors: [Box<dyn ResourceDetector>; 1] = [Box::new(TelemetryResourceDetector)];
    let mut resource = Resource::builder_empty()
        .with_attributes([
            KeyValue::new("service.name", DEFAULT_SERVICE_NAME),
            KeyValue::new("service.version", BUILD.version),
            KeyValue::new("service.instance.id", uuid::Uuid::new_v4().to_string()),
        ])
        .with_detectors(&detectors)
        .with_attributes(
            config
                .resource_attributes
                .iter()
                .map(|(key, value)| KeyValue::new(key.clone(), value.clone())),
        );
    if let Some(name) = &config.service_name {
        resource = resource.with_service_name(name.clone());
    }
    resource.build()
}
