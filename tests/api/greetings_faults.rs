//! Faults the database brings: an outage and a restart, and a pool exhausted by slow
//! queries. Every request gets a prompt answer; none hangs.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;

use crate::database::{Cluster, fresh_database_on};
use crate::helpers::{TestApp, json, spawn_app};

const COLLECTION: &str = "/api/v1/greetings";

/// Polls `/health/ready` until it answers `status`, failing after `limit`.
async fn wait_for_readiness(app: &TestApp, status: u16, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        if app.get("/health/ready").await.status() == status {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "readiness not {status} within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_service_survives_a_postgres_restart() {
    let cluster = Cluster::create();
    let url = fresh_database_on(&cluster.url).await;
    let app = spawn_app(&[("DATABASE_URL", &url), ("APP_DB_MIGRATE_ON_START", "true")]).await;
    wait_for_readiness(&app, 200, Duration::from_secs(5)).await;
    let created = app
        .client
        .post(format!("{}{COLLECTION}", app.address))
        .json(&json!({"name": "before", "message": "the outage"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(created.status(), 201);

    cluster.stop();
    let noticed = wait_for_readiness(&app, 503, Duration::from_secs(5)).await;
    assert!(noticed < Duration::from_secs(5));
    assert_eq!(
        app.get("/health").await.status(),
        200,
        "/health never asks the database"
    );
    for _ in 0..3 {
        let started = Instant::now();
        let response = app.get(COLLECTION).await;
        assert_eq!(response.status(), 503);
        assert_eq!(
            json(response).await["error"]["code"],
            "database_unavailable"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "answered within the pool wait"
        );
    }

    cluster.start();
    wait_for_readiness(&app, 200, Duration::from_secs(5)).await;
    for _ in 0..5 {
        let response = app.get(COLLECTION).await;
        assert_eq!(
            response.status(),
            200,
            "the first requests after recovery succeed"
        );
    }
    let page = json(app.get(COLLECTION).await).await;
    assert_eq!(page["items"][0]["name"], "before");
}

#[tokio::test]
async fn an_exhausted_pool_answers_503_after_the_wait_timeout() {
    let (app, _) = crate::helpers::spawn_app_with_db(&[("APP_DB_POOL_MAX", "2")]).await;
    wait_for_readiness(&app, 200, Duration::from_secs(5)).await;
    app.set_faults(json!({"db_latency_ms": 4000})).await;

    let slow = join_all((0..2).map(|_| app.get(COLLECTION)));
    let extra = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let metrics_during = app.admin_get("/metrics").await.text().await.expect("text");
        let started = Instant::now();
        let responses = join_all((0..3).map(|_| app.get(COLLECTION))).await;
        (metrics_during, started.elapsed(), responses)
    };
    let (slow, (metrics_during, waited, extra)) = tokio::join!(slow, extra);

    for response in extra {
        assert_eq!(response.status(), 503);
        assert_eq!(
            json(response).await["error"]["code"],
            "database_unavailable"
        );
    }
    assert!(
        waited >= Duration::from_millis(1900) && waited < Duration::from_secs(3),
        "refused after the 2 s wait timeout: {waited:?}"
    );
    for response in slow {
        assert_eq!(response.status(), 200, "the slow requests finish");
    }
    assert!(
        metrics_during.contains(r#"db_pool_connections{state="in_use"} 2"#),
        "{metrics_during}"
    );
    assert!(metrics_during.contains("db_pool_max_connections 2"));

    let metrics = app.admin_get("/metrics").await.text().await.expect("text");
    assert!(
        metrics.contains(r#"db_pool_errors_total{kind="timeout"} 3"#),
        "{metrics}"
    );
    assert!(metrics.contains("db_pool_acquire_duration_seconds_bucket{le=\"2\"}"));
    crate::metrics::promtool_check(&metrics);
}

#[tokio::test]
async fn a_statement_past_the_statement_timeout_is_cancelled_with_504() {
    let (app, _) = crate::helpers::spawn_app_with_db(&[]).await;
    app.set_faults(json!({"db_latency_ms": 8000})).await;
    let started = Instant::now();
    let response = app.get(COLLECTION).await;
    assert_eq!(response.status(), 504);
    assert_eq!(json(response).await["error"]["code"], "timeout");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(7),
        "{took:?}"
    );
    let metrics = app.admin_get("/metrics").await.text().await.expect("text");
    assert!(metrics.contains(r#"db_pool_errors_total{kind="statement_timeout"} 1"#));
    app.set_faults(json!({})).await;
    assert_eq!(
        app.get(COLLECTION).await.status(),
        200,
        "the connection is usable again"
    );
}
