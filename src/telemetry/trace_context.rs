//! W3C Trace Context: the trace a request belongs to, taken from its `traceparent` or
//! started here.
//!
//! Every request gets a trace id and a span id of its own, whether or not traces are
//! exported, so that its log lines can be joined with the traces of its callers and, once
//! exported, its own.

use std::fmt;

use axum::http::HeaderMap;
use axum::http::header::HeaderName;

/// The W3C `traceparent` request header.
pub static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// The trace identity of one request's server span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    /// The trace, the caller's when it sent a valid `traceparent`.
    pub trace_id: TraceId,
    /// This request's span.
    pub span_id: SpanId,
    /// The caller's span, when there was a valid `traceparent`.
    pub parent_span_id: Option<SpanId>,
    /// The caller's sampled flag (`false` without a caller).
    pub parent_sampled: bool,
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

impl TraceContext {
    /// Continues the caller's trace when `headers` carry a valid `traceparent`, or
    /// starts a new one; either way with a new span id for this request.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let span_id = SpanId(non_zero(rand::random));
        match headers
            .get(&TRACEPARENT)
            .and_then(|value| parse_traceparent(value.as_bytes()))
        {
            Some((trace_id, parent, sampled)) => Self {
                trace_id,
                span_id,
                parent_span_id: Some(parent),
                parent_sampled: sampled,
            },
            None => Self {
                trace_id: TraceId(non_zero(rand::random)),
                span_id,
                parent_span_id: None,
                parent_sampled: false,
            },
        }
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
fn parse_traceparent(value: &[u8]) -> Option<(TraceId, SpanId, bool)> {
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
    Some((TraceId(trace_id), SpanId(parent_id), flags & 1 == 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn context(traceparent: &str) -> TraceContext {
        let mut headers = HeaderMap::new();
        headers.insert(
            &TRACEPARENT,
            HeaderValue::from_str(traceparent).expect("valid"),
        );
        TraceContext::from_headers(&headers)
    }

    #[test]
    fn a_valid_traceparent_is_continued() {
        let context = context("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        assert_eq!(
            context.trace_id.to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(
            context.parent_span_id.map(|id| id.to_string()).as_deref(),
            Some("00f067aa0ba902b7")
        );
        assert!(context.parent_sampled);
        assert_ne!(context.span_id, SpanId(0x00f0_67aa_0ba9_02b7));
        assert_eq!(context.span_id.to_string().len(), 16);
    }

    #[test]
    fn invalid_traceparents_start_a_new_trace() {
        for invalid in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "garbage",
        ] {
            let context = context(invalid);
            assert!(context.parent_span_id.is_none(), "{invalid}");
            assert_ne!(
                context.trace_id.to_string(),
                "4bf92f3577b34da6a3ce929d0e0e4736"
            );
        }
        let future = context("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-later");
        assert!(
            future.parent_span_id.is_some(),
            "a later version may add fields"
        );
    }
}
