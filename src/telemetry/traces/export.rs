//! The span processor and the thread that sends its spans to the collector.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use opentelemetry::Context;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter as _, SpanProcessor};
use tokio::sync::{Notify, mpsc};

use super::{FLUSH_LIMIT, REPORT_INTERVAL};
use crate::telemetry::traces::config::{BatchSettings, OtlpProtocol};

/// How often an export in progress looks for spans dropped meanwhile.
const REPORT_CHECK: Duration = Duration::from_millis(250);

/// The span processor: finished spans into a bounded queue, never waiting.
///
/// Queueing a span wakes nobody: the export thread is woken when a whole batch is
/// waiting, or by its timer. Waking it for each span would cost a context switch per
/// sampled request on the core that serves requests.
#[derive(Debug)]
pub(super) struct ExportQueue {
    /// The queue itself, bounded.
    spans: SyncSender<SpanData>,
    /// Its count and the export thread's wake-up.
    shared: Arc<Shared>,
    /// Flush and shutdown requests to the export thread.
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
    /// Spans in a whole batch.
    batch_size: usize,
}

/// Requests to the export thread; each answers on its channel when done.
enum Control {
    /// Export everything queued.
    Flush(SyncSender<()>),
    /// Export everything queued, then stop.
    Shutdown(SyncSender<()>),
}

impl ExportQueue {
    /// Builds the exporter on a thread of its own and starts exporting there.
    pub(super) fn start(
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
        // Counted before it is sent: counted after, the export thread could take it and
        // count it out first, and the count would wrap below zero.
        let queued = self.shared.queued.fetch_add(1, Ordering::Relaxed) + 1;
        if self.spans.try_send(span).is_err() {
            self.shared.queued.fetch_sub(1, Ordering::Relaxed);
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        // Exactly one span makes the count reach a whole batch each time it does.
        if queued == self.shared.batch_size {
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
    /// Batch size, delay and time limit.
    batch: BatchSettings,
    /// The other end of [`ExportQueue::spans`].
    queue: Receiver<SpanData>,
    /// Shared with [`ExportQueue`].
    shared: Arc<Shared>,
    /// The other end of [`ExportQueue::control`].
    requests: mpsc::UnboundedReceiver<Control>,
    /// What to report next.
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
    /// Why the last export failed.
    last_error: Option<String>,
    /// When the last report was logged.
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
