//! TLS to Postgres with libpq's `sslmode` meanings, against a real server that takes
//! TLS with a certificate for `localhost` signed by a test CA.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::database::{Cluster, connect, fresh_database_on};
use crate::helpers::{TestApp, spawn_app};

/// A CA and a server certificate for `localhost` signed by it, made with the openssl
/// command; returns the CA's path.
fn make_certificates(dir: &Path) -> PathBuf {
    let openssl = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|error| {
                panic!("openssl is needed (apt-get install -y openssl): {error}")
            });
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .expect("writes");
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=hello-service test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    let ca = dir.parent().expect("a parent").join("ca.crt");
    std::fs::copy(dir.join("ca.crt"), &ca).expect("copies the CA");
    ca
}

/// Whether the app can store a greeting within a few seconds.
async fn works(app: &TestApp) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(4) {
        let response = app
            .client
            .post(format!("{}/api/v1/greetings", app.address))
            .json(&json!({"name": "tls", "message": "encrypted"}))
            .send()
            .await
            .expect("answers");
        if response.status() == 201 {
            return true;
        }
        assert_eq!(response.status(), 503, "either stored or unavailable");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

#[tokio::test]
async fn sslmode_is_enforced_as_libpq_defines_it() {
    let mut ca = PathBuf::new();
    let cluster = Cluster::create_with_tls(|dir| ca = make_certificates(dir));
    let plain = fresh_database_on(&cluster.url).await;
    let (_, database) = plain.rsplit_once('/').expect("a database");
    let port = cluster
        .url
        .rsplit(':')
        .next()
        .and_then(|rest| rest.split('/').next())
        .expect("a port");
    // Migrate once, without TLS, so each case below only connects.
    let setup = spawn_app(&[
        ("DATABASE_URL", &plain),
        ("APP_DB_MIGRATE_ON_START", "true"),
    ])
    .await;
    setup.stop().await.expect("stops");

    let url = |host: &str, mode: &str| {
        format!("postgres://postgres@{host}:{port}/{database}?sslmode={mode}")
    };
    let ca = ca.to_str().expect("utf-8").to_owned();
    let cases = [
        (
            "verify-full, CA given, host named",
            url("localhost", "verify-full"),
            Some(&ca),
            true,
        ),
        (
            "verify-full, host not in the certificate",
            url("127.0.0.1", "verify-full"),
            Some(&ca),
            false,
        ),
        (
            "verify-full, CA not trusted",
            url("localhost", "verify-full"),
            None,
            false,
        ),
        (
            "verify-ca, host not in the certificate",
            url("127.0.0.1", "verify-ca"),
            Some(&ca),
            true,
        ),
        (
            "verify-ca, CA not trusted",
            url("127.0.0.1", "verify-ca"),
            None,
            false,
        ),
        (
            "require, nothing verified",
            url("127.0.0.1", "require"),
            None,
            true,
        ),
    ];
    for (case, url, ca_file, expected) in cases {
        let mut vars = vec![("DATABASE_URL", url.as_str())];
        if let Some(ca_file) = ca_file {
            vars.push(("APP_DB_CA_FILE", ca_file.as_str()));
        }
        let app = spawn_app(&vars).await;
        assert_eq!(works(&app).await, expected, "{case}");
        app.stop().await.expect("stops");
    }

    // The connections that worked were encrypted.
    let client = connect(&plain).await;
    let row = client
        .query_one("SELECT count(*) FROM greetings", &[])
        .await
        .expect("queries");
    assert_eq!(row.get::<_, i64>(0), 3, "one greeting per working case");
    let app = spawn_app(&[
        ("DATABASE_URL", &url("localhost", "verify-full")),
        ("APP_DB_CA_FILE", &ca),
    ])
    .await;
    assert!(works(&app).await);
    let encrypted: Option<bool> = client
        .query_one(
            "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.application_name = 'hello-service'",
            &[],
        )
        .await
        .expect("queries")
        .get(0);
    assert_eq!(encrypted, Some(true));
}
