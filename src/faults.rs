//! Faults injected for drills: runtime state that the request path, the health routes
//! and the database read, and that `/admin/faults` sets (see [`crate::http::admin`]).
//!
//! No fault touches the health routes' answers except `fail_readiness`, and the request
//! path spares the routes it exempts (chosen when the router is built).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use serde::Serialize;

/// Longest latency a drill may inject, in the request path or in the database.
pub const MAX_LATENCY_MS: u64 = 60_000;

/// The faults in force.
#[derive(Debug, Default)]
pub struct Faults {
    /// Read on every request, so a service with no faults pays one relaxed load.
    active: AtomicBool,
    settings: RwLock<FaultSettings>,
}

/// What a drill injects; every field defaults to "no fault".
#[derive(Debug, Default, Clone, Copy, PartialEq, Serialize)]
pub struct FaultSettings {
    /// Added to every app request, in milliseconds.
    pub latency_ms: u64,
    /// Share of app requests answered with 500, from 0 to 1.
    pub error_rate: f64,
    /// Share of app requests whose handler panics, from 0 to 1.
    pub panic_rate: f64,
    /// Whether `/health/ready` answers 503.
    pub fail_readiness: bool,
    /// Held in Postgres (`pg_sleep`) by every greetings request before its query, in
    /// milliseconds: a slow database, for pool-exhaustion drills.
    pub db_latency_ms: u64,
}

/// The failure a drill's `error_rate` injects.
#[derive(Debug, thiserror::Error)]
#[error("error injected by /admin/faults")]
pub struct Injected;

impl Faults {
    /// The faults in force.
    pub fn settings(&self) -> FaultSettings {
        *self.settings.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the faults in force.
    pub fn set(&self, settings: FaultSettings) {
        *self
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner) = settings;
        self.active
            .store(settings != FaultSettings::default(), Ordering::Relaxed);
    }

    /// Whether readiness must fail.
    pub fn fail_readiness(&self) -> bool {
        self.active.load(Ordering::Relaxed) && self.settings().fail_readiness
    }

    /// The faults to apply to a request, if any.
    pub fn in_force(&self) -> Option<FaultSettings> {
        self.active.load(Ordering::Relaxed).then(|| self.settings())
    }

    /// How long the database holds each query's connection first, if a drill says so.
    pub fn db_latency(&self) -> Option<Duration> {
        self.in_force()
            .map(|settings| settings.db_latency_ms)
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
    }
}

impl FaultSettings {
    /// Applies these faults to one request: waits out the latency, then panics or fails
    /// as the rates say. Called inside the request path's panic catching, so an injected
    /// panic is caught like a real one.
    pub async fn inject(self) -> Result<(), Injected> {
        if self.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.latency_ms)).await;
        }
        assert!(
            rand::random::<f64>() >= self.panic_rate,
            "panic injected by /admin/faults"
        );
        if rand::random::<f64>() < self.error_rate {
            return Err(Injected);
        }
        Ok(())
    }
}
