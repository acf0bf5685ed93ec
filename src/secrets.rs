//! Secrets Manager: the secret named by `APP_SECRET_ID`, fetched at start, cached, and
//! read again every `APP_SECRET_REFRESH` or at once when Postgres rejects the password.
//!
//! The secret is a JSON object. It may hold `admin_token`, and database credentials in
//! the shape RDS writes for a managed master password (`username`, `password`, and
//! optionally `host`, `port`, `dbname`). Other keys are ignored. Every value is kept as
//! a [`SecretString`] or, for the parts of an address, a plain string; none is ever
//! logged, and an error names a key, never its value.
//!
//! Every call is bounded ([`CALL_TIMEOUT`], [`ATTEMPT_TIMEOUT`], [`MAX_ATTEMPTS`] and a
//! small retry budget), so start-up fails within seconds with a message that says what
//! to fix, and a refresh that fails keeps the last good secret.

use std::fmt;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata as _, SdkError};
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};
use prometheus::{IntCounterVec, Opts};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::sync::{Mutex, watch};
use tokio_util::sync::CancellationToken;

/// Time limit of one Secrets Manager call, retries included.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(6);
/// Time limit of one attempt of a call.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// Time limit of a TCP (and TLS) connect to Secrets Manager.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts of one call, the first included.
pub const MAX_ATTEMPTS: u32 = 3;
/// The stage of the version a rotation is putting in place.
const PENDING: &str = "AWSPENDING";
/// After Postgres rejects the password, the secret is read again at most this often.
pub const REREAD_INTERVAL: Duration = Duration::from_secs(5);
/// The retry budget: each retry spends from it (5 tokens, 10 after a timeout, as the SDK
/// counts) and each success returns one, so a Secrets Manager that keeps failing gets
/// first attempts only, not the retries of every refresh.
const RETRY_BUDGET: u32 = 50;

/// What the secret holds.
#[derive(Clone, Default)]
pub struct SecretValues {
    /// `admin_token`: opens `/admin/faults`, in place of `APP_ADMIN_TOKEN`.
    pub admin_token: Option<SecretString>,
    /// Database credentials, which override those parts of `DATABASE_URL`.
    pub database: Option<DbCredentials>,
}

/// Database credentials in the shape RDS writes them.
#[derive(Clone)]
pub struct DbCredentials {
    /// `username`.
    pub username: String,
    /// `password`.
    pub password: SecretString,
    /// `host`, when the secret has it.
    pub host: Option<String>,
    /// `port`, when the secret has it.
    pub port: Option<u16>,
    /// `dbname`, when the secret has it.
    pub dbname: Option<String>,
}

impl PartialEq for DbCredentials {
    fn eq(&self, other: &Self) -> bool {
        self.username == other.username
            && self.password.expose_secret() == other.password.expose_secret()
            && self.host == other.host
            && self.port == other.port
            && self.dbname == other.dbname
    }
}

impl fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretValues")
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("database", &self.database)
            .finish()
    }
}

impl fmt::Debug for DbCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbCredentials")
            .field("username", &self.username)
            .field("password", &"[REDACTED]")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("dbname", &self.dbname)
            .finish()
    }
}

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

impl SecretValues {
    /// Reads the secret's JSON. Unknown keys are ignored; a key of the wrong type is an
    /// error that names it.
    pub fn parse(text: &str) -> Result<Self, String> {
        // The parse error would quote the text around the fault: say only where.
        let value: Value = serde_json::from_str(text).map_err(|error| {
            format!(
                "is not valid JSON (line {}, column {})",
                error.line(),
                error.column()
            )
        })?;
        let Value::Object(object) = value else {
            return Err("is not a JSON object".to_owned());
        };
        let text = |key: &str| match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(format!(
                "has `{key}` of the wrong type: a string is expected"
            )),
        };
        let port = match object.get("port") {
            None | Some(Value::Null) => None,
            Some(Value::Number(number)) => Some(
                number
                    .as_u64()
                    .and_then(|port| u16::try_from(port).ok())
                    .filter(|port| *port != 0)
                    .ok_or("has `port` out of range: 1 to 65535 is expected")?,
            ),
            Some(_) => return Err("has `port` of the wrong type: a number is expected".into()),
        };
        let database = match (text("username")?, text("password")?) {
            (Some(username), Some(password)) => Some(DbCredentials {
                username,
                password: password.into(),
                host: text("host")?,
                port,
                dbname: text("dbname")?,
            }),
            (None, None) => None,
            (Some(_), None) => return Err("has `username` but no `password`".to_owned()),
            (None, Some(_)) => return Err("has `password` but no `username`".to_owned()),
        };
        let admin_token = match text("admin_token")? {
            Some(token) if token.trim().is_empty() => {
                return Err("has an empty `admin_token`: leave the key out instead".to_owned());
            }
            token => token.map(SecretString::from),
        };
        Ok(Self {
            admin_token,
            database,
        })
    }
}

/// The secret, kept current.
#[derive(Debug)]
pub struct Secrets {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    current: watch::Sender<Arc<SecretValues>>,
    /// `secrets_fetch_total{result}`.
    fetches: IntCounterVec,
    /// When the secret was last read because Postgres rejected a password; held while
    /// reading, so concurrent rejections wait for one read.
    last_reread: Mutex<Option<Instant>>,
    /// The credentials Postgres last rejected, while the secret's current version still
    /// holds them.
    rejected: std::sync::Mutex<Option<DbCredentials>>,
}

impl Secrets {
    /// Reads the secret `secret_id` once, failing with a message that says what to fix.
    pub async fn load(secret_id: &str) -> Result<Arc<Self>, SecretError> {
        let client = client().await;
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
            last_reread: Mutex::new(None),
            rejected: std::sync::Mutex::new(None),
        };
        let values = secrets.fetch().await?;
        secrets.current.send_replace(Arc::new(values));
        Ok(Arc::new(secrets))
    }

    /// The secret as last read.
    pub fn current(&self) -> Arc<SecretValues> {
        Arc::clone(&self.current.borrow())
    }

    /// Told each time the secret changes.
    pub fn subscribe(&self) -> watch::Receiver<Arc<SecretValues>> {
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

    /// Reads the secret again because Postgres rejected `tried`, unless that was done
    /// less than [`REREAD_INTERVAL`] ago or another caller has already found other
    /// credentials. Returns once the secret is as current as it will get.
    ///
    /// AWS rotates by setting the new password in the database and only then making it
    /// the secret's current version. In between, the current version still holds the
    /// rejected password and the pending version (`AWSPENDING`) the working one, so the
    /// pending version is used until the current one changes.
    pub async fn reread_after_rejection(&self, tried: &DbCredentials) {
        let mut last = self.last_reread.lock().await;
        let still_tried = |current: &SecretValues| current.database.as_ref() == Some(tried);
        if !still_tried(&self.current()) {
            return;
        }
        *self.rejected.lock().unwrap_or_else(PoisonError::into_inner) = Some(tried.clone());
        if last.is_some_and(|at| at.elapsed() < REREAD_INTERVAL) {
            return;
        }
        *last = Some(Instant::now());
        self.refresh("password rejected").await;
        if still_tried(&self.current()) {
            self.adopt_pending().await;
        }
    }

    /// Uses the database credentials of the pending version, when there is one.
    async fn adopt_pending(&self) {
        let Ok(pending) = self.read(Some(PENDING)).await else {
            return;
        };
        let Some(database) = pending.database else {
            return;
        };
        let adopted = self.current.send_if_modified(|current| {
            if current.database.as_ref() == Some(&database) {
                return false;
            }
            *current = Arc::new(SecretValues {
                admin_token: current.admin_token.clone(),
                database: Some(database),
            });
            true
        });
        if adopted {
            tracing::info!(
                secret = self.secret_id,
                "using the pending version of the secret: Postgres rejected the current one"
            );
        }
    }

    async fn refresh(&self, reason: &'static str) {
        match self.fetch().await {
            Ok(mut values) => {
                // The current version may still hold a password Postgres rejected while
                // a rotation is half done: keep the one that works until it changes.
                {
                    let mut rejected = self.rejected.lock().unwrap_or_else(PoisonError::into_inner);
                    if rejected.is_some() && values.database == *rejected {
                        values.database.clone_from(&self.current().database);
                    } else {
                        *rejected = None;
                    }
                }
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

    async fn fetch(&self) -> Result<SecretValues, SecretError> {
        let result = self.read(None).await;
        let label = if result.is_ok() { "success" } else { "error" };
        self.fetches.with_label_values(&[label]).inc();
        result
    }

    /// Reads the version in `stage`, by default the current one.
    async fn read(&self, stage: Option<&str>) -> Result<SecretValues, SecretError> {
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
            Ok(result) => result.map_err(|error| classify(&secret, &error))?,
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
        SecretValues::parse(text).map_err(|problem| SecretError::Invalid { secret, problem })
    }
}

/// A Secrets Manager client from the SDK's default chain (environment, profile, web
/// identity, ECS task role, instance profile) and region, with every call bounded. TLS
/// is rustls with the `ring` provider, as for Postgres.
async fn client() -> aws_sdk_secretsmanager::Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let shared = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .read_timeout(ATTEMPT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(CALL_TIMEOUT)
                .build(),
        )
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(200))
                .with_max_backoff(Duration::from_secs(1)),
        )
        .load()
        .await;
    let config = aws_sdk_secretsmanager::config::Builder::from(&shared)
        .retry_partition(
            RetryPartition::custom("secrets")
                .token_bucket(
                    TokenBucket::builder()
                        .capacity(RETRY_BUDGET as usize)
                        .build(),
                )
                .build(),
        )
        .build();
    aws_sdk_secretsmanager::Client::from_conf(config)
}

/// Sorts an SDK error into what the operator has to fix.
fn classify(secret: &str, error: &SdkError<GetSecretValueError>) -> SecretError {
    let secret = secret.to_owned();
    let detail = DisplayErrorContext(error).to_string();
    match error {
        SdkError::ServiceError(service) => {
            let error = service.err();
            if error.is_resource_not_found_exception() {
                return SecretError::NotFound(secret);
            }
            match error.code() {
                Some("AccessDeniedException" | "AccessDenied" | "DecryptionFailure") => {
                    SecretError::AccessDenied {
                        secret,
                        detail: format!(
                            "{}: {}",
                            error.code().unwrap_or_default(),
                            error.message().unwrap_or_default()
                        ),
                    }
                }
                Some(
                    "UnrecognizedClientException"
                    | "InvalidSignatureException"
                    | "ExpiredTokenException"
                    | "IncompleteSignature",
                ) => SecretError::Credentials {
                    secret,
                    detail: error.code().unwrap_or_default().to_owned(),
                },
                _ => SecretError::Call { secret, detail },
            }
        }
        SdkError::TimeoutError(_) => SecretError::Unreachable {
            secret,
            limit: CALL_TIMEOUT,
            detail,
        },
        SdkError::DispatchFailure(failure) => {
            let no_credentials =
                std::iter::successors(std::error::Error::source(error), |e| e.source()).any(|e| {
                    e.downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
                        .is_some()
                });
            if no_credentials {
                SecretError::Credentials { secret, detail }
            } else if failure.is_timeout() || failure.is_io() {
                SecretError::Unreachable {
                    secret,
                    limit: CALL_TIMEOUT,
                    detail,
                }
            } else {
                SecretError::Call { secret, detail }
            }
        }
        _ => SecretError::Call { secret, detail },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rds_shape_is_read_and_unknown_keys_ignored() {
        let values = SecretValues::parse(
            r#"{"username":"app","password":"pw-4711","host":"db.example","port":5432,
               "dbname":"hello","engine":"postgres","admin_token":"tok-0815"}"#,
        )
        .expect("valid");
        let database = values.database.expect("credentials");
        assert_eq!(database.username, "app");
        assert_eq!(database.password.expose_secret(), "pw-4711");
        assert_eq!(database.host.as_deref(), Some("db.example"));
        assert_eq!(database.port, Some(5432));
        assert_eq!(database.dbname.as_deref(), Some("hello"));
        assert_eq!(
            values.admin_token.as_ref().map(ExposeSecret::expose_secret),
            Some("tok-0815")
        );

        let managed = SecretValues::parse(r#"{"username":"postgres","password":"x"}"#)
            .expect("the shape of an RDS-managed master password");
        assert!(managed.database.is_some_and(|db| db.host.is_none()));
        assert!(SecretValues::parse("{}").expect("empty").database.is_none());
    }

    #[test]
    fn wrong_types_name_the_key_and_never_the_value() {
        for (text, key) in [
            (r#"{"username":"app","password":4711}"#, "`password`"),
            (
                r#"{"username":"app","password":"pw","port":"5432"}"#,
                "`port`",
            ),
            (
                r#"{"username":"app","password":"pw","port":70000}"#,
                "`port`",
            ),
            (r#"{"admin_token":["secret-value"]}"#, "`admin_token`"),
            (r#"{"username":"app"}"#, "`password`"),
        ] {
            let problem = SecretValues::parse(text).expect_err(text);
            assert!(problem.contains(key), "{problem} names {key}");
            assert!(!problem.contains("4711") && !problem.contains("secret-value"));
        }
        let problem = SecretValues::parse(r#"{"admin_token":" "}"#).expect_err("empty");
        assert!(problem.contains("`admin_token`"), "{problem}");
        let problem = SecretValues::parse(r#"["pw-4711"]"#).expect_err("not an object");
        assert_eq!(problem, "is not a JSON object");
        let problem = SecretValues::parse("pw-4711 plain text").expect_err("not JSON");
        assert!(problem.starts_with("is not valid JSON") && !problem.contains("4711"));
    }

    #[test]
    fn debug_hides_the_values() {
        let values = SecretValues::parse(
            r#"{"username":"app","password":"pw-4711","admin_token":"tok-0815"}"#,
        )
        .expect("valid");
        let shown = format!("{values:?}");
        assert!(
            !shown.contains("pw-4711") && !shown.contains("tok-0815"),
            "{shown}"
        );
    }
}
