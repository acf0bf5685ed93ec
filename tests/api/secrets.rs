//! Secrets from Secrets Manager (the moto server) and Postgres (the run's cluster, where
//! every role but the superuser must give its password): start-up with a secret, every
//! start-up failure, rotation under load, a failing refresh, and no value in any output.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::moto::{Moto, aws_vars};
use crate::helpers::otlp::{BlackHole, Protocol, Receiver};
use crate::helpers::{ADMIN_TOKEN, Binary, spawn_binary};

const SECRET: &str = "hello-service/prod";

/// A login role with a database of its own on the run's cluster, and a superuser
/// connection to change its password as a rotation does.
struct Role {
    name: String,
    dbname: String,
    /// `postgres://127.0.0.1:PORT`: the server, without credentials.
    server: String,
    admin: tokio_postgres::Client,
}

impl Role {
    async fn create(password: &str) -> Self {
        let superuser = std::env::var("TEST_DATABASE_URL").expect(
            "TEST_DATABASE_URL is not set: run the suite with scripts/test, which starts PostgreSQL",
        );
        let admin = crate::helpers::database::connect(&superuser).await;
        let name = format!("app_{}", uuid::Uuid::new_v4().simple());
        // Two statements: CREATE DATABASE cannot share a transaction.
        for statement in [
            format!("CREATE ROLE {name} LOGIN PASSWORD '{password}'"),
            format!("CREATE DATABASE {name} OWNER {name}"),
        ] {
            admin
                .batch_execute(&statement)
                .await
                .expect("the role and its database are created");
        }
        let server = superuser
            .split_once('@')
            .map(|(_, rest)| rest.split('/').next().unwrap_or_default().to_owned())
            .expect("a URL with a host");
        Self {
            dbname: name.clone(),
            name,
            server: format!("postgres://{server}"),
            admin,
        }
    }

    /// `DATABASE_URL` with `user:password`.
    fn url(&self, user: &str, password: &str) -> String {
        let host = self.server.trim_start_matches("postgres://");
        format!("postgres://{user}:{password}@{host}/{}", self.dbname)
    }

    /// The secret's JSON in the RDS shape, with `extra` keys.
    fn secret(&self, password: &str, extra: &Value) -> String {
        let mut secret = json!({"username": self.name, "password": password, "engine": "postgres"});
        if let (Some(secret), Some(extra)) = (secret.as_object_mut(), extra.as_object()) {
            secret.extend(extra.clone());
        }
        secret.to_string()
    }

    /// Changes the role's password: the old one stops opening connections.
    async fn set_password(&self, password: &str) {
        self.admin
            .batch_execute(&format!("ALTER ROLE {} PASSWORD '{password}'", self.name))
            .await
            .expect("the password is changed");
    }

    /// When the service's connections to the role's database started, by the server's
    /// clock.
    async fn connection_starts(&self) -> Vec<std::time::SystemTime> {
        self.admin
            .query(
                "SELECT backend_start FROM pg_stat_activity WHERE usename = $1 AND application_name = 'hello-service'",
                &[&self.name],
            )
            .await
            .expect("pg_stat_activity is readable")
            .iter()
            .map(|row| row.get(0))
            .collect()
    }

    /// Ends every connection of the role, as a failover or a restart would.
    async fn terminate_connections(&self) {
        self.admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                &[&self.name],
            )
            .await
            .expect("connections terminated");
        let started = Instant::now();
        while !self.connection_starts().await.is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "connections linger"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn host_and_port(&self) -> (String, u16) {
        let address = self.server.trim_start_matches("postgres://");
        let (host, port) = address.rsplit_once(':').expect("host:port");
        (host.to_owned(), port.parse().expect("a port"))
    }

    async fn now(&self) -> std::time::SystemTime {
        self.admin
            .query_one("SELECT now()", &[])
            .await
            .expect("the clock")
            .get(0)
    }
}

fn with_vars<'a>(owned: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    owned
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

/// Runs the binary with `vars` until it exits (at most 30 s); returns whether it
/// succeeded, its stderr, and how long it ran.
fn run_to_exit(vars: &[(&'static str, String)]) -> (bool, String, Duration) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_hello-service"))
        .env_clear()
        .env("APP_LISTEN_ADDR", "127.0.0.1:0")
        .env("APP_ADMIN_LISTEN_ADDR", "127.0.0.1:0")
        .envs(vars.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
        .wait_with_output()
        .expect("the binary ends");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        started.elapsed(),
    )
}

/// A service whose database credentials (and `extra` keys) come from a secret in a fresh
/// moto: `DATABASE_URL` carries wrong credentials of its own, so only the secret's can
/// work. `more` variables go on top.
struct WithSecret {
    moto: Moto,
    role: Role,
    binary: Binary,
    /// The binary's variables, for another run with the same environment.
    vars: Vec<(&'static str, String)>,
}

async fn start_with_secret(
    password: &str,
    extra: &Value,
    more: Vec<(&'static str, String)>,
) -> WithSecret {
    let moto = Moto::start().await;
    let role = Role::create(password).await;
    moto.create_secret(SECRET, &role.secret(password, extra))
        .await;
    let mut vars = moto.vars();
    vars.extend([
        ("APP_SECRET_ID", SECRET.to_owned()),
        ("DATABASE_URL", role.url("nobody", "wrong")),
        ("APP_DB_MIGRATE_ON_START", "true".to_owned()),
    ]);
    vars.extend(more);
    let binary = spawn_binary(&with_vars(&vars)).await;
    WithSecret {
        moto,
        role,
        binary,
        vars,
    }
}

async fn put_faults(binary: &Binary, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .put(binary.admin_url("/admin/faults"))
        .bearer_auth(token)
        .json(&json!({"latency_ms": 0}))
        .send()
        .await
        .expect("answered")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secrets_admin_token_and_database_credentials_take_effect() {
    // Held to the end: moto and the role stay up while the service runs.
    let service = start_with_secret(
        "first-pw-4711",
        &json!({"admin_token": "secret-token-0815"}),
        vec![],
    )
    .await;
    let binary = &service.binary;

    let created = reqwest::Client::new()
        .post(binary.url("/api/v1/greetings"))
        .json(&json!({"name": "Ada", "message": "Hi"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(created.status(), 201);
    assert_eq!(put_faults(binary, "secret-token-0815").await.status(), 200);
    assert_eq!(
        put_faults(binary, ADMIN_TOKEN).await.status(),
        401,
        "the secret's token wins over APP_ADMIN_TOKEN"
    );
    let metrics = reqwest::get(binary.admin_url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(r#"secrets_fetch_total{result="success"} 1"#),
        "{metrics}"
    );
}

/// Start-up fails within a few seconds, exit status 1, saying what to fix.
fn assert_fails_fast(vars: &[(&'static str, String)], says: &str) {
    let (succeeded, stderr, took) = run_to_exit(vars);
    assert!(!succeeded, "it must not start");
    assert!(
        !stderr.contains("4711"),
        "a value reached the message: {stderr}"
    );
    assert!(stderr.contains(says), "{stderr:?} should say {says:?}");
    assert!(took < Duration::from_secs(12), "failing took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_fails_fast_and_says_why() {
    let moto = Moto::start().await;
    moto.create_secret("not-json", "pw-4711 in plain text")
        .await;
    moto.create_secret("empty-token", r#"{"admin_token":""}"#)
        .await;
    moto.create_secret("wrong-type", r#"{"username":"app","password":4711}"#)
        .await;
    moto.create_binary_secret("binary").await;
    let secret = |id: &str| {
        let mut vars = moto.vars();
        vars.push(("APP_SECRET_ID", id.to_owned()));
        vars
    };
    assert_fails_fast(&secret("missing"), "does not exist in Secrets Manager");
    assert_fails_fast(&secret("not-json"), "is not valid JSON");
    assert_fails_fast(&secret("empty-token"), "has an empty `admin_token`");
    assert_fails_fast(&secret("wrong-type"), "has `password` of the wrong type");
    assert_fails_fast(&secret("binary"), "holds binary data");

    let mut no_credentials = secret("missing");
    no_credentials.retain(|(name, _)| {
        !name.starts_with("AWS_ACCESS_KEY_ID") && *name != "AWS_SECRET_ACCESS_KEY"
    });
    no_credentials.extend([
        ("AWS_CONFIG_FILE", "/nonexistent/config".to_owned()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/credentials".to_owned(),
        ),
    ]);
    assert_fails_fast(&no_credentials, "no usable AWS credentials");

    // Nothing listens, and a server that accepts connections and never answers.
    let mut refused = aws_vars(&crate::helpers::otlp::dead_endpoint());
    refused.push(("APP_SECRET_ID", SECRET.to_owned()));
    assert_fails_fast(&refused, "did not answer");
    let hole = BlackHole::start().await;
    let mut silent = aws_vars(&hole.endpoint());
    silent.push(("APP_SECRET_ID", SECRET.to_owned()));
    assert_fails_fast(&silent, "did not answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_without_permission_are_told_what_the_role_needs() {
    // Three calls set the scene; from the fourth, moto checks IAM as AWS would.
    let moto = Moto::start_enforcing_iam_after(3).await;
    let (key, secret_key) = moto.create_user_without_permissions("reader").await;
    moto.create_secret(SECRET, r#"{"admin_token":"t"}"#).await;
    let mut vars = moto.vars();
    vars.retain(|(name, _)| {
        !name.starts_with("AWS_ACCESS_KEY_ID") && *name != "AWS_SECRET_ACCESS_KEY"
    });
    vars.extend([
        ("AWS_ACCESS_KEY_ID", key),
        ("AWS_SECRET_ACCESS_KEY", secret_key),
        ("APP_SECRET_ID", SECRET.to_owned()),
    ]);
    assert_fails_fast(&vars, "secretsmanager:GetSecretValue");
}

/// A load of greetings requests, counting failures, until stopped.
fn start_load(
    url: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> tokio::task::JoinHandle<(usize, usize)> {
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        let ok = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..4)
            .map(|worker| {
                let (client, url, stop) = (client.clone(), url.clone(), Arc::clone(&stop));
                let (ok, failed) = (Arc::clone(&ok), Arc::clone(&failed));
                tokio::spawn(async move {
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        i += 1;
                        let answer = if i % 2 == 0 {
                            client.get(&url).send().await
                        } else {
                            client
                                .post(&url)
                                .json(&json!({"name": format!("w{worker}"), "message": format!("n{i}")}))
                                .send()
                                .await
                        };
                        match answer {
                            Ok(answer) if answer.status().is_success() => ok.fetch_add(1, Ordering::Relaxed),
                            _ => failed.fetch_add(1, Ordering::Relaxed),
                        };
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await.expect("a load worker");
        }
        (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_under_load_fails_no_request_and_the_pool_moves_to_the_new_password() {
    let WithSecret {
        moto, role, binary, ..
    } = start_with_secret(
        "old-pw-4711",
        &json!({}),
        vec![
            ("APP_DB_POOL_MAX", "4".to_owned()),
            ("APP_SECRET_REFRESH", "1s".to_owned()),
        ],
    )
    .await;

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = start_load(binary.url("/api/v1/greetings"), Arc::clone(&stop));
    tokio::time::sleep(Duration::from_secs(1)).await;
    // As AWS rotates: the new password is set in the database, then in the secret, and
    // the old one stops working.
    role.set_password("new-pw-0815").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rotated = role.now().await;
    moto.put_secret(SECRET, &role.secret("new-pw-0815", &json!({})))
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let (ok, failed) = load.await.expect("the load ran");
    assert!(ok > 50, "the load ran: {ok} requests");
    assert_eq!(failed, 0, "{failed} of {} requests failed", ok + failed);

    binary
        .wait_for_message(Duration::from_secs(10), "database credentials rotated")
        .await;
    // Every connection the pool keeps was opened after the rotation, with the new
    // password: the old ones were closed as they came back.
    let started = Instant::now();
    loop {
        let starts = role.connection_starts().await;
        if !starts.is_empty() && starts.iter().all(|start| *start > rotated) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "connections from before the rotation remain: {starts:?} vs {rotated:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_password_rereads_the_secret_at_once() {
    // No scheduled refresh within the test: only a rejection can make it re-read.
    let WithSecret {
        moto, role, binary, ..
    } = start_with_secret(
        "old-pw-4711",
        &json!({}),
        vec![("APP_SECRET_REFRESH", "1h".to_owned())],
    )
    .await;
    let list = || reqwest::get(binary.url("/api/v1/greetings"));
    assert_eq!(list().await.expect("answered").status(), 200);

    role.set_password("new-pw-0815").await;
    moto.put_secret(SECRET, &role.secret("new-pw-0815", &json!({})))
        .await;
    // The pool's connections are gone; the next one is opened with the old password,
    // rejected, and the secret read again.
    role.terminate_connections().await;
    assert_eq!(list().await.expect("answered").status(), 200);
    binary
        .wait_for_line(Duration::from_secs(5), |line| {
            line["message"] == "the secret changed" && line["reason"] == "password rejected"
        })
        .await;
}

/// The order AWS rotates in: the new password is the secret's pending version, then the
/// database's, and only then the secret's current version. In between, a new connection
/// with the current version's password is rejected, and the pending one is used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mid_rotation_the_pending_version_is_used() {
    let WithSecret {
        moto, role, binary, ..
    } = start_with_secret(
        "old-pw-4711",
        &json!({}),
        vec![("APP_SECRET_REFRESH", "1s".to_owned())],
    )
    .await;
    let list = || reqwest::get(binary.url("/api/v1/greetings"));
    assert_eq!(list().await.expect("answered").status(), 200);

    moto.put_pending_secret(SECRET, &role.secret("new-pw-0815", &json!({})))
        .await;
    role.set_password("new-pw-0815").await;
    role.terminate_connections().await;
    // Whichever meets the rejection first, a request or the readiness ping, adopts the
    // pending version; waiting for it keeps the request below from racing a re-read
    // that a loaded machine slows past the pool's 2 s timeout. That a request itself
    // re-reads at once is a_rejected_password_rereads_the_secret_at_once.
    binary
        .wait_for_message(Duration::from_secs(10), "using the pending version")
        .await;
    assert_eq!(list().await.expect("answered").status(), 200);
    // Scheduled refreshes still find the rejected password current: they keep the
    // working one.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    role.terminate_connections().await;
    assert_eq!(list().await.expect("answered").status(), 200);

    // The rotation ends; the current version is the working one.
    moto.put_secret(SECRET, &role.secret("new-pw-0815", &json!({})))
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    role.terminate_connections().await;
    assert_eq!(list().await.expect("answered").status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secrets_host_port_and_dbname_replace_the_urls() {
    let moto = Moto::start().await;
    let role = Role::create("pw-4711").await;
    let (host, port) = role.host_and_port();
    moto.create_secret(
        SECRET,
        &role.secret(
            "pw-4711",
            &json!({"host": host, "port": port, "dbname": role.dbname}),
        ),
    )
    .await;
    for url in [
        // Nothing listens at the URL's address, and its database does not exist.
        Some("postgres://nobody:wrong@127.0.0.1:1/nowhere".to_owned()),
        // Or there is no URL: the secret says it all.
        None,
    ] {
        let mut vars = moto.vars();
        vars.extend([
            ("APP_SECRET_ID", SECRET.to_owned()),
            ("APP_DB_MIGRATE_ON_START", "true".to_owned()),
        ]);
        vars.extend(url.map(|url| ("DATABASE_URL", url)));
        let binary = spawn_binary(&with_vars(&vars)).await;
        let answer = reqwest::get(binary.url("/api/v1/greetings"))
            .await
            .expect("answered");
        assert_eq!(answer.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refresh_keeps_the_last_good_secret() {
    let mut moto = Moto::start().await;
    moto.create_secret(SECRET, r#"{"admin_token":"secret-token-0815"}"#)
        .await;
    let mut vars = moto.vars();
    vars.extend([
        ("APP_SECRET_ID", SECRET.to_owned()),
        ("APP_SECRET_REFRESH", "1s".to_owned()),
    ]);
    let binary = spawn_binary(&with_vars(&vars)).await;
    assert_eq!(put_faults(&binary, "secret-token-0815").await.status(), 200);

    moto.stop();
    binary
        .wait_for_line(Duration::from_secs(20), |line| {
            line["level"] == "WARN"
                && line["message"]
                    .as_str()
                    .is_some_and(|message| message.starts_with("cannot read the secret again"))
        })
        .await;
    assert_eq!(put_faults(&binary, "secret-token-0815").await.status(), 200);
    let metrics = reqwest::get(binary.admin_url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(r#"secrets_fetch_total{result="error"}"#),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_value_reaches_any_output_even_at_trace() {
    const VALUES: [&str; 3] = ["old-pw-4711", "new-pw-0815", "secret-token-0815"];
    let receiver = Receiver::start(Protocol::Grpc).await;
    let WithSecret {
        moto,
        role,
        binary,
        vars,
    } = start_with_secret(
        "old-pw-4711",
        &json!({"admin_token": "secret-token-0815"}),
        vec![
            ("APP_SECRET_REFRESH", "1s".to_owned()),
            ("RUST_LOG", "trace".to_owned()),
            // Every request traced, spans exported: their attributes are checked too.
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_owned()),
            ("OTEL_TRACES_SAMPLER", "always_on".to_owned()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let mut bodies = Vec::new();
    for token in ["secret-token-0815", "guess"] {
        bodies.push(put_faults(&binary, token).await.text().await.expect("body"));
    }
    let created = client
        .post(binary.url("/api/v1/greetings"))
        .json(&json!({"name": "Ada", "message": "Hi"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(created.status(), 201);
    // A rotation, with its re-read and log lines.
    role.set_password("new-pw-0815").await;
    moto.put_secret(
        SECRET,
        &role.secret("new-pw-0815", &json!({"admin_token": "secret-token-0815"})),
    )
    .await;
    binary
        .wait_for_message(Duration::from_secs(10), "database credentials rotated")
        .await;
    bodies.push(
        reqwest::get(binary.url("/api/v1/greetings"))
            .await
            .expect("answered")
            .text()
            .await
            .expect("body"),
    );
    let check_config = Command::new(env!("CARGO_BIN_EXE_hello-service"))
        .arg("check-config")
        .env_clear()
        .envs(vars.iter().map(|(name, value)| (name, value)))
        .output()
        .expect("check-config runs");
    bodies.push(String::from_utf8_lossy(&check_config.stdout).into_owned());

    let spans = receiver
        .wait_for(Duration::from_secs(10), |spans| {
            spans
                .iter()
                .any(|span| span.span.name == "INSERT greetings")
        })
        .await;
    bodies.push(format!(
        "{:?}",
        spans.iter().map(|span| &span.span).collect::<Vec<_>>()
    ));
    let logs = binary.lines().join("\n");
    assert!(logs.lines().count() > 100, "TRACE logs were written");
    for value in VALUES {
        assert!(!logs.contains(value), "{value} reached the logs");
        for body in &bodies {
            assert!(!body.contains(value), "{value} reached an answer: {body}");
        }
    }
}
