//! Real PostgreSQL for tests: a fresh database per test on the run's shared cluster
//! (`TEST_DATABASE_URL`, started by `scripts/test`), or a cluster of a test's own when
//! it must stop and start the server.

use std::path::PathBuf;
use std::process::Command;

use tokio_postgres::NoTls;

const CLUSTER_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-cluster");

/// The superuser URL of the run's shared cluster.
fn shared_cluster() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "TEST_DATABASE_URL is not set: run the suite with scripts/test, which starts \
             PostgreSQL, or start one with `scripts/pg-cluster create DIR` and export the \
             URL it prints"
        )
    })
}

/// `url` with its database name replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (server, _) = url.rsplit_once('/').expect("a URL with a database");
    format!("{server}/{database}")
}

/// A new, empty database on `server_url`'s cluster; returns its URL.
pub async fn fresh_database_on(server_url: &str) -> String {
    let (client, connection) = tokio_postgres::connect(server_url, NoTls)
        .await
        .unwrap_or_else(|error| {
            panic!("cannot reach the test PostgreSQL at {server_url}: {error}")
        });
    tokio::spawn(connection);
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("the test database is created");
    with_database(server_url, &name)
}

/// A new, empty database on the shared cluster; returns its URL.
pub async fn fresh_database() -> String {
    fresh_database_on(&shared_cluster()).await
}

/// A client of the database at `url`, for checking what the service stored.
pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .expect("connects to the test database");
    tokio::spawn(connection);
    client
}

/// A PostgreSQL cluster of one test's own, destroyed when dropped.
pub struct Cluster {
    dir: PathBuf,
    /// Its superuser URL.
    pub url: String,
    _temp: tempfile::TempDir,
}

impl Cluster {
    /// Creates and starts a cluster on a free port.
    pub fn create() -> Self {
        Self::create_with(|_| {})
    }

    /// Creates a cluster that also takes TLS with `server.crt` and `server.key`, which
    /// `prepare` writes into the folder it is given.
    pub fn create_with_tls(prepare: impl FnOnce(&std::path::Path)) -> Self {
        Self::create_with(prepare)
    }

    fn create_with(prepare: impl FnOnce(&std::path::Path)) -> Self {
        let temp = tempfile::tempdir().expect("a temporary folder");
        let dir = temp.path().join("cluster");
        std::fs::create_dir(&dir).expect("the cluster folder");
        prepare(&dir);
        let url = cluster_script("create", &dir);
        Self {
            dir,
            url,
            _temp: temp,
        }
    }

    /// Stops the server, as an outage would.
    pub fn stop(&self) {
        cluster_script("stop", &self.dir);
    }

    /// Starts it again on the same port.
    pub fn start(&self) {
        cluster_script("start", &self.dir);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(CLUSTER_SCRIPT)
            .arg("destroy")
            .arg(&self.dir)
            .status();
    }
}

fn cluster_script(command: &str, dir: &std::path::Path) -> String {
    let output = Command::new(CLUSTER_SCRIPT)
        .arg(command)
        .arg(dir)
        .output()
        .expect("scripts/pg-cluster runs");
    assert!(
        output.status.success(),
        "scripts/pg-cluster {command} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}
