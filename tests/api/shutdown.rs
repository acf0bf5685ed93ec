//! The drain sequence of docs/design.md section 7, on the real binary with real signals.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::spawn_binary;

#[tokio::test]
async fn sigterm_drains_in_flight_requests_and_exits_zero() {
    let mut service = spawn_binary(&[
        ("APP_SHUTDOWN_DELAY", "1s"),
        ("APP_SHUTDOWN_TIMEOUT", "10s"),
    ])
    .await;
    service.set_faults(json!({"latency_ms": 1500})).await;
    let client = reqwest::Client::new();
    let slow = join_all((0..4).map(|_| client.get(service.url("/")).send()));
    let during = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        service.signal("TERM");
        tokio::time::sleep(Duration::from_millis(200)).await;
        // A fresh connection: the delay keeps the listener open while /health says 503.
        let fresh = reqwest::Client::new();
        let health = fresh
            .get(service.url("/health"))
            .send()
            .await
            .expect("answers");
        let ready = fresh
            .get(service.url("/health/ready"))
            .send()
            .await
            .expect("answers");
        (
            health.status(),
            health.text().await.expect("body"),
            ready.status(),
        )
    };
    let signalled = Instant::now();
    let (slow, (health, health_body, ready)) = tokio::join!(slow, during);

    assert_eq!(health, 503);
    assert_eq!(health_body, r#"{"status":"draining"}"#);
    assert_eq!(ready, 503);
    for response in slow {
        assert_eq!(response.expect("in-flight requests complete").status(), 200);
    }
    let (status, _) = service.wait_for_exit(Duration::from_secs(10)).await;
    assert_eq!(status.code(), Some(0));
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "{:?}",
        signalled.elapsed()
    );
    let lines = service.json_lines();
    assert!(
        lines
            .iter()
            .any(|line| line["message"] == "shutdown complete")
    );
}

#[tokio::test]
async fn requests_outliving_the_drain_timeout_are_cut_and_the_exit_is_on_time() {
    let mut service = spawn_binary(&[("APP_SHUTDOWN_TIMEOUT", "1s")]).await;
    service.set_faults(json!({"latency_ms": 20_000})).await;
    let client = reqwest::Client::new();
    let stuck = client
        .get(service.url("/"))
        .header("x-request-id", "req-stuck")
        .send();
    let signal = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        service.signal("TERM");
    };
    let (stuck, ()) = tokio::join!(stuck, signal);
    assert!(stuck.is_err(), "the stuck request was cut");
    let (status, took) = service.wait_for_exit(Duration::from_secs(5)).await;
    assert_eq!(status.code(), Some(0));
    assert!(
        took < Duration::from_secs(3),
        "exit within the drain limit: {took:?}"
    );
    let lines = service.json_lines();
    assert!(lines.iter().any(|line| {
        line["level"] == "WARN"
            && line["message"]
                .as_str()
                .is_some_and(|m| m.contains("cutting"))
    }));
    assert!(
        lines
            .iter()
            .any(|line| line["request_id"] == "req-stuck" && line["status"] == 499)
    );
}

#[tokio::test]
async fn a_second_signal_exits_at_once_with_130() {
    let mut service = spawn_binary(&[("APP_SHUTDOWN_DELAY", "30s")]).await;
    service.signal("TERM");
    service
        .wait_for_line(Duration::from_secs(5), |line| {
            line["message"] == "shutdown requested"
        })
        .await;
    service.signal("INT");
    let (status, took) = service.wait_for_exit(Duration::from_secs(5)).await;
    assert_eq!(status.code(), Some(130));
    assert!(took < Duration::from_secs(2));
}

#[tokio::test]
async fn the_in_process_app_stops_cleanly() {
    let app = crate::helpers::spawn_app(&[]).await;
    assert_eq!(app.get("/").await.status(), 200);
    app.stop().await.expect("a clean stop");
}
