//! Secrets Manager: the secret named by `APP_SECRET_ID`, fetched at start, cached, and
//! read again every `APP_SECRET_REFRESH`, or when a user of it asks (the database, when
//! Postgres rejects the password: [`crate::db::rotation`]).
//!
//! The secret is a JSON object. It may hold `admin_token`, and database credentials in
//! the shape RDS writes for a managed master password (`username`, `password`, and
//! optionally `host`, `port`, `dbname`). Other keys are ignored. Every value is kept as
//! a [`secrecy::SecretString`] or, for the parts of an address, a plain string; none is ever
//! logged, and an error names a key, never its value.
//!
//! Every call is bounded (`aws::CALL_TIMEOUT`, `aws::ATTEMPT_TIMEOUT`,
//! `aws::MAX_ATTEMPTS` and a small retry budget), so start-up fails within seconds
//! with a message that says what to fix, and a refresh that fails keeps the last good
//! secret.

mod aws;
mod values;

use std::sync::Arc;
use std::time::Duration;

use prometheus::{IntCounterVec, Opts};
use secrecy::ExposeSecret;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use aws::CALL_TIMEOUT;
pub use values::{DbCredentials, SecretContents};

/// The stage of the version a rotation is putting in place.
const PENDING: &str = "AWSPENDING";

/// Why the secret could not be used. The messages name the secret and the key at fault,
/// never a value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The secret does not exist (in this region, for these credentials' account).
    #[error("secret {0:?} does not exist in Secrets Manager: check APP_SECRET_ID and AWS_REGION")]
    NotFound(String),
    /// The credentials may not read it, or not decrypt it.
    #[error(
        "not allowed to read secret {secret:?} ({detail}): the task role needs secretsmanager:GetSecretValue on it (and kms:Decrypt when it is encrypted with a customer key)"
    )]
    AccessDenied {
        /// The secret.
        secret: String,
        /// What AWS said: which policy refused.
        detail: String,
    },
    /// No credentials were found, or AWS refused them.
    #[error(
        "no usable AWS credentials to read secret {secret:?} ({detail}): on ECS give the task a task role; locally set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )]
    Credentials {
        /// The secret.
        secret: String,
        /// What the SDK said.
        detail: String,
    },
    /// Secrets Manager did not answer in time, or could not be reached.
    #[error(
        "Secrets Manager could not be reached or did not answer for secret {secret:?} within {limit:?} ({detail}): check AWS_REGION, AWS_ENDPOINT_URL and the network path (VPC endpoint or NAT)"
    )]
    Unreachable {
        /// The secret.
        secret: String,
        /// The time limit of the call.
        limit: Duration,
        /// What the SDK said.
        detail: String,
    },
    /// Any other failure of the call.
    #[error("cannot read secret {secret:?}: {detail}")]
    Call {
        /// The secret.
        secret: String,
        /// What the SDK said.
        detail: String,
    },
    /// The secret is not a JSON object, or a key has the wrong type.
    #[error("secret {secret:?} {problem}")]
    Invalid {
        /// The secret.
        secret: String,
        /// What is wrong, naming the key.
        problem: String,
    },
}

/// The secret, kept current.
#[derive(Debug)]
pub struct Secrets {
    /// Bounded as `aws.rs` says.
    client: aws_sdk_secretsmanager::Client,
    /// `APP_SECRET_ID`.
    secret_id: String,
    /// The secret as last read; subscribers are told of changes.
    current: watch::Sender<Arc<SecretContents>>,
    /// `secrets_fetch_total{result}`.
    fetches: IntCounterVec,
}

impl Secrets {
    /// Reads the secret `secret_id` once, failing with a message that says what to fix.
    pub async fn load(secret_id: &str) -> Result<Arc<Self>, SecretError> {
        let client = aws::client().await;
        let fetches = IntCounterVec::new(
            Opts::new(
                "secrets_fetch_total",
                "Reads of the Secrets Manager secret, by result.",
            ),
            &["result"],
        )
        .expect("a valid metric");
        let secrets = Self {
            client,
            secret_id: secret_id.to_owned(),
            current: watch::Sender::new(Arc::default()),
            fetches,
        };
        let values = secrets.fetch().await?;
        secrets.current.send_replace(Arc::new(values));
        Ok(Arc::new(secrets))
    }

    /// The secret as last read.
    pub fn current(&self) -> Arc<SecretContents> {
        Arc::clone(&self.current.borrow())
    }

    /// Told each time the secret changes.
    pub fn subscribe(&self) -> watch::Receiver<Arc<SecretContents>> {
        self.current.subscribe()
    }

    /// `secrets_fetch_total`, to register with the app's registry.
    pub fn metrics(&self) -> IntCounterVec {
        self.fetches.clone()
    }

    /// Reads the secret every `every` until `stop`. A failed read keeps the last good
    /// secret and logs a warning.
    pub async fn refresh_every(self: Arc<Self>, every: Duration, stop: CancellationToken) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
            self.refresh("scheduled").await;
        }
    }

    /// The pending version (`AWSPENDING`) that a rotation is putting in place, when
    /// there is one.
    pub async fn read_pending(&self) -> Result<SecretContents, SecretError> {
        self.read(Some(PENDING)).await
    }

    /// Reads the secret again now. A failed read keeps the last good secret and logs a
    /// warning; a change is sent to the subscribers.
    pub async fn refresh(&self, reason: &'static str) {
        match self.fetch().await {
            Ok(values) => {
                let changed = self.current.send_if_modified(|current| {
                    let same = current.database == values.database
                        && current
                            .admin_token
                            .as_ref()
                            .map(ExposeSecret::expose_secret)
                            == values.admin_token.as_ref().map(ExposeSecret::expose_secret);
                    if !same {
                        *current = Arc::new(values);
                    }
                    !same
                });
                if changed {
                    tracing::info!(secret = self.secret_id, reason, "the secret changed");
                }
            }
            Err(error) => {
                tracing::warn!(%error, reason, "cannot read the secret again; keeping the last one read");
            }
        }
    }

    async fn fetch(&self) -> Result<SecretContents, SecretError> {
        let result = self.read(None).await;
        let label = if result.is_ok() { "success" } else { "error" };
        self.fetches.with_label_values(&[label]).inc();
        result
    }

    /// Reads the version in `stage`, by default the current one.
    async fn read(&self, stage: Option<&str>) -> Result<SecretContents, SecretError> {
        let secret = self.secret_id.clone();
        let call = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .set_version_stage(stage.map(str::to_owned))
            .send();
        // The SDK bounds the call itself; this bounds anything it might not (a
        // credential provider that hangs), with a little room for its own limit.
        let output = match tokio::time::timeout(CALL_TIMEOUT + Duration::from_secs(1), call).await {
            Ok(result) => result.map_err(|error| aws::classify(&secret, &error))?,
            Err(_) => {
                return Err(SecretError::Unreachable {
                    secret,
                    limit: CALL_TIMEOUT,
                    detail: "the call did not end".to_owned(),
                });
            }
        };
        let Some(text) = output.secret_string() else {
            return Err(SecretError::Invalid {
                secret,
                problem: "holds binary data, not JSON text".to_owned(),
            });
        };
        SecretContents::parse(text).map_err(|problem| SecretError::Invalid { secret, problem })
    }
}
