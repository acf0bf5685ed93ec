//! OpenTelemetry traces, exported over OTLP when a collector is configured.
//!
//! Each request on the app listener gets one server span, started by the request path
//! ([`RequestTracer::start`]) with the OpenTelemetry SDK directly rather than through a
//! `tracing` span: an unsampled request then costs a sampling decision and two random
//! ids, nothing more. A sampled request's span is attached to its future as the
//! current OpenTelemetry context, so the `tracing` spans of its database queries become
//! its children through `tracing-opentelemetry` ([`Traces::layer`]).
//!
//! Finished spans go to a bounded queue ([`ExportQueue`]) and from there, in batches, to
//! the collector on a thread of their own. A dead, slow or refusing collector therefore
//! never holds up a request: when the queue is full, new spans are dropped and counted,
//! and the loss is logged at most every [`REPORT_INTERVAL`]. The SDK's own batch
//! processor drops the same way, but reports only its first drop and a total at
//! shutdown, which is too late for an operator to act on.

use std::str::FromStr as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::extract::Request;
use axum::http::{HeaderMap, Version, header};
use opentelemetry::trace::{
    Span as _, SpanBuilder, SpanContext, SpanKind, Status, TraceContextExt as _, TraceFlags,
    TraceState, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, InstrumentationScope, KeyValue};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::resource::{
    EnvResourceDetector, ResourceDetector, TelemetryResourceDetector,
};
use opentelemetry_sdk::trace::{
    Sampler, SdkTracer, SdkTracerProvider, Span, SpanData, SpanExporter as _, SpanProcessor,
};
use tokio::sync::{Notify, mpsc};
use tracing_subscriber::filter;
use tracing_subscriber::layer::{Filter, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::build_info::BUILD;
use crate::config::{BatchSettings, OtlpExport, OtlpProtocol, TraceSampler, TracesConfig};
use crate::telemetry::metrics::method_label;
use crate::telemetry::trace_context::{Parent, SpanId, TRACESTATE, TraceContext, TraceId};

/// How long shutdown waits for queued spans to reach the collector (DESIGN.md section 7).
pub const FLUSH_LIMIT: Duration = Duration::from_secs(3);

/// Lost spans are logged at most this often.
pub const REPORT_INTERVAL: Duration = Duration::from_secs(10);

/// How often an export in progress looks for spans dropped meanwhile.
const REPORT_CHECK: Duration = Duration::from_millis(250);

/// `error.type` of a request whose client went away before its answer: there is no
/// status code to record, as none was sent.
const CLIENT_CLOSED: &str = "client_closed";

/// Trace export: the provider, and the thread that sends its spans to the collector.
#[derive(Debug)]
pub struct Traces {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
}

impl Traces {
    /// Starts exporting to `export`. Fails when the exporter cannot be built; the
    /// collector itself need not be up, now or ever.
    pub fn start(config: &TracesConfig, export: &OtlpExport) -> anyhow::Result<Self> {
        let resource = resource(config);
        let queue = ExportQueue::start(export.protocol, config.batch, &resource)?;
        let provider = SdkTracerProvider::builder()
            .with_span_processor(queue)
            .with_sampler(sampler(config.sampler))
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
        RequestTracer {
            tracer: self.tracer.clone(),
        }
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
    // Decided once per callsite for everything else, so the events of other crates never
    // ask the dynamic part.
    .with_callsite_filter(move |metadata| {
        if own(metadata) {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    })
    .with_max_level_hint(tracing::Level::DEBUG)
}

/// `service.name` (default `hello-service`), `service.version`, a random
/// `service.instance.id`, the SDK's own attributes, and `OTEL_RESOURCE_ATTRIBUTES`, which
/// override all but an explicit `OTEL_SERVICE_NAME`.
fn resource(config: &TracesConfig) -> Resource {
    let detectors: [Box<dyn ResourceDetector>; 2] = [
        Box::new(TelemetryResourceDetector),
        Box::new(EnvResourceDetector::new()),
    ];
    let mut resource = Resource::builder_empty()
        .with_attributes([
            KeyValue::new("service.name", crate::config::DEFAULT_SERVICE_NAME),
            KeyValue::new("service.version", BUILD.version),
            KeyValue::new("service.instance.id", uuid::Uuid::new_v4().to_string()),
        ])
        .with_detectors(&detectors);
    if std::env::var_os(crate::config::OTEL_SERVICE_NAME).is_some() {
        resource = resource.with_service_name(config.service_name.clone());
    }
    resource.build()
}

fn sampler(sampler: TraceSampler) -> Sampler {
    match sampler {
        TraceSampler::AlwaysOn => Sampler::AlwaysOn,
        TraceSampler::AlwaysOff => Sampler::AlwaysOff,
        TraceSampler::TraceIdRatio(ratio) => Sampler::TraceIdRatioBased(ratio),
        TraceSampler::ParentBasedAlwaysOn => Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
        TraceSampler::ParentBasedAlwaysOff => Sampler::ParentBased(Box::new(Sampler::AlwaysOff)),
        TraceSampler::ParentBasedTraceIdRatio(ratio) => {
            Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio)))
        }
    }
}

/// Starts the server span of each request. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RequestTracer {
    tracer: SdkTracer,
}

/// One request's server span.
#[derive(Debug)]
pub struct RequestSpan {
    ids: TraceContext,
    /// The span as the current context of the request's future; only when sampled.
    recording: Option<Context>,
}

impl RequestTracer {
    /// Starts the span of `request`, the child of the caller's when there is one.
    ///
    /// The sampler sees the span's kind and the method as its name; the attributes of the
    /// HTTP server conventions are added only once the span is known to be sampled, so
    /// an unsampled request allocates none of them.
    pub fn start(
        &self,
        request: &Request,
        parent: Option<&Parent>,
        route: Option<&str>,
    ) -> RequestSpan {
        let method = method_label(request.method());
        let name = if method == "_OTHER" { "HTTP" } else { method };
        let parent_cx = parent.map_or_else(Context::new, |parent| {
            Context::new().with_remote_span_context(remote_span_context(parent, request.headers()))
        });
        let mut span = self.tracer.build_with_context(
            SpanBuilder::from_name(name).with_kind(SpanKind::Server),
            &parent_cx,
        );
        let context = span.span_context();
        let ids = TraceContext {
            trace_id: TraceId(u128::from_be_bytes(context.trace_id().to_bytes())),
            span_id: SpanId(u64::from_be_bytes(context.span_id().to_bytes())),
            sampled: context.is_sampled(),
        };
        if !span.is_recording() {
            return RequestSpan {
                ids,
                recording: None,
            };
        }
        if let Some(route) = route {
            span.update_name(format!("{name} {route}"));
        }
        span.set_attributes(server_attributes(request, method, route));
        RequestSpan {
            ids,
            recording: Some(parent_cx.with_span(span)),
        }
    }
}

impl RequestSpan {
    /// A request that is not traced still has ids, for its log lines.
    pub fn untraced(parent: Option<&Parent>) -> Self {
        Self {
            ids: TraceContext::untraced(parent),
            recording: None,
        }
    }

    /// The ids its log lines carry.
    pub fn ids(&self) -> TraceContext {
        self.ids
    }

    /// The context to make current while the request is served, when it is sampled.
    pub fn context(&self) -> Option<Context> {
        self.recording.clone()
    }

    /// Ends the span with the status answered, or `None` when the client went away.
    pub fn end(&mut self, status: Option<u16>) {
        let Some(cx) = self.recording.take() else {
            return;
        };
        let span = cx.span();
        match status {
            Some(status) => {
                span.set_attribute(KeyValue::new(
                    "http.response.status_code",
                    i64::from(status),
                ));
                // Server spans mark only 5xx as errors: a 4xx is the client's.
                if status >= 500 {
                    span.set_attribute(KeyValue::new("error.type", status.to_string()));
                    span.set_status(Status::error(""));
                }
            }
            None => span.set_attribute(KeyValue::new("error.type", CLIENT_CLOSED)),
        }
        span.end();
    }
}

fn remote_span_context(parent: &Parent, headers: &HeaderMap) -> SpanContext {
    let state = headers
        .get(&TRACESTATE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| TraceState::from_str(value).ok())
        .unwrap_or_default();
    SpanContext::new(
        parent.trace_id.0.into(),
        parent.span_id.0.into(),
        if parent.sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        },
        true,
        state,
    )
}

/// The HTTP server span attributes of the semantic conventions. The query string is
/// left out: it may carry what should not be stored.
fn server_attributes(
    request: &Request,
    method: &'static str,
    route: Option<&str>,
) -> Vec<KeyValue> {
    let headers = request.headers();
    let header = |name| headers.get(name).and_then(|value| value.to_str().ok());
    let mut attributes = Vec::with_capacity(10);
    attributes.push(KeyValue::new("http.request.method", method));
    if method == "_OTHER" {
        attributes.push(KeyValue::new(
            "http.request.method_original",
            request.method().as_str().to_owned(),
        ));
    }
    attributes.push(KeyValue::new("url.path", request.uri().path().to_owned()));
    // Behind the load balancer, the scheme the client used is the forwarded one.
    let scheme = match header("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    attributes.push(KeyValue::new("url.scheme", scheme));
    if let Some(route) = route {
        attributes.push(KeyValue::new("http.route", route.to_owned()));
    }
    let version = match request.version() {
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        _ => "1.1",
    };
    attributes.push(KeyValue::new("network.protocol.version", version));
    if let Some(host) = header(header::HOST.as_str())
        .and_then(|host| host.parse::<axum::http::uri::Authority>().ok())
    {
        attributes.push(KeyValue::new("server.address", host.host().to_owned()));
        if let Some(port) = host.port_u16() {
            attributes.push(KeyValue::new("server.port", i64::from(port)));
        }
    }
    if let Some(client) = header("x-forwarded-for").and_then(|list| list.split(',').next()) {
        attributes.push(KeyValue::new("client.address", client.trim().to_owned()));
    }
    if let Some(agent) = header(header::USER_AGENT.as_str()) {
        attributes.push(KeyValue::new("user_agent.original", agent.to_owned()));
    }
    attributes
}

/// The span processor: finished spans into a bounded queue, never waiting.
///
/// Queueing a span wakes nobody: the export thread is woken when a whole batch is
/// waiting, or by its timer. Waking it for each span would cost a context switch per
/// sampled request on the core that serves requests.
#[derive(Debug)]
struct ExportQueue {
    spans: SyncSender<SpanData>,
    shared: Arc<Shared>,
    control: mpsc::UnboundedSender<Control>,
}

/// What the request path and the export thread share.
#[derive(Debug)]
struct Shared {
    /// Spans in the queue.
    queued: AtomicUsize,
    /// Spans dropped because the queue was full.
    dropped: AtomicU64,
    /// Told when the queue holds a whole batch.
    batch_ready: Notify,
    batch_size: usize,
}

/// Requests to the export thread; each answers on its channel when done.
enum Control {
    Flush(SyncSender<()>),
    Shutdown(SyncSender<()>),
}

impl ExportQueue {
    /// Builds the exporter on a thread of its own and starts exporting there.
    fn start(
        protocol: OtlpProtocol,
        batch: BatchSettings,
        resource: &Resource,
    ) -> anyhow::Result<Self> {
        let (spans, queue) = std::sync::mpsc::sync_channel(batch.max_queue_size);
        let (control, requests) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queued: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
            batch_ready: Notify::new(),
            batch_size: batch.max_export_batch_size,
        });
        let (ready, started) = std::sync::mpsc::sync_channel(1);
        let worker = Worker {
            batch,
            queue,
            shared: Arc::clone(&shared),
            requests,
            losses: Losses::default(),
        };
        let resource = resource.clone();
        std::thread::Builder::new()
            .name("otel-export".to_owned())
            .spawn(move || {
                // The exporters are async (tonic, reqwest), and their connections live
                // on this runtime, apart from the one serving requests.
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready.send(Err(anyhow::Error::from(error)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match exporter(protocol, &resource) {
                        Ok(exporter) => {
                            let _ = ready.send(Ok(()));
                            worker.run(exporter).await;
                        }
                        Err(error) => {
                            let _ = ready.send(Err(error));
                        }
                    }
                });
            })
            .context("cannot start the trace export thread")?;
        started
            .recv()
            .context("the trace export thread stopped")??;
        Ok(Self {
            spans,
            shared,
            control,
        })
    }

    fn ask(&self, request: fn(SyncSender<()>) -> Control, limit: Duration) -> OTelSdkResult {
        let (done, answer) = std::sync::mpsc::sync_channel(1);
        self.control
            .send(request(done))
            .map_err(|_| OTelSdkError::AlreadyShutdown)?;
        answer
            .recv_timeout(limit)
            .map_err(|_| OTelSdkError::Timeout(limit))
    }
}

impl SpanProcessor for ExportQueue {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        if !span.span_context.is_sampled() {
            return;
        }
        if self.spans.try_send(span).is_err() {
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        // Exactly one span makes the count reach a whole batch each time it does.
        if self.shared.queued.fetch_add(1, Ordering::Relaxed) + 1 == self.shared.batch_size {
            self.shared.batch_ready.notify_one();
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.ask(Control::Flush, FLUSH_LIMIT)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let result = self.ask(Control::Shutdown, timeout);
        if result.is_err() {
            // The export thread is stuck on the collector and cannot say it itself.
            tracing::warn!(
                unsent = self.shared.queued.load(Ordering::Relaxed),
                dropped_total = self.shared.dropped.load(Ordering::Relaxed),
                "trace spans lost at shutdown: the collector did not take them in time"
            );
        }
        result
    }
}

/// The OTLP exporter of `protocol`. It reads the endpoint, headers and timeout from the
/// standard variables itself.
fn exporter(
    protocol: OtlpProtocol,
    resource: &Resource,
) -> anyhow::Result<opentelemetry_otlp::SpanExporter> {
    let builder = opentelemetry_otlp::SpanExporter::builder();
    let mut exporter = match protocol {
        OtlpProtocol::Grpc => builder.with_tonic().build(),
        OtlpProtocol::HttpProtobuf => builder
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .build(),
    }
    .context("cannot build the OTLP exporter")?;
    exporter.set_resource(resource);
    Ok(exporter)
}

/// The export thread's loop: batches out of the queue, to the collector.
struct Worker {
    batch: BatchSettings,
    queue: Receiver<SpanData>,
    shared: Arc<Shared>,
    requests: mpsc::UnboundedReceiver<Control>,
    losses: Losses,
}

impl Worker {
    async fn run(mut self, exporter: opentelemetry_otlp::SpanExporter) {
        let mut tick = tokio::time::interval(self.batch.schedule_delay);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                request = self.requests.recv() => match request {
                    Some(Control::Flush(done)) => {
                        self.export_queued(&exporter).await;
                        let _ = done.send(());
                    }
                    Some(Control::Shutdown(done)) => {
                        self.export_queued(&exporter).await;
                        let _ = exporter.shutdown();
                        self.report(true);
                        let _ = done.send(());
                        return;
                    }
                    None => return,
                },
                () = self.shared.batch_ready.notified() => self.export_queued(&exporter).await,
                _ = tick.tick() => self.export_queued(&exporter).await,
            }
            self.report(false);
        }
    }

    /// Exports what is queued, a batch at a time, until the queue is empty.
    async fn export_queued(&mut self, exporter: &opentelemetry_otlp::SpanExporter) {
        loop {
            let batch: Vec<SpanData> = self
                .queue
                .try_iter()
                .take(self.batch.max_export_batch_size)
                .collect();
            if batch.is_empty() {
                return;
            }
            self.shared.queued.fetch_sub(batch.len(), Ordering::Relaxed);
            self.export(exporter, batch).await;
        }
    }

    async fn export(&mut self, exporter: &opentelemetry_otlp::SpanExporter, batch: Vec<SpanData>) {
        let count = batch.len() as u64;
        let export = tokio::time::timeout(self.batch.export_timeout, exporter.export(batch));
        tokio::pin!(export);
        // A hanging collector holds this export up to its time limit; the spans dropped
        // meanwhile are reported all the same.
        let mut check = tokio::time::interval(REPORT_CHECK);
        let outcome = loop {
            tokio::select! {
                outcome = &mut export => break outcome,
                _ = check.tick() => self.report(false),
            }
        };
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(error)) => self.losses.failed(count, error.to_string()),
            Err(_) => self
                .losses
                .failed(count, "the collector did not answer in time".to_owned()),
        }
    }

    fn report(&mut self, now: bool) {
        let dropped_total = self.shared.dropped.load(Ordering::Relaxed);
        self.losses.report(dropped_total, now);
    }
}

/// Spans that never reached the collector, logged at most every [`REPORT_INTERVAL`].
#[derive(Default)]
struct Losses {
    /// Of the spans dropped from a full queue, how many were reported.
    dropped_reported: u64,
    /// Spans whose export failed since the last report.
    failed: u64,
    last_error: Option<String>,
    last_report: Option<Instant>,
}

impl Losses {
    fn failed(&mut self, count: u64, error: String) {
        self.failed += count;
        self.last_error = Some(error);
    }

    /// Logs what was lost since the last report, if anything was and, unless `now`, the
    /// last report is old enough.
    fn report(&mut self, dropped_total: u64, now: bool) {
        let dropped = dropped_total - self.dropped_reported;
        if dropped == 0 && self.failed == 0 {
            return;
        }
        if !now
            && self
                .last_report
                .is_some_and(|last| last.elapsed() < REPORT_INTERVAL)
        {
            return;
        }
        tracing::warn!(
            dropped,
            dropped_total,
            failed = self.failed,
            error = self.last_error.as_deref(),
            "trace spans lost: `dropped` found the export queue full, `failed` did not reach the collector"
        );
        self.dropped_reported = dropped_total;
        self.failed = 0;
        self.last_error = None;
        self.last_report = Some(Instant::now());
    }
}
