//! What this binary is: its version and the revision and time it was built from.

use serde::Serialize;

/// The build's identity, stamped in by `build.rs`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BuildInfo {
    /// The crate version from `Cargo.toml`.
    pub version: &'static str,
    /// The git commit the binary was built from, or `unknown`.
    pub git_sha: &'static str,
    /// When it was built (RFC 3339, UTC; `SOURCE_DATE_EPOCH` when set), or `unknown`.
    pub build_time: &'static str,
}

/// The build this process is running.
pub const BUILD: BuildInfo = BuildInfo {
    version: env!("CARGO_PKG_VERSION"),
    git_sha: env!("HELLO_GIT_SHA"),
    build_time: env!("HELLO_BUILD_TIME"),
};
