use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::helpers::{ADMIN_TOKEN, spawn_binary};

const SECRET_BEARER: &str = "Bearer sk-live-do-not-log-4711";
const SECRET_COOKIE: &str = "session=cookie-do-not-log-0815";

fn access_line<'a>(lines: &'a [Value], request_id: &str) -> &'a Value {
    lines
        .iter()
        .find(|line| line["message"] == "request" && line["request_id"] == request_id)
        .unwrap_or_else(|| panic!("no access line for {request_id}"))
}

#[tokio::test]
async fn every_line_is_json_with_the_request_fields_and_no_secrets() {
    let service = spawn_binary(&[("RUST_LOG", "trace")]).await;
    let client = reqwest::Client::new();
    let get = |path: &str, id: &str| {
        client
            .get(service.url(path))
            .header("x-request-id", id)
            .header("authorization", SECRET_BEARER)
            .header("cookie", SECRET_COOKIE)
            .send()
    };
    get("/?q=private", "req-root").await.expect("answers");
    get("/missing", "req-missing").await.expect("answers");
    get("/health", "req-health").await.expect("answers");
    service.set_faults(json!({"panic_rate": 1.0})).await;
    get("/", "req-panic").await.expect("answers");

    // The last line of the last request: its access line, written after its panic line.
    service
        .wait_for_line(Duration::from_secs(5), |line| {
            line["request_id"] == "req-panic" && line["message"] == "request"
        })
        .await;
    let raw = service.lines().join("\n");
    for secret in [
        "sk-live-do-not-log-4711",
        "cookie-do-not-log-0815",
        ADMIN_TOKEN,
    ] {
        assert!(!raw.contains(secret), "a secret reached the logs: {secret}");
    }
    let lines = service.json_lines();
    for line in &lines {
        for field in ["timestamp", "level", "target", "message"] {
            assert!(line.get(field).is_some(), "{field} missing from {line}");
        }
        let timestamp = line["timestamp"].as_str().expect("a string");
        assert!(timestamp.ends_with('Z') && humantime::parse_rfc3339(timestamp).is_ok());
    }

    let root = access_line(&lines, "req-root");
    assert_eq!(root["level"], "INFO");
    assert_eq!(root["method"], "GET");
    assert_eq!(root["route"], "/");
    assert_eq!(root["path"], "/", "no query string");
    assert_eq!(root["status"], 200);
    assert!(root["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0));

    let missing = access_line(&lines, "req-missing");
    assert_eq!(
        (missing["route"].as_str(), missing["status"].as_u64()),
        (Some("unmatched"), Some(404))
    );

    assert_eq!(access_line(&lines, "req-health")["level"], "DEBUG");

    let panic = lines
        .iter()
        .find(|line| line["target"] == "panic")
        .expect("the panic is logged");
    assert_eq!(panic["level"], "ERROR");
    assert_eq!(panic["request_id"], "req-panic");
    assert_eq!(access_line(&lines, "req-panic")["status"], 500);
}

#[tokio::test]
async fn health_lines_are_debug_and_hidden_at_info() {
    let service = spawn_binary(&[]).await;
    let client = reqwest::Client::new();
    for path in ["/health", "/health/ready", "/"] {
        client
            .get(service.url(path))
            .header("x-request-id", path)
            .send()
            .await
            .expect("answers");
    }
    service
        .wait_for_line(Duration::from_secs(5), |line| line["request_id"] == "/")
        .await;
    let lines = service.json_lines();
    assert!(!lines.iter().any(|line| line["route"] == "/health"));
    assert!(!lines.iter().any(|line| line["route"] == "/health/ready"));
}

#[tokio::test]
async fn a_request_whose_client_went_away_is_logged_as_499() {
    let service = spawn_binary(&[]).await;
    service.set_faults(json!({"latency_ms": 3000})).await;
    // A client that sends its request and hangs up before the answer.
    let mut stream = tokio::net::TcpStream::connect(service.app)
        .await
        .expect("connects");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-impatient\r\n\r\n")
        .await
        .expect("writes");
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(stream);
    let line = service
        .wait_for_line(Duration::from_secs(5), |line| {
            line["request_id"] == "req-impatient" && line["message"] == "request"
        })
        .await;
    assert_eq!(line["status"], 499);
}

#[tokio::test]
async fn text_format_is_for_humans() {
    let service = spawn_binary(&[("APP_LOG_FORMAT", "text")]).await;
    reqwest::get(service.url("/")).await.expect("answers");
    let started = std::time::Instant::now();
    while !service.lines().iter().any(|line| line.contains("request")) {
        assert!(started.elapsed() < Duration::from_secs(5), "no access line");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let line = service
        .lines()
        .into_iter()
        .find(|line| line.contains("status=200"));
    let line = line.expect("an access line in text");
    assert!(
        serde_json::from_str::<Value>(&line).is_err(),
        "not JSON: {line}"
    );
    assert!(line.contains("INFO"));
}

#[tokio::test]
async fn queries_are_logged_at_debug_without_their_values() {
    let url = crate::helpers::database::fresh_database().await;
    let service = spawn_binary(&[
        ("RUST_LOG", "trace"),
        ("DATABASE_URL", &url),
        ("APP_DB_MIGRATE_ON_START", "true"),
    ])
    .await;
    let response = reqwest::Client::new()
        .post(service.url("/api/v1/greetings"))
        .header("x-request-id", "req-query")
        .json(&json!({"name": "Secret-Name-4711", "message": "Private-Message-0815"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 201);
    let query = service
        .wait_for_line(Duration::from_secs(5), |line| {
            line["target"] == "hello_service::db" && line["message"] == "query"
        })
        .await;
    assert_eq!(query["level"], "DEBUG");
    assert_eq!(query["request_id"], "req-query");
    assert_eq!(query["db.operation.name"], "INSERT");
    assert_eq!(query["db.system.name"], "postgresql");
    service
        .wait_for_line(Duration::from_secs(5), |line| {
            line["request_id"] == "req-query" && line["message"] == "request"
        })
        .await;
    let raw = service.lines().join("\n");
    assert!(
        !raw.contains("Secret-Name-4711") && !raw.contains("Private-Message-0815"),
        "a value reached the logs"
    );
}

#[tokio::test]
async fn request_lines_carry_the_trace_and_span_ids() {
    let service = spawn_binary(&[]).await;
    let client = reqwest::Client::new();
    let parent_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    client
        .get(service.url("/"))
        .header("x-request-id", "req-traced")
        .header(
            "traceparent",
            format!("00-{parent_trace}-00f067aa0ba902b7-01"),
        )
        .send()
        .await
        .expect("answers");
    service.set_faults(json!({"panic_rate": 1.0})).await;
    client
        .get(service.url("/"))
        .header("x-request-id", "req-new-trace")
        .send()
        .await
        .expect("answers");
    service
        .wait_for_line(Duration::from_secs(5), |line| {
            line["request_id"] == "req-new-trace" && line["message"] == "request"
        })
        .await;
    let lines = service.json_lines();
    let is_hex = |value: &Value, len: usize| {
        value.as_str().is_some_and(|s| {
            s.len() == len
                && s.bytes().all(|b| b.is_ascii_hexdigit())
                && s.bytes().any(|b| b != b'0')
        })
    };

    let traced = access_line(&lines, "req-traced");
    assert_eq!(
        traced["trace_id"], parent_trace,
        "the caller's trace continues"
    );
    assert!(is_hex(&traced["span_id"], 16));
    assert_ne!(traced["span_id"], "00f067aa0ba902b7", "a span of its own");

    let fresh = access_line(&lines, "req-new-trace");
    assert!(is_hex(&fresh["trace_id"], 32));
    assert_ne!(fresh["trace_id"], parent_trace);
    let panic = lines
        .iter()
        .find(|line| line["target"] == "panic" && line["request_id"] == "req-new-trace")
        .expect("the panic line");
    assert_eq!(
        panic["trace_id"], fresh["trace_id"],
        "every line of a request shares its ids"
    );
    assert_eq!(panic["span_id"], fresh["span_id"]);
    assert!(
        lines
            .iter()
            .filter(|l| l["message"] == "listening")
            .all(|l| l.get("trace_id").is_none())
    );
}

/// The cause of a failed request is logged once, on its access line: no other line of
/// the request repeats it.
#[tokio::test]
async fn a_database_failure_is_logged_once_on_the_access_line() {
    // Nothing listens on port 1: every connection is refused at once.
    let service = spawn_binary(&[("DATABASE_URL", "postgres://hello:pw@127.0.0.1:1/hello")]).await;
    let response = reqwest::Client::new()
        .get(service.url("/api/v1/greetings"))
        .header("x-request-id", "req-db-down")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 503);
    service
        .wait_for_line(Duration::from_secs(5), |line| {
            line["request_id"] == "req-db-down" && line["message"] == "request"
        })
        .await;
    let lines = service.json_lines();
    let access = access_line(&lines, "req-db-down");
    let cause = access["error"].as_str().unwrap_or_default();
    assert!(
        cause.starts_with("database unavailable: ") && cause.contains("Connection refused"),
        "the access line names the cause: {access}"
    );
    let others: Vec<_> = lines
        .iter()
        .filter(|line| line["request_id"] == "req-db-down" && line["message"] != "request")
        .collect();
    assert!(
        others.is_empty(),
        "the request logged more than its access line: {others:?}"
    );
}
