//! Log lines: one JSON object per line (or one human-readable line) with `timestamp`,
//! `level`, `target`, `message`, the event's fields, the fields of the spans it happened
//! in, and the `request_id` of the request being served.
//!
//! This is a small `tracing` layer of our own rather than `tracing-subscriber`'s
//! formatters: those store span fields as text and parse them again for every event,
//! cannot put request fields at the top level, and know nothing of the request context
//! (see [`super::current_request`]). Here an event is formatted straight into a reused
//! thread-local buffer, the timestamp's date and time are formatted once a second, and
//! a background thread writes the lines out, so a request never waits on stdout.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

pub use self::config::{LogConfig, LogFormat};
use crate::telemetry::current_request;

pub mod config;

/// A `tracing` layer that writes each event as one line.
#[derive(Debug)]
pub struct LogLayer<W> {
    make_writer: W,
    format: LogFormat,
}

impl<W> LogLayer<W> {
    /// Writes through `make_writer`, which should not block (see `tracing_appender`).
    pub fn new(make_writer: W, format: LogFormat) -> Self {
        Self {
            make_writer,
            format,
        }
    }
}

/// A span's fields, already rendered in the layer's format.
#[derive(Debug)]
struct SpanFields(String);

thread_local! {
    static LINE: RefCell<String> = RefCell::new(String::with_capacity(512));
    static CLOCK: RefCell<Clock> = const { RefCell::new(Clock { second: u64::MAX, text: String::new() }) };
}

impl<S, W> Layer<S> for LogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = String::new();
        attrs.record(&mut Fields::new(&mut fields, self.format));
        if !fields.is_empty() {
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            values.record(&mut Fields::new(fields, self.format));
        } else {
            let mut fields = String::new();
            values.record(&mut Fields::new(&mut fields, self.format));
            extensions.insert(SpanFields(fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let write = |line: &mut String| {
            line.clear();
            self.format_event(line, event, &ctx);
            // A lost line is better than a blocked request: the writer drops lines
            // when its queue is full, so there is nothing to do here.
            let _ = self
                .make_writer
                .make_writer_for(event.metadata())
                .write_all(line.as_bytes());
        };
        // An event raised while formatting another (from a `Debug` impl, say) finds
        // the buffer taken and uses a fresh one.
        LINE.with(|line| match line.try_borrow_mut() {
            Ok(mut line) => write(&mut line),
            Err(_) => write(&mut String::new()),
        });
    }
}

impl<W> LogLayer<W> {
    fn format_event<S>(&self, line: &mut String, event: &Event<'_>, ctx: &Context<'_, S>)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let normalized = event.normalized_metadata();
        let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let json = self.format == LogFormat::Json;
        if json {
            line.push_str(r#"{"timestamp":""#);
            write_timestamp(line);
            let _ = write!(line, r#"","level":"{}","target":"#, metadata.level());
            write_json_str(line, metadata.target());
        } else {
            write_timestamp(line);
            let _ = write!(line, " {:>5} {}:", metadata.level(), metadata.target());
        }
        event.record(&mut Fields::new(line, self.format));
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                    line.push_str(fields);
                }
            }
        }
        current_request::with_current(|request| {
            let request_id = request.request_id.to_str().unwrap_or_default();
            let trace = &request.trace;
            if json {
                line.push_str(r#","request_id":"#);
                write_json_str(line, request_id);
                line.push_str(r#","trace_id":""#);
                line.push_str(trace.trace_id.hex().as_str());
                line.push_str(r#"","span_id":""#);
                line.push_str(trace.span_id.hex().as_str());
                line.push('"');
            } else {
                let _ = write!(
                    line,
                    " request_id={request_id} trace_id={} span_id={}",
                    trace.trace_id, trace.span_id
                );
            }
        });
        line.push_str(if json { "}\n" } else { "\n" });
    }
}

/// The wall clock's current second, formatted: most lines in a busy second share it.
struct Clock {
    second: u64,
    text: String,
}

/// Writes the time as RFC 3339 in UTC with microseconds: `2026-11-27T20:53:24.326633Z`.
fn write_timestamp(line: &mut String) {
    let now = SystemTime::now();
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let second = since_epoch.as_secs();
    CLOCK.with(|clock| {
        let mut clock = clock.borrow_mut();
        if clock.second != second {
            let mut text = humantime::format_rfc3339_seconds(now).to_string();
            text.pop(); // The `Z`, written after the fraction.
            *clock = Clock { second, text };
        }
        line.push_str(&clock.text);
    });
    let _ = write!(line, ".{:06}Z", since_epoch.subsec_micros());
}

/// Appends each field: `,"key":value` for JSON, ` key=value` for text.
struct Fields<'a> {
    out: &'a mut String,
    format: LogFormat,
}

impl<'a> Fields<'a> {
    fn new(out: &'a mut String, format: LogFormat) -> Self {
        Self { out, format }
    }

    /// Starts a field, or says to skip it. `log` records carry their origin as
    /// `log.*` fields; the normalized metadata already gives the target, and the rest
    /// is noise in a service's logs.
    fn key(&mut self, field: &Field) -> bool {
        let name = field.name();
        // `log.*` is the `log` crate's bridge; `otel.*` names and kinds trace spans.
        if name.starts_with("log.") || name.starts_with("otel.") {
            return false;
        }
        match self.format {
            LogFormat::Json => {
                self.out.push(',');
                write_json_str(self.out, name);
                self.out.push(':');
            }
            LogFormat::Text if name == "message" => self.out.push(' '),
            LogFormat::Text => {
                self.out.push(' ');
                self.out.push_str(name);
                self.out.push('=');
            }
        }
        true
    }

    fn raw(&mut self, field: &Field, value: impl fmt::Display) {
        if self.key(field) {
            let _ = write!(self.out, "{value}");
        }
    }
}

impl Visit for Fields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if !self.key(field) {
            return;
        }
        if value.is_finite() {
            self.out.push_str(ryu::Buffer::new().format_finite(value));
        } else {
            self.out.push_str("null");
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.raw(field, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.raw(field, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.raw(field, value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if !self.key(field) {
            return;
        }
        match self.format {
            LogFormat::Json => write_json_str(self.out, value),
            LogFormat::Text => self.out.push_str(value),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if !self.key(field) {
            return;
        }
        match self.format {
            LogFormat::Json => {
                self.out.push('"');
                let _ = write!(Escaped(self.out), "{value:?}");
                self.out.push('"');
            }
            LogFormat::Text => {
                let _ = write!(self.out, "{value:?}");
            }
        }
    }
}

fn write_json_str(out: &mut String, value: &str) {
    out.push('"');
    let _ = Escaped(out).write_str(value);
    out.push('"');
}

/// Escapes what it is given for the inside of a JSON string, as it is formatted, so a
/// message is never built in a temporary `String` first.
struct Escaped<'a>(&'a mut String);

/// Which bytes need escaping: quote, backslash, and the control characters.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table[0x7f] = true;
    table
};

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut start = 0;
        for (index, byte) in text.bytes().enumerate() {
            if !NEEDS_ESCAPE[usize::from(byte)] {
                continue;
            }
            self.0.push_str(&text[start..index]);
            match byte {
                b'"' => self.0.push_str("\\\""),
                b'\\' => self.0.push_str("\\\\"),
                b'\n' => self.0.push_str("\\n"),
                b'\r' => self.0.push_str("\\r"),
                b'\t' => self.0.push_str("\\t"),
                _ => {
                    let _ = write!(self.0, "\\u{byte:04x}");
                }
            }
            start = index + 1;
        }
        self.0.push_str(&text[start..]);
        Ok(())
    }
}

/// An error and its sources, outermost first, as one line: what a log needs to find
/// the cause.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Logs panics as error lines, with the request id of the request that panicked, in
/// place of the default hook's plain text on stderr.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|message| (*message).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic with a non-string payload".to_owned());
        let location = info
            .location()
            .map(|location| format!("{}:{}", location.file(), location.line()));
        tracing::error!(
            target: "panic",
            panic_message = %message,
            panic_location = location.as_deref().unwrap_or("unknown"),
            "panic"
        );
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::current_request::CurrentRequest;
    use crate::telemetry::traceparent::{SpanId, TraceId, TraceIds};
    use axum::http::HeaderValue;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::layer::SubscriberExt;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .expect("not poisoned")
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Self;
        fn make_writer(&'a self) -> Self {
            self.clone()
        }
    }

    fn logged(format: LogFormat, log: impl FnOnce()) -> String {
        let captured = Captured::default();
        let subscriber =
            tracing_subscriber::registry().with(LogLayer::new(captured.clone(), format));
        tracing::subscriber::with_default(subscriber, log);
        let bytes = captured.0.lock().expect("not poisoned").clone();
        String::from_utf8(bytes).expect("utf-8")
    }

    fn in_request(log: impl FnOnce()) {
        let context = CurrentRequest {
            request_id: HeaderValue::from_static("req-7"),
            trace: TraceIds {
                trace_id: TraceId(0x4bf9),
                span_id: SpanId(0xf0),
                sampled: false,
            },
        };
        context.sync_scope(log);
    }

    #[test]
    fn events_are_json_with_fields_and_the_request_id_at_the_top_level() {
        let text = logged(LogFormat::Json, || {
            in_request(|| {
                let span = tracing::info_span!("query", table = "greetings");
                let _entered = span.enter();
                tracing::info!(
                    status = 200_u64,
                    ratio = 0.5,
                    ok = true,
                    path = "/\"x\"\n",
                    "request"
                );
            });
        });
        let line: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON line");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["message"], "request");
        assert_eq!(line["status"], 200);
        assert_eq!(line["ratio"], 0.5);
        assert_eq!(line["ok"], true);
        assert_eq!(line["path"], "/\"x\"\n");
        assert_eq!(line["table"], "greetings");
        assert_eq!(line["request_id"], "req-7");
        assert_eq!(line["trace_id"], "00000000000000000000000000004bf9");
        assert_eq!(line["span_id"], "00000000000000f0");
        let timestamp = line["timestamp"].as_str().expect("a string");
        assert!(humantime::parse_rfc3339(timestamp).is_ok(), "{timestamp}");
        assert_eq!(timestamp.len(), "2026-11-27T20:53:24.326633Z".len());
    }

    #[test]
    fn lines_outside_a_request_have_no_request_id() {
        let text = logged(LogFormat::Json, || tracing::warn!("starting"));
        let line: serde_json::Value = serde_json::from_str(text.trim()).expect("JSON");
        assert!(line.get("request_id").is_none());
    }

    #[test]
    fn text_lines_are_for_humans() {
        let text = logged(LogFormat::Text, || {
            in_request(|| tracing::info!(status = 200_u64, "request"));
        });
        assert!(text.contains(" INFO "), "{text}");
        assert!(
            text.trim_end().ends_with(
                "request status=200 request_id=req-7 \
                 trace_id=00000000000000000000000000004bf9 span_id=00000000000000f0"
            ),
            "{text}"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut out = String::new();
        write_json_str(&mut out, "a\u{1}b\u{7f}");
        assert_eq!(out, r#""a\u0001b\u007f""#);
    }
}
