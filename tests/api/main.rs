//! Black-box tests of hello-service: the real app on free ports, or the real binary.

mod cli;
mod connections;
mod errors;
mod helpers;
mod logs;
mod metrics;
mod routes;
mod shutdown;
