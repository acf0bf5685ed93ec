//! Every error answers JSON with its code and the request id, and carries the
//! security headers: 400, 401, 404, 405, 413, 415, 422, 500, 503 and 504.

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::Response;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, TestApp, json, spawn_app};

const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("content-security-policy", "frame-ancestors 'none'"),
    ("cache-control", "no-store"),
    (
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    ),
];

/// Checks the status, the JSON error body and the headers every answer carries, and
/// returns the body.
async fn assert_error(response: Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/json");
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(response.headers()[name], value, "{name} on a {status}");
    }
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let body = json(response).await;
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["error"]["request_id"], request_id.as_str());
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    body
}

fn faults_url(app: &TestApp) -> String {
    format!("{}/admin/faults", app.admin_address)
}

#[tokio::test]
async fn successful_answers_carry_the_security_headers_too() {
    let app = spawn_app(&[]).await;
    for path in ["/", "/health", "/version"] {
        let response = app.get(path).await;
        for (name, value) in SECURITY_HEADERS {
            assert_eq!(response.headers()[name], value, "{name} on {path}");
        }
    }
}

#[tokio::test]
async fn unknown_routes_are_404() {
    let app = spawn_app(&[]).await;
    assert_error(app.get("/no/such/thing").await, 404, "not_found").await;
    assert_error(app.admin_get("/nothing").await, 404, "not_found").await;
}

#[tokio::test]
async fn wrong_methods_are_405() {
    let app = spawn_app(&[]).await;
    let response = app
        .client
        .delete(&app.address)
        .send()
        .await
        .expect("answers");
    assert_error(response, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn request_ids_are_echoed_when_valid_and_replaced_when_not() {
    let app = spawn_app(&[]).await;
    let echoed = app
        .client
        .get(format!("{}/nope", app.address))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .expect("answers");
    assert_eq!(echoed.headers()["x-request-id"], "trace-me-123");
    assert_eq!(json(echoed).await["error"]["request_id"], "trace-me-123");

    for invalid in ["a b", &"x".repeat(129), "caf\u{e9}"] {
        let response = app
            .client
            .get(&app.address)
            .header("x-request-id", invalid.as_bytes())
            .send()
            .await
            .expect("answers");
        let id = response.headers()["x-request-id"].to_str().expect("ascii");
        assert_ne!(id.as_bytes(), invalid.as_bytes());
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id} is a fresh UUID");
    }
}

#[tokio::test]
async fn bad_input_is_400_415_422_and_413_with_or_without_content_length() {
    let app = spawn_app(&[("APP_BODY_LIMIT", "1024")]).await;
    let put = || app.client.put(faults_url(&app)).bearer_auth(ADMIN_TOKEN);

    let malformed = put()
        .header("content-type", "application/json")
        .body("{\"latency_ms\": ")
        .send()
        .await
        .expect("answers");
    assert_error(malformed, 400, "bad_request").await;

    let not_json = put()
        .header("content-type", "text/plain")
        .body("latency_ms=5")
        .send()
        .await
        .expect("answers");
    assert_error(not_json, 415, "unsupported_media_type").await;

    let invalid = put()
        .json(&json!({"latency_ms": "slow", "error_rate": 3, "fail_readiness": true}))
        .send()
        .await
        .expect("answers");
    let body = assert_error(invalid, 422, "validation_failed").await;
    let mut fields: Vec<_> = body["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|detail| detail["field"].as_str().expect("field").to_owned())
        .collect();
    fields.sort();
    assert_eq!(fields, ["error_rate", "latency_ms"]);

    let big = format!("{{\"latency_ms\": 0, \"pad\": \"{}\"}}", "x".repeat(4096));
    let with_length = put()
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .expect("answers");
    assert_error(with_length, 413, "payload_too_large").await;

    let chunks: Vec<Result<String, std::io::Error>> = vec![Ok(big)];
    let streamed = put()
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .expect("answers");
    assert_error(streamed, 413, "payload_too_large").await;

    let app_listener = app
        .client
        .post(&app.address)
        .body("x".repeat(4096))
        .send()
        .await
        .expect("answers");
    assert_error(app_listener, 413, "payload_too_large").await;
}

#[tokio::test]
async fn failures_and_panics_are_500_without_details_and_the_process_lives_on() {
    let app = spawn_app(&[]).await;
    app.set_faults(json!({"panic_rate": 1.0})).await;
    let body = assert_error(app.get("/").await, 500, "internal").await;
    assert!(!body.to_string().contains("panic"), "{body}");

    app.set_faults(json!({"error_rate": 1.0})).await;
    let body = assert_error(app.get("/").await, 500, "internal").await;
    assert!(!body.to_string().contains("injected"), "{body}");

    app.set_faults(json!({})).await;
    assert_eq!(app.get("/").await.status(), 200);
}

#[tokio::test]
async fn slow_requests_time_out_with_504_but_health_does_not() {
    let app = spawn_app(&[("APP_REQUEST_TIMEOUT", "200ms")]).await;
    app.set_faults(json!({"latency_ms": 2000})).await;
    let started = std::time::Instant::now();
    assert_error(app.get("/").await, 504, "timeout").await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "cut at the timeout"
    );
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn requests_past_the_concurrency_limit_are_shed_but_health_is_not() {
    let app = spawn_app(&[("APP_MAX_CONCURRENCY", "2")]).await;
    app.set_faults(json!({"latency_ms": 1000})).await;
    let responses = join_all((0..6).map(|_| app.get("/"))).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 503, 503, 503, 503]);
    for response in responses.into_iter().filter(|r| r.status() == 503) {
        assert_error(response, 503, "overloaded").await;
    }

    let held = join_all((0..2).map(|_| app.get("/")));
    let probes = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        join_all((0..5).map(|_| app.get("/health"))).await
    };
    let (_, probes) = tokio::join!(held, probes);
    assert!(
        probes.iter().all(|r| r.status() == 200),
        "health is never shed"
    );
}
