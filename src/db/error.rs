//! What went wrong with the database, in the terms its callers act on, and how a
//! Postgres error is classified into them (by SQLSTATE).

use deadpool_postgres::PoolError;
use tokio_postgres::error::SqlState;

/// Why a database operation did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection within the pool's wait timeout, Postgres unreachable, or the
    /// connection lost under the query: the request may succeed later.
    #[error("database unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Postgres cancelled the statement at the statement timeout.
    #[error("statement timed out")]
    Timeout(#[source] tokio_postgres::Error),
    /// The change conflicts with what is stored, or with a concurrent change.
    #[error("conflict with what is stored")]
    Conflict(#[source] tokio_postgres::Error),
    /// Nothing is stored under the key asked for.
    #[error("not found")]
    NotFound,
    /// Any other failure: a bug, such as a statement Postgres cannot run.
    #[error("query failed")]
    Failed(#[source] tokio_postgres::Error),
}

/// What a failed query says about the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The connection is gone: closed under the query, broken, or ended by Postgres.
    ConnectionLost,
    /// The statement ran past the statement timeout.
    StatementTimeout,
    /// A constraint, a serialization failure or a deadlock.
    Conflict,
    /// Anything else.
    Other,
}

impl Failure {
    /// Classifies a failed query.
    pub(crate) fn of(error: &tokio_postgres::Error) -> Self {
        if error.is_closed() {
            return Self::ConnectionLost;
        }
        if let Some(code) = error.code() {
            return Self::of_sqlstate(code);
        }
        // No SQLSTATE: Postgres gave no answer. An I/O error is a broken connection;
        // anything else (a value that does not convert) is a bug.
        let io = std::error::Error::source(error)
            .is_some_and(<dyn std::error::Error>::is::<std::io::Error>);
        if io {
            Self::ConnectionLost
        } else {
            Self::Other
        }
    }

    /// Classifies a SQLSTATE. Class 08 is a connection exception and class 57 operator
    /// intervention, such as 57P01, which every client gets when an RDS instance reboots
    /// or fails over (`pg_terminate_backend`); but 57014, a cancelled statement, leaves
    /// the connection working. Class 23 is an integrity constraint violation; 40001 and
    /// 40P01 are a serialization failure and a deadlock.
    fn of_sqlstate(code: &SqlState) -> Self {
        if *code == SqlState::QUERY_CANCELED {
            return Self::StatementTimeout;
        }
        match code.code().get(..2) {
            Some("08" | "57") => Self::ConnectionLost,
            Some("23" | "40") => Self::Conflict,
            _ => Self::Other,
        }
    }

    /// The `kind` label of `db_pool_errors_total`.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Self::ConnectionLost => "connection_lost",
            Self::StatementTimeout => "statement_timeout",
            Self::Conflict => "conflict",
            Self::Other => "query",
        }
    }

    /// The error the caller gets.
    pub(crate) fn into_error(self, error: tokio_postgres::Error) -> DbError {
        match self {
            Self::ConnectionLost => DbError::Unavailable(error.into()),
            Self::StatementTimeout => DbError::Timeout(error),
            Self::Conflict => DbError::Conflict(error),
            Self::Other => DbError::Failed(error),
        }
    }
}

/// Postgres refused the login: a wrong password (28P01), or a user that no longer
/// exists or may not log in (28000).
pub(crate) fn is_rejected_password(error: &tokio_postgres::Error) -> bool {
    error.code().is_some_and(|code| {
        *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
    })
}

/// The `kind` label of `db_pool_errors_total` for a connection the pool could not give.
pub(crate) fn pool_error_kind(error: &PoolError) -> &'static str {
    match error {
        PoolError::Timeout(_) => "timeout",
        PoolError::Backend(error) if is_rejected_password(error) => "auth",
        PoolError::Backend(_) => "connect",
        PoolError::Closed => "closed",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_are_classified_by_what_the_caller_can_do() {
        let cases = [
            (SqlState::ADMIN_SHUTDOWN, Failure::ConnectionLost),
            (SqlState::CRASH_SHUTDOWN, Failure::ConnectionLost),
            (SqlState::CANNOT_CONNECT_NOW, Failure::ConnectionLost),
            (SqlState::CONNECTION_FAILURE, Failure::ConnectionLost),
            (SqlState::QUERY_CANCELED, Failure::StatementTimeout),
            (SqlState::UNIQUE_VIOLATION, Failure::Conflict),
            (SqlState::FOREIGN_KEY_VIOLATION, Failure::Conflict),
            (SqlState::T_R_SERIALIZATION_FAILURE, Failure::Conflict),
            (SqlState::T_R_DEADLOCK_DETECTED, Failure::Conflict),
            (SqlState::SYNTAX_ERROR, Failure::Other),
            (SqlState::UNDEFINED_TABLE, Failure::Other),
        ];
        for (code, expected) in cases {
            assert_eq!(Failure::of_sqlstate(&code), expected, "{}", code.code());
        }
    }
}
