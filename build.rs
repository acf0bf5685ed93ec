//! Stamps the build with its git revision and time, so `/version`, the `build_info`
//! metric and `--version` say exactly what is running.
//!
//! `GIT_SHA` and `SOURCE_DATE_EPOCH` win when set, which keeps builds reproducible;
//! otherwise git and the clock are asked; otherwise the value is `unknown`, so a build
//! from a source tarball still works. `HELLO_SOURCE_DATE_EPOCH` wins over
//! `SOURCE_DATE_EPOCH`: the image build passes the time under that name because the `cc`
//! crate, which builds the C in `ring` and `mimalloc`, rebuilds them whenever
//! `SOURCE_DATE_EPOCH` changes, and the image's dependency layer would be lost.

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-env-changed=GIT_SHA");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rerun-if-env-changed=HELLO_SOURCE_DATE_EPOCH");
    watch_git_head();

    let git_sha = non_empty_env("GIT_SHA")
        .or_else(|| git(&["rev-parse", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_owned());
    let build_time = match non_empty_env("HELLO_SOURCE_DATE_EPOCH")
        .or_else(|| non_empty_env("SOURCE_DATE_EPOCH"))
    {
        Some(epoch) => epoch.parse::<u64>().map_or_else(
            |_| "unknown".to_owned(),
            |secs| rfc3339(UNIX_EPOCH + Duration::from_secs(secs)),
        ),
        None => rfc3339(SystemTime::now()),
    };

    println!("cargo:rustc-env=HELLO_GIT_SHA={git_sha}");
    println!("cargo:rustc-env=HELLO_BUILD_TIME={build_time}");
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    (output.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

/// Re-runs this script when a commit moves `HEAD`, and only then: the stamp stays put
/// between edits, so an incremental build does not relink for a new timestamp.
fn watch_git_head() {
    let Some(git_dir) = git(&["rev-parse", "--git-dir"]) else {
        return;
    };
    let reference = git(&["symbolic-ref", "-q", "HEAD"]);
    let watched = [
        "HEAD",
        reference.as_deref().unwrap_or("HEAD"),
        "packed-refs",
    ];
    // Cargo treats a missing path as always changed, so only existing files are named.
    for path in watched.map(|name| format!("{git_dir}/{name}")) {
        if std::path::Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}
