//! Black-box tests of hello-service: the real app on free ports, or the real binary.

mod cli;
mod connections;
mod database_tls;
mod errors;
mod greetings;
mod greetings_faults;
mod helpers;
mod logs;
mod metrics;
mod migrations;
mod pipeline;
mod routes;
mod secrets;
mod shutdown;
mod structure;
mod traces;
