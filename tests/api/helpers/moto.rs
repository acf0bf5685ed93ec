//! A real Secrets Manager for the tests: the moto server, started on a free port for
//! each test that needs one, and spoken to with the Secrets Manager JSON protocol.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The region the tests' secrets live in.
pub const REGION: &str = "us-east-1";

/// Where `scripts/install-test-deps` puts moto.
const INSTALLED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/target/test-tools/moto/bin/moto_server"
);

/// A running moto server, stopped when dropped.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub endpoint: String,
    client: reqwest::Client,
}

impl Moto {
    /// Starts one on a free port and waits until it answers.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts one that checks signatures and IAM permissions once it has served
    /// `free_calls` AWS calls, which set the scene.
    pub async fn start_enforcing_iam_after(free_calls: u32) -> Self {
        Self::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", &free_calls.to_string())]).await
    }

    async fn start_with(vars: &[(&str, &str)]) -> Self {
        let program = std::env::var("MOTO_SERVER").unwrap_or_else(|_| INSTALLED.to_owned());
        assert!(
            std::path::Path::new(&program).exists(),
            "moto_server not found at {program}: run scripts/install-test-deps, which installs \
             moto into target/test-tools/moto (or set MOTO_SERVER to a moto_server)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {program}: {error}"));
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
        };
        let started = Instant::now();
        while moto
            .client
            .get(format!("{}/moto-api/", moto.endpoint))
            .send()
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "moto did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        moto
    }

    /// Calls a Secrets Manager action with its JSON input. moto checks no signature; the
    /// credential scope in the header tells it the region.
    pub async fn call(&self, action: &str, input: Value) -> Value {
        let answer = self
            .client
            .post(&self.endpoint)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", format!("secretsmanager.{action}"))
            .header(
                "authorization",
                format!(
                    "AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/secretsmanager/aws4_request, SignedHeaders=host, Signature=0"
                ),
            )
            .body(input.to_string())
            .send()
            .await
            .expect("moto answers");
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{action} failed: {status} {body}");
        body
    }

    /// Creates an IAM user with no permissions and returns its access key and secret
    /// key (two calls, IAM's query protocol).
    pub async fn create_user_without_permissions(&self, name: &str) -> (String, String) {
        let iam = |action: &str| {
            self.client
                .post(&self.endpoint)
                .header(
                    "authorization",
                    format!(
                        "AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/iam/aws4_request, SignedHeaders=host, Signature=0"
                    ),
                )
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("Action={action}&UserName={name}&Version=2010-05-08"))
                .send()
        };
        iam("CreateUser").await.expect("moto answers");
        let keys = iam("CreateAccessKey")
            .await
            .expect("moto answers")
            .text()
            .await
            .expect("XML");
        let element = |tag: &str| {
            keys.split(&format!("<{tag}>"))
                .nth(1)
                .and_then(|rest| rest.split('<').next())
                .unwrap_or_else(|| panic!("no {tag} in {keys}"))
                .to_owned()
        };
        (element("AccessKeyId"), element("SecretAccessKey"))
    }

    /// Creates secret `name` holding `text`.
    pub async fn create_secret(&self, name: &str, text: &str) {
        self.call("CreateSecret", json!({"Name": name, "SecretString": text}))
            .await;
    }

    /// Creates secret `name` holding binary data only.
    pub async fn create_binary_secret(&self, name: &str) {
        self.call(
            "CreateSecret",
            json!({"Name": name, "SecretBinary": "AAEC"}),
        )
        .await;
    }

    /// Stores a new current version of secret `name`, as the last step of a rotation.
    pub async fn put_secret(&self, name: &str, text: &str) {
        self.call(
            "PutSecretValue",
            json!({"SecretId": name, "SecretString": text}),
        )
        .await;
    }

    /// Stores a version of secret `name` as `AWSPENDING`, as a rotation's first step.
    pub async fn put_pending_secret(&self, name: &str, text: &str) {
        self.call(
            "PutSecretValue",
            json!({"SecretId": name, "SecretString": text, "VersionStages": ["AWSPENDING"]}),
        )
        .await;
    }

    /// The variables that point the service at this server, with test credentials.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        aws_vars(&self.endpoint)
    }

    /// Stops the server, as an outage.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The AWS variables of a test service using `endpoint`: a region, dummy keys, and no
/// instance metadata (which would only slow a failure down).
pub fn aws_vars(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
    ]
}
