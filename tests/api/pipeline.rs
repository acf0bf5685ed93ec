//! The deploy pipeline's smoke test (`scripts/smoke`) against the real app: it passes at
//! the sha the app was built from and fails, saying why, at any other or when nothing
//! answers. The deploy, rollback and migration scripts run against moto in infra/test.

use std::process::Output;

use crate::helpers::{json, spawn_app};

async fn smoke(url: &str, sha: &str) -> Output {
    tokio::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/smoke"))
        .args([url, sha])
        // A failing smoke test gives up after this long; a passing one ends at once.
        .env("SMOKE_TIMEOUT", "3")
        .output()
        .await
        .expect("scripts/smoke runs (it needs bash, curl and jq: scripts/install-test-deps)")
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[tokio::test]
async fn smoke_passes_at_the_sha_the_app_was_built_from() {
    let app = spawn_app(&[]).await;
    let version = json(app.get("/version").await).await;
    let sha = version["git_sha"].as_str().expect("git_sha is a string");
    let output = smoke(&app.address, sha).await;
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains(&format!("healthy at {sha}")),
        "{}",
        text(&output)
    );
}

#[tokio::test]
async fn smoke_fails_at_another_sha_and_names_both() {
    let app = spawn_app(&[]).await;
    let version = json(app.get("/version").await).await;
    let sha = version["git_sha"].as_str().expect("git_sha is a string");
    let expected = "0123456789abcdef0123456789abcdef01234567";
    let output = smoke(&app.address, expected).await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let said = text(&output);
    assert!(said.contains("smoke FAILED"), "{said}");
    assert!(
        said.contains(&format!("reports git_sha {sha}"))
            && said.contains(&format!("not {expected}")),
        "{said}"
    );
}

#[tokio::test]
async fn smoke_fails_when_nothing_answers() {
    let app = spawn_app(&[]).await;
    let address = app.address.clone();
    app.stop().await.expect("the app stops");
    let output = smoke(&address, "0123456789abcdef0123456789abcdef01234567").await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("/health answered nothing"),
        "{}",
        text(&output)
    );
}
