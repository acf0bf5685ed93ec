//! JSON log lines: one object per line with `timestamp`, `level`, `target`, `message`,
//! the event's fields, and the fields of the spans it happened in (so every line of a
//! request carries its `request_id`).
//!
//! This is a small `tracing` layer of our own rather than `tracing-subscriber`'s JSON
//! formatter, which stores span fields as JSON text and parses them again for every
//! event, and cannot put request fields at the top level. Here a span's fields are
//! rendered once, when it opens, and an event is formatted straight into a reused
//! thread-local buffer that a background thread writes out, so a request never waits
//! on stdout.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::time::SystemTime;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// A `tracing` layer that writes each event as one JSON line.
#[derive(Debug)]
pub struct JsonLayer<W> {
    make_writer: W,
}

impl<W> JsonLayer<W> {
    /// Writes through `make_writer`, which should not block (see `tracing_appender`).
    pub fn new(make_writer: W) -> Self {
        Self { make_writer }
    }
}

/// A span's fields, already rendered as `,"key":value` pairs.
#[derive(Debug)]
struct SpanFields(String);

thread_local! {
    static LINE: RefCell<String> = RefCell::new(String::with_capacity(512));
}

impl<S, W> Layer<S> for JsonLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = String::new();
        attrs.record(&mut JsonFields::new(&mut fields));
        if !fields.is_empty() {
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            values.record(&mut JsonFields::new(fields));
        } else {
            let mut fields = String::new();
            values.record(&mut JsonFields::new(&mut fields));
            extensions.insert(SpanFields(fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let write = |line: &mut String| {
            line.clear();
            format_event(line, event, &ctx);
            // A lost line is better than a blocked request: the writer drops lines
            // when its queue is full and counts them, so there is nothing to do here.
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

fn format_event<S>(line: &mut String, event: &Event<'_>, ctx: &Context<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let normalized = event.normalized_metadata();
    let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
    let _ = write!(
        line,
        r#"{{"timestamp":"{}","level":"{}","target":"#,
        humantime::format_rfc3339_micros(SystemTime::now()),
        metadata.level()
    );
    write_json_str(line, metadata.target());
    event.record(&mut JsonFields::new(line));
    if let Some(scope) = ctx.event_scope(event) {
        for span in scope.from_root() {
            if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                line.push_str(fields);
            }
        }
    }
    line.push_str("}\n");
}

/// Appends each field as `,"key":value`.
struct JsonFields<'a> {
    out: &'a mut String,
}

impl<'a> JsonFields<'a> {
    fn new(out: &'a mut String) -> Self {
        Self { out }
    }

    /// Starts a field, or says to skip it. `log` records carry their origin as
    /// `log.*` fields; the normalized metadata already gives the target, and the rest
    /// is noise in a service's logs.
    fn key(&mut self, field: &Field) -> bool {
        if field.name().starts_with("log.") {
            return false;
        }
        self.out.push(',');
        write_json_str(self.out, field.name());
        self.out.push(':');
        true
    }
}

impl Visit for JsonFields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if !self.key(field) {
            return;
        }
        if value.is_finite() {
            let _ = write!(self.out, "{value}");
        } else {
            self.out.push_str("null");
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if !self.key(field) {
            return;
        }
        let _ = write!(self.out, "{value}");
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if !self.key(field) {
            return;
        }
        let _ = write!(self.out, "{value}");
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if !self.key(field) {
            return;
        }
        self.out.push_str(if value { "true" } else { "false" });
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if !self.key(field) {
            return;
        }
        write_json_str(self.out, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if !self.key(field) {
            return;
        }
        self.out.push('"');
        let _ = write!(Escaped(self.out), "{value:?}");
        self.out.push('"');
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

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut start = 0;
        for (index, byte) in text.bytes().enumerate() {
            let escape = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0..=0x1f | 0x7f => "",
                _ => continue,
            };
            self.0.push_str(&text[start..index]);
            if escape.is_empty() {
                let _ = write!(self.0, "\\u{byte:04x}");
            } else {
                self.0.push_str(escape);
            }
            start = index + 1;
        }
        self.0.push_str(&text[start..]);
        Ok(())
    }
}

/// Logs panics as JSON error lines, inside the span of the request that panicked, in
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

    #[test]
    fn events_are_json_with_span_fields_at_the_top_level() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry().with(JsonLayer::new(captured.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", request_id = "abc");
            let _entered = span.enter();
            tracing::info!(
                status = 200_u64,
                ratio = 0.5,
                ok = true,
                path = "/\"x\"\n",
                "request"
            );
        });
        let text =
            String::from_utf8(captured.0.lock().expect("not poisoned").clone()).expect("utf-8");
        let line: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON line");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["message"], "request");
        assert_eq!(line["status"], 200);
        assert_eq!(line["ratio"], 0.5);
        assert_eq!(line["ok"], true);
        assert_eq!(line["path"], "/\"x\"\n");
        assert_eq!(line["request_id"], "abc");
        assert!(line["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut out = String::new();
        write_json_str(&mut out, "a\u{1}b\u{7f}");
        assert_eq!(out, r#""a\u0001b\u007f""#);
    }
}
