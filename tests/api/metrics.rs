use futures_util::future::join_all;

use crate::helpers::{TestApp, promtool, spawn_app};

fn series(exposition: &str) -> Vec<&str> {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' ').map(|(series, _)| series))
        .collect()
}

#[tokio::test]
async fn the_exposition_passes_promtool() {
    let app = spawn_app(&[]).await;
    for path in ["/", "/health", "/version", "/missing"] {
        app.get(path).await;
    }
    app.client.post(&app.address).send().await.expect("answers");
    let exposition = app.admin_get("/metrics").await.text().await.expect("text");
    for name in [
        "http_server_requests_total{",
        "http_server_request_duration_seconds_bucket{",
        "http_server_requests_in_flight ",
        "hello_service_build_info{",
        "process_resident_memory_bytes ",
    ] {
        assert!(exposition.contains(name), "{name} is exposed");
    }
    assert!(
        exposition.contains(r#"http_server_requests_total{method="GET",route="/",status="200"} 1"#)
    );
    assert!(
        exposition.contains(
            r#"http_server_requests_total{method="GET",route="unmatched",status="404"} 1"#
        )
    );
    promtool::check_metrics(&exposition);
}

#[tokio::test]
async fn scanners_cannot_create_series() {
    let app = spawn_app(&[]).await;
    let first = scan(&app, 0).await;
    assert!(first.iter().all(|status| *status == 404));
    let before = app.admin_get("/metrics").await.text().await.expect("text");

    for batch in 1..20 {
        scan(&app, batch).await;
    }
    for method in ["BREW", "PROPFIND", "XYZZY"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a token");
        app.client
            .request(method, format!("{}/x", app.address))
            .send()
            .await
            .expect("answers");
    }
    let after = app.admin_get("/metrics").await.text().await.expect("text");

    let new: Vec<_> = series(&after)
        .into_iter()
        .filter(|series| !series.starts_with("process_") && !series.contains("_OTHER"))
        .filter(|series| !series.contains("route=\"/metrics\""))
        .filter(|series| !series_present(&before, series))
        .collect();
    assert!(new.is_empty(), "1,000 unknown paths added series: {new:?}");
    assert!(after.contains(
        r#"http_server_requests_total{method="GET",route="unmatched",status="404"} 1000"#
    ));
    assert!(after.contains(r#"method="_OTHER",route="unmatched",status="404"} 3"#));
}

/// Fifty requests to paths nobody has asked for before.
async fn scan(app: &TestApp, batch: usize) -> Vec<reqwest::StatusCode> {
    join_all((0..50).map(|i| {
        let url = format!(
            "{}/scan/{batch}/{i}/{}",
            app.address,
            rand_path(batch * 50 + i)
        );
        async move { app.client.get(url).send().await.expect("answers").status() }
    }))
    .await
}

fn series_present(exposition: &str, wanted: &str) -> bool {
    series(exposition).contains(&wanted)
}

fn rand_path(seed: usize) -> String {
    format!("{:x}", seed.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}
