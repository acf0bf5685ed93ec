use std::process::{Command, Output};

use crate::helpers::spawn_binary;

fn run(args: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hello-service"))
        .env_clear()
        .args(args)
        .envs(vars.iter().copied())
        .output()
        .expect("the binary runs")
}

#[tokio::test]
async fn healthcheck_passes_against_a_running_service() {
    let service = spawn_binary(&[]).await;
    let output = run(&["healthcheck", "--url", &service.url("/health")], &[]);
    assert!(output.status.success(), "{output:?}");

    let port = service.app.port().to_string();
    let listen = format!("0.0.0.0:{port}");
    let output = run(&["healthcheck"], &[("APP_LISTEN_ADDR", &listen)]);
    assert!(
        output.status.success(),
        "the default URL uses APP_LISTEN_ADDR: {output:?}"
    );
}

#[test]
fn healthcheck_fails_against_nothing() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("http://{}/health", free.local_addr().expect("bound"));
    drop(free);
    let started = std::time::Instant::now();
    let output = run(&["healthcheck", "--url", &url], &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unhealthy"));
}

#[test]
fn healthcheck_fails_against_a_silent_server_within_two_seconds() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("http://{}/health", silent.local_addr().expect("bound"));
    let started = std::time::Instant::now();
    let output = run(&["healthcheck", "--url", &url], &[]);
    assert_eq!(output.status.code(), Some(1));
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(4), "{took:?}");
}

#[test]
fn check_config_prints_the_config_with_secrets_redacted() {
    let output = run(
        &["check-config"],
        &[
            ("APP_ADMIN_TOKEN", "admin-secret-1234"),
            ("DATABASE_URL", "postgres://app:db-secret-5678@db:5432/app"),
            ("APP_REQUEST_TIMEOUT", "3s"),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert!(!stdout.contains("admin-secret-1234") && !stdout.contains("db-secret-5678"));
    let config: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(config["APP_REQUEST_TIMEOUT"], "3s");
    assert_eq!(config["APP_LISTEN_ADDR"], "0.0.0.0:8080");
    assert_eq!(config["APP_ADMIN_TOKEN"], "[REDACTED]");
    assert_eq!(config["DATABASE_URL"], "[REDACTED]");
    // Keyed by variable name throughout, the OpenTelemetry ones too.
    assert_eq!(config["OTEL_TRACES_SAMPLER"], "parentbased_always_on");
    assert_eq!(config["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"], 128);
    let keys: Vec<&String> = config.as_object().expect("an object").keys().collect();
    assert!(
        keys.iter().all(|key| key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')),
        "every key is a variable name: {keys:?}"
    );
}

#[test]
fn bad_configuration_names_every_bad_variable_in_one_message() {
    let bad = [
        ("APP_LISTEN_ADDR", "not-an-address"),
        ("APP_BODY_LIMIT", "lots"),
        ("APP_SHUTDOWN_TIMEOUT", "forever"),
        ("RUST_LOG", "info,[=bad"),
    ];
    for args in [&["serve"][..], &["check-config"][..], &[][..]] {
        let output = run(args, &bad);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {output:?}");
        let stderr = String::from_utf8(output.stderr).expect("utf-8");
        assert_eq!(stderr.trim().lines().count(), 1, "one message: {stderr}");
        for (variable, value) in bad {
            assert!(stderr.contains(variable), "{variable} named in {stderr}");
            assert!(
                !stderr.contains(value) || value == "lots",
                "{value} echoed in {stderr}"
            );
        }
    }
}
