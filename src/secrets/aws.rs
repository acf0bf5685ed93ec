//! The Secrets Manager client: credentials, region, bounds, and what its errors mean.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata as _, SdkError};
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};

use super::SecretError;

/// Time limit of one Secrets Manager call, retries included.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(6);
/// Time limit of one attempt of a call.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// Time limit of a TCP (and TLS) connect to Secrets Manager.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts of one call, the first included.
pub const MAX_ATTEMPTS: u32 = 3;
/// The retry budget: each retry spends from it (5 tokens, 10 after a timeout, as the SDK
/// counts) and each success returns one, so a Secrets Manager that keeps failing gets
/// first attempts only, not the retries of every refresh.
const RETRY_BUDGET: u32 = 50;

/// A Secrets Manager client from the SDK's default chain (environment, profile, web
/// identity, ECS task role, instance profile) and region, with every call bounded. TLS
/// is rustls with the `ring` provider, as for Postgres.
pub(super) async fn client() -> aws_sdk_secretsmanager::Client {
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
pub(super) fn classify(secret: &str, error: &SdkError<GetSecretValueError>) -> SecretError {
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
