//! `hello-service migrate` against a real PostgreSQL: fresh, repeated, concurrent.

use std::process::{Command, Output};

use crate::helpers::database::{connect, fresh_database};

fn migrate(url: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_hello-service"))
        .arg("migrate")
        .env_clear()
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

fn finished(child: std::process::Child) -> Output {
    let output = child.wait_with_output().expect("it finishes");
    assert!(
        output.status.success(),
        "migrate failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

async fn applied_versions(url: &str) -> Vec<i64> {
    connect(url)
        .await
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .expect("schema_migrations exists")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[tokio::test]
async fn a_fresh_database_migrates_and_again_is_a_no_op() {
    let url = fresh_database().await;
    let first = finished(migrate(&url));
    assert!(String::from_utf8_lossy(&first.stdout).contains("migration applied"));
    finished(migrate(&url));
    let expected: Vec<i64> = hello_service::db::migrate::MIGRATIONS
        .iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(applied_versions(&url).await, expected);
    let client = connect(&url).await;
    client
        .execute(
            "INSERT INTO greetings (name, message) VALUES ('a', 'b')",
            &[],
        )
        .await
        .expect("the table is there");
}

#[tokio::test]
async fn two_processes_migrating_at_once_are_safe() {
    let url = fresh_database().await;
    let (one, two) = (migrate(&url), migrate(&url));
    finished(one);
    finished(two);
    assert_eq!(
        applied_versions(&url).await.len(),
        hello_service::db::migrate::MIGRATIONS.len()
    );
}

#[tokio::test]
async fn migrate_without_a_database_says_so() {
    let output = Command::new(env!("CARGO_BIN_EXE_hello-service"))
        .arg("migrate")
        .env_clear()
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("DATABASE_URL"));
}
