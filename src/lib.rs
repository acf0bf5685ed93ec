//! `hello-service`: the reference Rust web service of a CI/CD pipeline on AWS.
//!
//! Health checks a load balancer can trust, Prometheus metrics, JSON logs, a hardened
//! request path and a graceful shutdown. `main` only wires these modules together, so
//! the tests run exactly what production runs. See `docs/architecture.md`.

pub mod app;
pub mod build_info;
pub mod cli;
pub mod config;
pub mod db;
pub mod env;
pub mod faults;
pub mod http;
pub mod secrets;
pub mod shutdown;
pub mod telemetry;

pub use app::Application;
