//! W3C Trace Context: the trace a request belongs to, taken from its `traceparent` or
//! started here.
//!
//! Every request gets a trace id and a span id of its own, whether or not traces are
//! exported, so that its log lines can be joined with the traces of its callers and, once
//! exported, its own. A traced request takes its ids from its OpenTelemetry span
//! ([`crate::telemetry::traces`]); an untraced one from [`TraceIds::untraced`].

use std::fmt;

use axum::http::header::HeaderName;
use axum::http::{HeaderMap, HeaderValue};

/// The W3C `traceparent` request header.
pub static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// The W3C `tracestate` request header, vendor data carried along with `traceparent`.
pub static TRACESTATE: HeaderName = HeaderName::from_static("tracestate");
/// The W3C `traceresponse` response header.
pub static TRACERESPONSE: HeaderName = HeaderName::from_static("traceresponse");

/// The trace identity of one request's server span: what its log lines carry and
/// its `traceresponse` header tells the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceIds {
    /// The trace, the caller's when it sent a valid `traceparent`.
    pub trace_id: TraceId,
    /// This request's span.
    pub span_id: SpanId,
    /// Whether the span is exported.
    pub sampled: bool,
}

/// The caller's span, from a valid `traceparent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parent {
    /// The caller's trace, which the request continues.
    pub trace_id: TraceId,
    /// The caller's span, the parent of the request's.
    pub span_id: SpanId,
    /// The caller's sampled flag.
    pub sampled: bool,
}

/// A 16-byte trace id, never all zeros; shown as 32 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceId(pub u128);

/// An 8-byte span id, never all zeros; shown as 16 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanId(pub u64);

impl TraceId {
    /// The id as 32 lowercase hex digits, without going through `fmt`: every log line
    /// of a request writes it.
    pub fn hex(self) -> Hex<32> {
        Hex::of(self.0)
    }
}

impl SpanId {
    /// The id as 16 lowercase hex digits.
    pub fn hex(self) -> Hex<16> {
        Hex::of(u128::from(self.0))
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hex().as_str())
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hex().as_str())
    }
}

/// The last `N` hex digits of a number, lowercase, zero-padded.
#[derive(Debug, Clone, Copy)]
pub struct Hex<const N: usize>([u8; N]);

impl<const N: usize> Hex<N> {
    fn of(mut value: u128) -> Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut digits = [b'0'; N];
        for digit in digits.iter_mut().rev() {
            *digit = DIGITS[(value & 0xf) as usize];
            value >>= 4;
        }
        Self(digits)
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl TraceIds {
    /// Ids for a request that is not traced: the caller's trace or a new one, and a new
    /// span id, so its log lines can still be joined with its caller's trace.
    pub fn untraced(parent: Option<&Parent>) -> Self {
        Self {
            trace_id: parent.map_or_else(|| TraceId(non_zero(rand::random)), |p| p.trace_id),
            span_id: SpanId(non_zero(rand::random)),
            sampled: false,
        }
    }

    /// The `traceresponse` header (W3C Trace Context Level 2): the trace id and this
    /// request's span id, so a client can find the trace of its own request.
    pub fn traceresponse(&self) -> HeaderValue {
        let mut value = [0_u8; 55];
        value[..3].copy_from_slice(b"00-");
        value[3..35].copy_from_slice(self.trace_id.hex().as_str().as_bytes());
        value[35] = b'-';
        value[36..52].copy_from_slice(self.span_id.hex().as_str().as_bytes());
        value[52..].copy_from_slice(if self.sampled { b"-01" } else { b"-00" });
        HeaderValue::from_bytes(&value).expect("hex digits and dashes are a valid header value")
    }
}

impl Parent {
    /// The caller's span, when `headers` carry a valid `traceparent`.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        headers
            .get(&TRACEPARENT)
            .and_then(|value| parse_traceparent(value.as_bytes()))
    }
}

fn non_zero<T: PartialEq + Default>(random: impl Fn() -> T) -> T {
    loop {
        let value = random();
        if value != T::default() {
            return value;
        }
    }
}

/// `version-traceid-parentid-flags`, as the W3C Trace Context recommendation parses it:
/// version `ff` is invalid, a version above `00` may carry more fields after a `-`, and
/// all-zero ids are invalid.
fn parse_traceparent(value: &[u8]) -> Option<Parent> {
    let text = std::str::from_utf8(value).ok()?.trim();
    let mut parts = text.splitn(5, '-');
    let version = parts.next()?;
    let trace_id = parts.next()?;
    let parent_id = parts.next()?;
    let flags = parts.next()?;
    let rest = parts.next();
    let lower_hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if !lower_hex(version, 2) || version == "ff" || (version == "00" && rest.is_some()) {
        return None;
    }
    if !lower_hex(trace_id, 32) || !lower_hex(parent_id, 16) || !lower_hex(flags, 2) {
        return None;
    }
    let trace_id = u128::from_str_radix(trace_id, 16)
        .ok()
        .filter(|id| *id != 0)?;
    let parent_id = u64::from_str_radix(parent_id, 16)
        .ok()
        .filter(|id| *id != 0)?;
    let flags = u8::from_str_radix(flags, 16).ok()?;
    Some(Parent {
        trace_id: TraceId(trace_id),
        span_id: SpanId(parent_id),
        sampled: flags & 1 == 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parent(traceparent: &str) -> Option<Parent> {
        let mut headers = HeaderMap::new();
        headers.insert(
            &TRACEPARENT,
            HeaderValue::from_str(traceparent).expect("valid"),
        );
        Parent::from_headers(&headers)
    }

    #[test]
    fn a_valid_traceparent_is_continued() {
        let parent = parent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .expect("a valid traceparent");
        assert_eq!(
            parent.trace_id.to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(parent.span_id.to_string(), "00f067aa0ba902b7");
        assert!(parent.sampled);

        let context = TraceIds::untraced(Some(&parent));
        assert_eq!(context.trace_id, parent.trace_id);
        assert_ne!(context.span_id, parent.span_id);
        assert_eq!(context.span_id.to_string().len(), 16);
        assert!(!context.sampled, "an untraced request exports nothing");
    }

    #[test]
    fn invalid_traceparents_are_ignored() {
        for invalid in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "garbage",
        ] {
            assert_eq!(parent(invalid), None, "{invalid}");
        }
        assert!(
            parent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-later").is_some(),
            "a later version may add fields"
        );
    }

    #[test]
    fn traceresponse_names_the_trace_and_the_span() {
        let context = TraceIds {
            trace_id: TraceId(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
            span_id: SpanId(0xf0),
            sampled: true,
        };
        assert_eq!(
            context.traceresponse(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00000000000000f0-01"
        );
        let unsampled = TraceIds {
            sampled: false,
            ..context
        };
        assert!(unsampled.traceresponse().to_str().unwrap().ends_with("-00"));
    }
}
