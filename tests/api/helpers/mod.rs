//! Starting the service for a test: the real app in-process on port 0 ([`spawn_app`]),
//! or the real binary as a child process ([`spawn_binary`]) when a test needs its
//! stdout, its signals or its exit status; and the real peers the tests talk to, each
//! in a module of its own.

pub mod database;
pub mod moto;
pub mod otlp;
pub mod promtool;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use hello_service::Application;
use hello_service::config::Config;
use serde_json::Value;
use tokio::sync::oneshot;

/// Token that opens `/admin/faults` in tests.
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// Logs stay silent unless `TEST_LOG` is set, so a failing test's output is readable.
static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var_os("TEST_LOG").is_some() {
        let config = test_config(&[]);
        let guard =
            hello_service::telemetry::init(&config.logs, &config.traces).expect("logging starts");
        std::mem::forget(guard);
    }
});

/// The configuration of a test app: loopback, free ports, faults enabled, and `vars`.
pub fn test_config(vars: &[(&str, &str)]) -> Config {
    let mut all: HashMap<String, String> = [
        ("APP_LISTEN_ADDR", "127.0.0.1:0"),
        ("APP_ADMIN_LISTEN_ADDR", "127.0.0.1:0"),
        ("APP_ADMIN_TOKEN", ADMIN_TOKEN),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    for (name, value) in vars {
        all.insert((*name).to_owned(), (*value).to_owned());
    }
    Config::from_lookup(|name| all.get(name).cloned()).expect("test configuration is valid")
}

/// The app running in this test process.
pub struct TestApp {
    /// `http://127.0.0.1:PORT` of the app listener.
    pub address: String,
    /// `http://127.0.0.1:PORT` of the admin listener.
    pub admin_address: String,
    /// A client with no timeouts or retries of its own.
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    running: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Starts the real app on free ports with `vars` over the test defaults.
pub async fn spawn_app(vars: &[(&str, &str)]) -> TestApp {
    LazyLock::force(&TRACING);
    let app = Application::build(test_config(vars), None)
        .await
        .expect("the app builds");
    let address = format!("http://{}", app.app_addr());
    let admin_address = format!("http://{}", app.admin_addr());
    let (stop, stopped) = oneshot::channel();
    let running = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        admin_address,
        client: reqwest::Client::new(),
        stop: Some(stop),
        running,
    }
}

/// Starts the real app on a fresh, migrated database, with `vars` over the test
/// defaults; returns it and the database's URL.
pub async fn spawn_app_with_db(vars: &[(&str, &str)]) -> (TestApp, String) {
    let url = database::fresh_database().await;
    let mut all = vec![
        ("DATABASE_URL", url.as_str()),
        ("APP_DB_MIGRATE_ON_START", "true"),
    ];
    all.extend_from_slice(vars);
    (spawn_app(&all).await, url)
}

impl TestApp {
    /// `GET` on the app listener.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the app answers")
    }

    /// `GET` on the admin listener.
    pub async fn admin_get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.admin_address))
            .send()
            .await
            .expect("the admin listener answers")
    }

    /// Injects faults through `/admin/faults`.
    pub async fn set_faults(&self, faults: Value) {
        put_faults(&self.client, &self.admin_address, faults).await;
    }

    /// Starts the shutdown sequence and waits for it to end.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.running).await.expect("the app task ends")
    }
}

/// Sets `faults` on the admin listener at `admin_address`, failing unless accepted.
async fn put_faults(client: &reqwest::Client, admin_address: &str, faults: Value) {
    let response = client
        .put(format!("{admin_address}/admin/faults"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&faults)
        .send()
        .await
        .expect("the admin listener answers");
    assert_eq!(response.status(), 200, "faults accepted");
}

/// The body of a response as JSON.
pub async fn json(response: reqwest::Response) -> Value {
    let text = response.text().await.expect("a body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"))
}

/// The real binary, running as a child process, with its stdout collected.
pub struct Binary {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    /// Where its app listener is.
    pub app: SocketAddr,
    /// Where its admin listener is.
    pub admin: SocketAddr,
}

/// Starts `hello-service` with `vars` over the test defaults (`RUST_LOG=info`, free
/// ports) and waits until it listens.
pub async fn spawn_binary(vars: &[(&str, &str)]) -> Binary {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hello-service"));
    command
        .env_clear()
        .env("APP_LISTEN_ADDR", "127.0.0.1:0")
        .env("APP_ADMIN_LISTEN_ADDR", "127.0.0.1:0")
        .env("APP_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("RUST_LOG", "info")
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = command.spawn().expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let collected = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            collected.lock().expect("not poisoned").push(line);
        }
    });
    let mut binary = Binary {
        child,
        lines,
        app: SocketAddr::from(([0, 0, 0, 0], 0)),
        admin: SocketAddr::from(([0, 0, 0, 0], 0)),
    };
    let started = Instant::now();
    loop {
        if let Some((app, admin)) = binary.lines().iter().find_map(|line| listening_addrs(line)) {
            binary.app = app;
            binary.admin = admin;
            return binary;
        }
        if let Ok(Some(status)) = binary.child.try_wait() {
            panic!("the binary exited with {status} before listening");
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not listening after 10 s; output:\n{}",
            binary.lines().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The addresses in the "listening" line, in either log format.
fn listening_addrs(line: &str) -> Option<(SocketAddr, SocketAddr)> {
    if let Ok(json) = serde_json::from_str::<Value>(line) {
        if json["message"] != "listening" {
            return None;
        }
        return Some((parse_addr(&json["app"]), parse_addr(&json["admin"])));
    }
    if !line.contains("listening") {
        return None;
    }
    let field = |name: &str| {
        line.split_whitespace()
            .find_map(|token| token.strip_prefix(name))
            .and_then(|addr| addr.parse().ok())
    };
    Some((field("app=")?, field("admin=")?))
}

fn parse_addr(value: &Value) -> SocketAddr {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("not an address: {value}"))
}

impl Binary {
    /// `http://ADDR` of the app listener.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.app)
    }

    /// `http://ADDR` of the admin listener.
    pub fn admin_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.admin)
    }

    /// Injects faults through its `/admin/faults`.
    pub async fn set_faults(&self, faults: Value) {
        put_faults(&reqwest::Client::new(), &self.admin_url(""), faults).await;
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends it a signal by name (`TERM`, `INT`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "signal {name} delivered");
    }

    /// Everything it has written to stdout so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().expect("not poisoned").clone()
    }

    /// Its stdout lines, each parsed as JSON (failing on any that is not).
    pub fn json_lines(&self) -> Vec<Value> {
        self.lines()
            .iter()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}"))
            })
            .collect()
    }

    /// Waits for a JSON line that `matches`, failing after `limit`.
    pub async fn wait_for_line(&self, limit: Duration, matches: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let found = self
                .lines()
                .iter()
                .filter_map(|line| serde_json::from_str::<Value>(line).ok())
                .find(|line| matches(line));
            if let Some(line) = found {
                return line;
            }
            assert!(
                started.elapsed() < limit,
                "no matching log line within {limit:?}; got:\n{}",
                self.lines().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for a JSON line whose message starts with `prefix`, failing after `limit`.
    pub async fn wait_for_message(&self, limit: Duration, prefix: &str) -> Value {
        self.wait_for_line(limit, |line| {
            line["message"]
                .as_str()
                .is_some_and(|message| message.starts_with(prefix))
        })
        .await
    }

    /// Waits for it to exit, failing after `limit`; returns its status and how long it took.
    pub async fn wait_for_exit(&mut self, limit: Duration) -> (ExitStatus, Duration) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be waited on") {
                // Let the reader thread take the last lines.
                tokio::time::sleep(Duration::from_millis(50)).await;
                return (status, started.elapsed());
            }
            assert!(
                started.elapsed() < limit,
                "still running after {limit:?}; output:\n{}",
                self.lines().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Binary {
    #[allow(
        clippy::print_stderr,
        reason = "the test harness captures it and shows it with the failure"
    )]
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failed test shows what the service said, which is most of why it failed
        // (the harness prints a failed test's captured output and drops a passing one's).
        if std::thread::panicking() {
            eprintln!("--- the service's output ---\n{}", self.lines().join("\n"));
        }
    }
}
