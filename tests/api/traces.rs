//! Traces exported over OTLP to a real receiver ([`crate::helpers::otlp`]), over gRPC and HTTP:
//! span names and attributes by the HTTP and database conventions, resource, parents,
//! `traceparent` continued, samplers, the ids in the logs, spans flushed at SIGTERM,
//! and a dead or silent collector survived.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::otlp::{BlackHole, Protocol, Received, Receiver, dead_endpoint};
use crate::helpers::{Binary, spawn_binary};

/// Spans reach the receiver this long after they end, at the latest.
const SCHEDULE_DELAY_MS: &str = "100";
/// Long enough for any span to arrive in a test.
const ARRIVAL: Duration = Duration::from_secs(10);

/// `SpanKind` values of the OTLP protocol.
const SERVER: i32 = 2;
const CLIENT: i32 = 3;

const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn exporting_to(endpoint: &str, protocol: Protocol) -> Vec<(&str, &str)> {
    vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol.variable()),
        ("OTEL_BSP_SCHEDULE_DELAY", SCHEDULE_DELAY_MS),
    ]
}

fn named<'a>(spans: &'a [Received], name: &str) -> Option<&'a Received> {
    spans.iter().find(|span| span.span.name == name)
}

/// The access line of the request with `request_id`.
async fn access_line(binary: &Binary, request_id: &str) -> Value {
    binary
        .wait_for_line(ARRIVAL, |line| {
            line["message"] == "request" && line["request_id"] == request_id
        })
        .await
}

fn assert_no_tracing_internals(span: &Received) {
    for key in span.attribute_keys() {
        assert!(
            !(key.starts_with("code.")
                || key.starts_with("thread.")
                || key == "busy_ns"
                || key == "idle_ns"
                || key.starts_with("otel.")
                || key == "level"
                || key == "target"),
            "{} carries tracing internals: {key}",
            span.span.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_spans_follow_the_conventions_with_database_children_and_match_the_logs() {
    let receiver = Receiver::start(Protocol::Grpc).await;
    let endpoint = receiver.endpoint();
    let database = crate::helpers::database::fresh_database().await;
    let mut vars = exporting_to(&endpoint, Protocol::Grpc);
    vars.extend([
        ("DATABASE_URL", database.as_str()),
        ("APP_DB_MIGRATE_ON_START", "true"),
        ("OTEL_SERVICE_NAME", "greeter"),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment.name=test,team=platform%2Cinfra,service.name=overridden",
        ),
        // The production level: the database spans are below it, and exported all the same.
        ("RUST_LOG", "info"),
    ]);
    let binary = spawn_binary(&vars).await;
    let client = reqwest::Client::new();

    let health = client
        .get(binary.url("/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), 200);
    let created = client
        .post(binary.url("/api/v1/greetings"))
        .header("x-request-id", "traced-post")
        .header("user-agent", "trace-test/1.0")
        .json(&json!({"name": "Ada", "message": "Hi"}))
        .send()
        .await
        .expect("created");
    assert_eq!(created.status(), 201);
    let traceresponse = created.headers()["traceresponse"]
        .to_str()
        .expect("ascii")
        .to_owned();

    let spans = receiver
        .wait_for(ARRIVAL, |spans| {
            named(spans, "POST /api/v1/greetings").is_some()
                && named(spans, "INSERT greetings").is_some()
        })
        .await;
    let server = named(&spans, "POST /api/v1/greetings").expect("the server span");
    assert_eq!(server.span.kind, SERVER);
    assert_eq!(
        server.parent_span_id(),
        "",
        "a root span without a traceparent"
    );
    for (key, value) in [
        ("http.request.method", "POST"),
        ("http.route", "/api/v1/greetings"),
        ("http.response.status_code", "201"),
        ("url.path", "/api/v1/greetings"),
        ("url.scheme", "http"),
        ("network.protocol.version", "1.1"),
        ("server.address", "127.0.0.1"),
        ("user_agent.original", "trace-test/1.0"),
    ] {
        assert_eq!(server.attribute(key).as_deref(), Some(value), "{key}");
    }
    assert_eq!(
        server.attribute("server.port"),
        Some(binary.app.port().to_string())
    );
    assert_no_tracing_internals(server);

    let query = named(&spans, "INSERT greetings").expect("the database span");
    assert_eq!(query.span.kind, CLIENT);
    assert_eq!(query.trace_id(), server.trace_id());
    assert_eq!(
        query.parent_span_id(),
        server.span_id(),
        "a child of the request"
    );
    for (key, value) in [
        ("db.system.name", "postgresql"),
        ("db.operation.name", "INSERT"),
        ("db.collection.name", "greetings"),
    ] {
        assert_eq!(query.attribute(key).as_deref(), Some(value), "{key}");
    }
    assert_no_tracing_internals(query);

    for span in [server, query] {
        assert_resource(span);
    }
    assert!(
        !spans.iter().any(|span| span.span.name.contains("health")
            || span.attribute("url.path").as_deref() == Some("/health")),
        "health probes are not traced"
    );

    let access = access_line(&binary, "traced-post").await;
    assert_eq!(access["trace_id"], server.trace_id());
    assert_eq!(access["span_id"], server.span_id());
    assert_eq!(
        traceresponse,
        format!("00-{}-{}-01", server.trace_id(), server.span_id()),
        "the client gets the ids back"
    );
}

/// The resource of the gRPC test: `OTEL_SERVICE_NAME` over `OTEL_RESOURCE_ATTRIBUTES`
/// over the service's own.
fn assert_resource(span: &Received) {
    assert_eq!(span.resource["service.name"], "greeter");
    assert_eq!(span.resource["service.version"], env!("CARGO_PKG_VERSION"));
    assert!(!span.resource["service.instance.id"].is_empty());
    assert_eq!(span.resource["deployment.environment.name"], "test");
    assert_eq!(span.resource["team"], "platform,infra", "percent-decoded");
    assert_eq!(span.resource["telemetry.sdk.language"], "rust");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_protobuf_exports_the_same_spans_and_every_log_line_names_the_request_span() {
    let receiver = Receiver::start(Protocol::HttpProtobuf).await;
    let endpoint = receiver.endpoint();
    let database = crate::helpers::database::fresh_database().await;
    let mut vars = exporting_to(&endpoint, Protocol::HttpProtobuf);
    vars.extend([
        ("DATABASE_URL", database.as_str()),
        ("APP_DB_MIGRATE_ON_START", "true"),
        ("RUST_LOG", "info,hello_service::db=debug"),
    ]);
    let binary = spawn_binary(&vars).await;
    let client = reqwest::Client::new();
    for path in ["/", "/no/such/route", "/api/v1/greetings"] {
        client
            .get(binary.url(path))
            .header("x-request-id", path)
            .send()
            .await
            .expect("answered");
    }

    let spans = receiver
        .wait_for(ARRIVAL, |spans| {
            ["GET /", "GET", "GET /api/v1/greetings", "SELECT greetings"]
                .iter()
                .all(|name| named(spans, name).is_some())
        })
        .await;
    // Every line of a request, the query's DEBUG line too, carries the request span's
    // ids: a search by them finds all of the request's lines.
    let list = named(&spans, "GET /api/v1/greetings").expect("the list span");
    let query = named(&spans, "SELECT greetings").expect("the query span");
    assert_eq!(query.parent_span_id(), list.span_id());
    assert_eq!(query.span.kind, CLIENT);
    for message in ["request", "query"] {
        let line = binary
            .wait_for_line(ARRIVAL, |line| {
                line["message"] == message && line["request_id"] == "/api/v1/greetings"
            })
            .await;
        assert_eq!(line["trace_id"], list.trace_id(), "{message}");
        assert_eq!(line["span_id"], list.span_id(), "{message}");
    }

    let hello = named(&spans, "GET /").expect("the hello span");
    assert_eq!(hello.span.kind, SERVER);
    assert_eq!(hello.attribute("http.route").as_deref(), Some("/"));
    assert_eq!(
        hello.attribute("http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(hello.resource["service.name"], "hello-service");

    // No route matched: the span is named by the method alone and has no route.
    let unmatched = named(&spans, "GET").expect("the 404's span");
    assert_eq!(unmatched.attribute("http.route"), None);
    assert_eq!(
        unmatched.attribute("url.path").as_deref(),
        Some("/no/such/route")
    );
    assert_eq!(
        unmatched.attribute("http.response.status_code").as_deref(),
        Some("404")
    );
    assert_eq!(
        unmatched.span.status.as_ref().map_or(0, |s| s.code),
        0,
        "a 4xx is not the server's error"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_marks_the_span_failed() {
    let receiver = Receiver::start(Protocol::Grpc).await;
    let endpoint = receiver.endpoint();
    let binary = spawn_binary(&exporting_to(&endpoint, Protocol::Grpc)).await;
    binary.set_faults(json!({"error_rate": 1.0})).await;
    let answer = reqwest::get(binary.url("/")).await.expect("answered");
    assert_eq!(answer.status(), 500);

    let spans = receiver
        .wait_for(ARRIVAL, |spans| named(spans, "GET /").is_some())
        .await;
    let failed = named(&spans, "GET /").expect("the span");
    assert_eq!(failed.attribute("error.type").as_deref(), Some("500"));
    // STATUS_CODE_ERROR in the OTLP protocol.
    assert_eq!(failed.span.status.as_ref().map(|s| s.code), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_traceparent_continues_the_callers_trace() {
    let receiver = Receiver::start(Protocol::Grpc).await;
    let endpoint = receiver.endpoint();
    let binary = spawn_binary(&exporting_to(&endpoint, Protocol::Grpc)).await;
    let answer = reqwest::Client::new()
        .get(binary.url("/"))
        .header("x-request-id", "continued")
        .header("traceparent", format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01"))
        .header("tracestate", "vendor=opaque")
        .send()
        .await
        .expect("answered");
    let traceresponse = answer.headers()["traceresponse"]
        .to_str()
        .expect("ascii")
        .to_owned();

    let spans = receiver
        .wait_for(ARRIVAL, |spans| named(spans, "GET /").is_some())
        .await;
    let span = named(&spans, "GET /").expect("the span");
    assert_eq!(span.trace_id(), CALLER_TRACE);
    assert_eq!(span.parent_span_id(), CALLER_SPAN);
    assert_eq!(span.span.trace_state, "vendor=opaque");
    assert_eq!(
        traceresponse,
        format!("00-{CALLER_TRACE}-{}-01", span.span_id())
    );
    let access = access_line(&binary, "continued").await;
    assert_eq!(access["trace_id"], CALLER_TRACE);
    assert_eq!(access["span_id"], span.span_id());
}

/// Sends `GET /` with `traceparent` (when given) and returns its `traceresponse`.
async fn get_with(binary: &Binary, traceparent: Option<String>) -> String {
    let mut request = reqwest::Client::new().get(binary.url("/"));
    if let Some(traceparent) = traceparent {
        request = request.header("traceparent", traceparent);
    }
    let answer = request.send().await.expect("answered");
    answer.headers()["traceresponse"]
        .to_str()
        .expect("ascii")
        .to_owned()
}

/// Stops `binary` with SIGTERM, so everything queued is flushed, and returns the trace
/// ids received.
async fn stop_and_collect(mut binary: Binary, receiver: &Receiver) -> Vec<String> {
    binary.signal("TERM");
    let (status, _) = binary.wait_for_exit(Duration::from_secs(10)).await;
    assert!(status.success(), "{status}");
    receiver.spans().iter().map(Received::trace_id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parentbased_traceidratio_follows_the_caller_and_samples_roots_by_ratio() {
    let receiver = Receiver::start(Protocol::Grpc).await;
    let endpoint = receiver.endpoint();
    let mut vars = exporting_to(&endpoint, Protocol::Grpc);
    vars.extend([
        ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
        ("OTEL_TRACES_SAMPLER_ARG", "0.5"),
    ]);
    let binary = spawn_binary(&vars).await;

    // A caller's decision wins over the ratio: these trace ids sit where the ratio
    // alone would decide the opposite (see the `traceidratio` test).
    let high = format!("{}ffffffffffffffff", "b".repeat(16));
    let low = format!("{}0000000000000001", "a".repeat(16));
    let sampled = get_with(&binary, Some(format!("00-{high}-{CALLER_SPAN}-01"))).await;
    let declined = get_with(&binary, Some(format!("00-{low}-{CALLER_SPAN}-00"))).await;
    assert!(sampled.ends_with("-01"), "the caller sampled: {sampled}");
    assert!(declined.ends_with("-00"), "the caller declined: {declined}");

    // Without a caller, the ratio decides, by random trace ids: about half of 200. The
    // bounds are 8 standard deviations out, so this fails by chance about never.
    let mut roots_sampled = 0;
    for _ in 0..200 {
        if get_with(&binary, None).await.ends_with("-01") {
            roots_sampled += 1;
        }
    }
    assert!(
        (44..=156).contains(&roots_sampled),
        "{roots_sampled} of 200"
    );

    let traces = stop_and_collect(binary, &receiver).await;
    assert!(traces.contains(&high));
    assert!(!traces.contains(&low));
    assert_eq!(
        traces.len(),
        1 + roots_sampled,
        "exported as the headers said"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traceidratio_decides_by_trace_id_whatever_the_caller_said() {
    let receiver = Receiver::start(Protocol::HttpProtobuf).await;
    let endpoint = receiver.endpoint();
    let mut vars = exporting_to(&endpoint, Protocol::HttpProtobuf);
    vars.extend([
        ("OTEL_TRACES_SAMPLER", "traceidratio"),
        ("OTEL_TRACES_SAMPLER_ARG", "0.5"),
    ]);
    let binary = spawn_binary(&vars).await;

    // The ratio sampler keeps a trace when the low 63 bits of its id fall below the
    // ratio: these two ids sit at either end, and their callers said the opposite.
    let low = format!("{}0000000000000001", "a".repeat(16));
    let high = format!("{}ffffffffffffffff", "b".repeat(16));
    let kept = get_with(&binary, Some(format!("00-{low}-{CALLER_SPAN}-00"))).await;
    let dropped = get_with(&binary, Some(format!("00-{high}-{CALLER_SPAN}-01"))).await;
    assert!(kept.ends_with("-01"), "{kept}");
    assert!(dropped.ends_with("-00"), "{dropped}");

    let traces = stop_and_collect(binary, &receiver).await;
    assert_eq!(traces, [low]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn always_off_exports_nothing_but_the_logs_keep_their_ids() {
    let receiver = Receiver::start(Protocol::Grpc).await;
    let endpoint = receiver.endpoint();
    let mut vars = exporting_to(&endpoint, Protocol::Grpc);
    let database = crate::helpers::database::fresh_database().await;
    vars.extend([
        ("OTEL_TRACES_SAMPLER", "always_off"),
        ("DATABASE_URL", database.as_str()),
        ("APP_DB_MIGRATE_ON_START", "true"),
    ]);
    let binary = spawn_binary(&vars).await;
    // Nor the database spans of an unsampled request.
    let listed = reqwest::get(binary.url("/api/v1/greetings"))
        .await
        .expect("listed");
    assert_eq!(listed.status(), 200);
    let response = get_with(&binary, Some(format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01"))).await;
    assert!(response.starts_with(&format!("00-{CALLER_TRACE}-")) && response.ends_with("-00"));
    let line = binary
        .wait_for_line(ARRIVAL, |line| {
            line["message"] == "request" && line["route"] == "/"
        })
        .await;
    assert_eq!(line["trace_id"], CALLER_TRACE);

    assert!(stop_and_collect(binary, &receiver).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_queued_at_sigterm_are_delivered_before_exit() {
    let receiver = Receiver::start(Protocol::Grpc).await;
    let endpoint = receiver.endpoint();
    let mut vars = exporting_to(&endpoint, Protocol::Grpc);
    // Nothing is sent on a timer within the test: only the shutdown flush sends.
    vars.retain(|(name, _)| *name != "OTEL_BSP_SCHEDULE_DELAY");
    vars.push(("OTEL_BSP_SCHEDULE_DELAY", "600000"));
    let binary = spawn_binary(&vars).await;
    for _ in 0..5 {
        get_with(&binary, None).await;
    }
    assert!(
        receiver.spans().is_empty(),
        "held in the queue until shutdown"
    );

    let traces = stop_and_collect(binary, &receiver).await;
    assert_eq!(traces.len(), 5, "every queued span is flushed at SIGTERM");
}

/// Sends `count` requests, `concurrency` at a time; every one must succeed.
async fn load(binary: &Binary, count: usize, concurrency: usize) {
    let client = reqwest::Client::new();
    let url = binary.url("/");
    let mut sent = 0;
    while sent < count {
        let batch: Vec<_> = (0..concurrency.min(count - sent))
            .map(|_| client.get(&url).send())
            .collect();
        for answer in futures_util::future::join_all(batch).await {
            assert_eq!(answer.expect("answered").status(), 200);
        }
        sent += concurrency;
    }
}

/// What a collector failure is expected to lose spans to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Loss {
    /// Exports fail at once, so spans are lost either way: as failed exports, or to a
    /// full queue while the first exports fail.
    Any,
    /// Exports hang: the queue fills, and new spans are dropped.
    Dropped,
}

async fn lost_line(binary: &Binary) -> Value {
    binary.wait_for_message(ARRIVAL, "trace spans lost:").await
}

/// The collector is gone, hangs or refuses: requests still succeed, the loss is counted
/// and logged, and shutdown keeps its time limit. (That request latency is unchanged is
/// measured by `bench/otlp-faults`, not timed here.)
async fn survives(endpoint: &str, protocol: Protocol, expected: Loss) {
    let mut vars = exporting_to(endpoint, protocol);
    vars.extend([
        ("OTEL_TRACES_SAMPLER", "always_on"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "16"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "8"),
        ("OTEL_BSP_EXPORT_TIMEOUT", "500"),
    ]);
    let mut binary = spawn_binary(&vars).await;
    load(&binary, 400, 16).await;

    let lost = lost_line(&binary).await;
    assert_eq!(lost["level"], "WARN");
    let dropped = lost["dropped"].as_u64().expect("a count");
    let failed = lost["failed"].as_u64().expect("a count");
    match expected {
        Loss::Any => assert!(dropped + failed > 0, "{lost}"),
        // 400 spans through a queue of 16: most find it full.
        Loss::Dropped => assert!(dropped > 0, "{lost}"),
    }

    binary.signal("TERM");
    let (status, took) = binary.wait_for_exit(Duration::from_secs(10)).await;
    assert!(status.success(), "{status}");
    assert!(took < Duration::from_secs(6), "shutdown took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_collector_loses_spans_not_requests() {
    survives(&dead_endpoint(), Protocol::Grpc, Loss::Any).await;
    survives(&dead_endpoint(), Protocol::HttpProtobuf, Loss::Any).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_never_answers_loses_spans_not_requests() {
    let hole = BlackHole::start().await;
    survives(&hole.endpoint(), Protocol::Grpc, Loss::Dropped).await;
    survives(&hole.endpoint(), Protocol::HttpProtobuf, Loss::Dropped).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_refuses_every_export_loses_spans_not_requests() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let refusing = Receiver::refusing(protocol).await;
        survives(&refusing.endpoint(), protocol, Loss::Any).await;
        assert!(refusing.spans().is_empty());
    }
}

/// With the default time limits an export to a silent collector hangs for 10 s; the
/// shutdown flush gives up after its 3 s and says what it lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_gives_up_on_a_silent_collector_after_the_flush_limit() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let hole = BlackHole::start().await;
        let endpoint = hole.endpoint();
        let mut vars = exporting_to(&endpoint, protocol);
        vars.push(("OTEL_TRACES_SAMPLER", "always_on"));
        let mut binary = spawn_binary(&vars).await;
        load(&binary, 20, 4).await;
        // The first batch is on its way to the collector (and stuck) before SIGTERM.
        tokio::time::sleep(Duration::from_millis(300)).await;

        binary.signal("TERM");
        let (status, took) = binary.wait_for_exit(Duration::from_secs(10)).await;
        assert!(status.success(), "{status}");
        assert!(
            (Duration::from_millis(2900)..Duration::from_millis(5500)).contains(&took),
            "the flush waits its 3 s and no longer: {took:?}"
        );
        let lost = binary
            .wait_for_message(ARRIVAL, "trace spans lost at shutdown")
            .await;
        assert_eq!(lost["level"], "WARN");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_comes_up_late_gets_the_later_spans() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        // Take a free port, let it go, and start the service pointing at it.
        let endpoint = dead_endpoint();
        let addr = endpoint.trim_start_matches("http://").to_owned();
        let binary = spawn_binary(&exporting_to(&endpoint, protocol)).await;
        get_with(&binary, None).await;
        lost_line(&binary).await;

        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .expect("the port is still free");
        let receiver = Receiver::on(listener, protocol);
        let traceresponse = get_with(&binary, None).await;
        let trace_id = traceresponse
            .split('-')
            .nth(1)
            .expect("a trace id")
            .to_owned();
        receiver
            .wait_for(ARRIVAL, |spans| {
                spans.iter().any(|span| span.trace_id() == trace_id)
            })
            .await;
    }
}
