//! Faults the database brings: an outage and a restart, and a pool exhausted by slow
//! queries. Every request gets a prompt answer; none hangs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::database::{Cluster, fresh_database, fresh_database_on};
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

/// A TCP proxy in front of the test Postgres that, when told, cuts the connection whose
/// next message is an extended-protocol query (Parse or Bind) without forwarding it. The
/// service then sees a connection that looked alive in its pool die under its query, as
/// when Postgres closed it while idle and the close was not read yet, or a NAT or
/// firewall that forgot the flow resets it. Simple queries (the readiness ping's) pass,
/// so only a request's query meets the cut.
struct CuttingProxy {
    /// `DATABASE_URL` through the proxy.
    url: String,
    armed: Arc<AtomicBool>,
    cuts: Arc<AtomicUsize>,
}

impl CuttingProxy {
    async fn start(database_url: &str) -> Self {
        let (scheme_and_user, rest) = database_url.split_once('@').expect("a URL with a user");
        let (upstream, database) = rest.split_once('/').expect("a URL with a database");
        let upstream = upstream.to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address: SocketAddr = listener.local_addr().expect("bound");
        let (armed, cuts) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicUsize::new(0)),
        );
        let (armed_, cuts_) = (Arc::clone(&armed), Arc::clone(&cuts));
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(&upstream)
                    .await
                    .expect("Postgres answers");
                tokio::spawn(forward(
                    client,
                    server,
                    Arc::clone(&armed_),
                    Arc::clone(&cuts_),
                ));
            }
        });
        Self {
            url: format!("{scheme_and_user}@{address}/{database}"),
            armed,
            cuts,
        }
    }

    /// Cuts the next connection that sends a query.
    fn cut_next_query(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    fn cuts(&self) -> usize {
        self.cuts.load(Ordering::SeqCst)
    }
}

/// Copies bytes both ways until either side closes, or the client sends an extended
/// query while the cut is armed: then both sockets are dropped, the query unsent.
async fn forward(
    mut client: TcpStream,
    mut server: TcpStream,
    armed: Arc<AtomicBool>,
    cuts: Arc<AtomicUsize>,
) {
    let (mut from_client, mut to_client) = client.split();
    let (mut from_server, mut to_server) = server.split();
    let upstream = async {
        let mut buffer = vec![0; 64 * 1024];
        loop {
            let read = from_client.read(&mut buffer).await.unwrap_or(0);
            if read == 0 {
                return;
            }
            // tokio-postgres writes each request in one go, so a read starts with a
            // message's type byte.
            if matches!(buffer[0], b'P' | b'B') && armed.swap(false, Ordering::SeqCst) {
                cuts.fetch_add(1, Ordering::SeqCst);
                return;
            }
            if to_server.write_all(&buffer[..read]).await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        () = upstream => {}
        _ = tokio::io::copy(&mut from_server, &mut to_client) => {}
    }
}

#[tokio::test]
async fn a_read_whose_pooled_connection_was_lost_is_answered_from_another() {
    let proxy = CuttingProxy::start(&fresh_database().await).await;
    let app = spawn_app(&[
        ("DATABASE_URL", &proxy.url),
        ("APP_DB_MIGRATE_ON_START", "true"),
    ])
    .await;
    let created = app
        .client
        .post(format!("{}{COLLECTION}", app.address))
        .json(&json!({"name": "kept", "message": "through a lost connection"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"]
        .to_str()
        .expect("a location")
        .to_owned();

    proxy.cut_next_query();
    let page = app.get(COLLECTION).await;
    assert_eq!(
        page.status(),
        200,
        "the list is read again on another connection"
    );
    assert_eq!(json(page).await["items"][0]["name"], "kept");
    assert_eq!(proxy.cuts(), 1, "the list met the cut");

    proxy.cut_next_query();
    let found = app.get(&location).await;
    assert_eq!(found.status(), 200, "so is a single greeting");
    assert_eq!(proxy.cuts(), 2, "the find met the cut");

    // A write is not sent twice: whether it ran before its connection was lost is
    // unknown, so the client is told to try again.
    proxy.cut_next_query();
    let refused = app
        .client
        .post(format!("{}{COLLECTION}", app.address))
        .json(&json!({"name": "once", "message": "or not at all"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(refused.status(), 503);
    assert_eq!(json(refused).await["error"]["code"], "database_unavailable");
    assert_eq!(proxy.cuts(), 3, "the insert met the cut");

    let metrics = app
        .admin_get("/metrics")
        .await
        .text()
        .await
        .expect("a body");
    assert!(
        metrics.contains(r#"db_pool_errors_total{kind="connection_lost"} 3"#),
        "each lost connection is counted:\n{metrics}"
    );
}

/// Postgres ending a connection under a request (`pg_terminate_backend`: what an RDS
/// reboot or Multi-AZ failover does to every client, SQLSTATE 57P01) leaves the
/// database unavailable to that request, which is told to try again: 503, never 500.
#[tokio::test]
async fn a_connection_postgres_ends_under_a_request_is_503_not_500() {
    let (app, url) = crate::helpers::spawn_app_with_db(&[]).await;
    wait_for_readiness(&app, 200, Duration::from_secs(5)).await;
    let (admin, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("an admin connection");
    tokio::spawn(connection);
    // The drill holds the request's connection in a query long enough to end it.
    app.set_faults(json!({"db_latency_ms": 4000})).await;
    let terminate = async {
        let started = Instant::now();
        loop {
            let ended = admin
                .query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE query = 'SELECT pg_sleep($1)' AND pid <> pg_backend_pid()",
                    &[],
                )
                .await
                .expect("pg_stat_activity is readable");
            if !ended.is_empty() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "the request's query never showed in pg_stat_activity"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let (response, ()) = tokio::join!(app.get(COLLECTION), terminate);
    app.set_faults(json!({})).await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        json(response).await["error"]["code"],
        "database_unavailable"
    );
    let metrics = app.admin_get("/metrics").await.text().await.expect("text");
    assert!(
        metrics.contains(r#"db_pool_errors_total{kind="connection_lost"} 1"#),
        "the ended connection is counted as lost:\n{metrics}"
    );
    assert_eq!(
        app.get(COLLECTION).await.status(),
        200,
        "the next request gets another connection"
    );
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
    crate::helpers::promtool::check_metrics(&metrics);
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
