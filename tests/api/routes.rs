use serde_json::json;

use crate::helpers::{json, spawn_app};

#[tokio::test]
async fn root_says_hello() {
    let app = spawn_app(&[]).await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(json(response).await, json!({"message": "Hello, World!"}));
}

#[tokio::test]
async fn health_routes_answer_on_both_listeners() {
    let app = spawn_app(&[]).await;
    for response in [app.get("/health").await, app.admin_get("/health").await] {
        assert_eq!(response.status(), 200);
        assert_eq!(json(response).await, json!({"status": "ok"}));
    }
    for response in [
        app.get("/health/live").await,
        app.admin_get("/health/live").await,
    ] {
        assert_eq!(response.status(), 200);
        assert_eq!(json(response).await, json!({"status": "ok"}));
    }
    for response in [
        app.get("/health/ready").await,
        app.admin_get("/health/ready").await,
    ] {
        assert_eq!(response.status(), 200);
        let body = json(response).await;
        assert_eq!(body["status"], "ready");
        assert_eq!(body["checks"]["database"]["status"], "disabled");
    }
}

#[tokio::test]
async fn readiness_fails_when_a_drill_says_so_and_health_does_not() {
    let app = spawn_app(&[]).await;
    app.set_faults(json!({"fail_readiness": true})).await;
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 503);
    assert_eq!(json(response).await["status"], "not_ready");
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn version_is_stamped() {
    let app = spawn_app(&[]).await;
    let response = app.get("/version").await;
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let sha = body["git_sha"].as_str().expect("git_sha is a string");
    assert!(
        sha == "unknown" || (sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit())),
        "{sha}"
    );
    let built = body["build_time"].as_str().expect("build_time is a string");
    assert!(
        built == "unknown" || humantime::parse_rfc3339(built).is_ok(),
        "{built}"
    );
}

#[tokio::test]
async fn metrics_are_on_the_admin_listener_only() {
    let app = spawn_app(&[]).await;
    let response = app.admin_get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/plain; version=0.0.4")
    );
    assert!(
        response
            .text()
            .await
            .expect("text")
            .contains("hello_service_build_info{")
    );
    assert_eq!(app.get("/metrics").await.status(), 404);
}

#[tokio::test]
async fn admin_faults_need_the_token() {
    let app = spawn_app(&[]).await;
    let url = format!("{}/admin/faults", app.admin_address);
    let response = app.client.get(&url).send().await.expect("answers");
    assert_eq!(response.status(), 401);
    assert_eq!(json(response).await["error"]["code"], "unauthorized");
    let response = app
        .client
        .get(&url)
        .bearer_auth("wrong")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 401);

    let response = app
        .client
        .get(&url)
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["latency_ms"], 0);
}

#[tokio::test]
async fn admin_faults_do_not_exist_without_a_token() {
    let app = spawn_app(&[("APP_ADMIN_TOKEN", "")]).await;
    let response = app.admin_get("/admin/faults").await;
    assert_eq!(response.status(), 404);
    assert_eq!(json(response).await["error"]["code"], "not_found");
}
