//! End-to-end tests for rtcscope: the real `rtcscope` binary run on real captures.
//!
//! The binary belongs to another package (`rtcscope-cli`), so Cargo gives these tests no
//! `CARGO_BIN_EXE_` path for it; [`bin`] finds it beside the test executable and builds it once
//! when it is missing.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

pub mod natlab;

/// The path of the `rtcscope` binary of the same build profile as this test.
pub fn bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // target/<profile>/deps/<test> -> target/<profile>/rtcscope
        let exe = std::env::current_exe().expect("current exe");
        let profile_dir = exe
            .parent()
            .and_then(|d| d.parent())
            .expect("test binary lives in target/<profile>/deps");
        let bin = profile_dir.join("rtcscope");
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "--quiet", "--bin", "rtcscope"])
            .current_dir(rtcscope_testkit::workspace_root());
        if release {
            build.arg("--release");
        }
        // Always ask Cargo: a no-op when the binary is fresh, a rebuild when it is stale.
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building rtcscope failed");
        bin
    })
    .clone()
}

/// Runs `rtcscope ARGS` and returns its output.
pub fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(rtcscope_testkit::workspace_root())
        .stdin(Stdio::null())
        .output()
        .expect("rtcscope runs")
}

/// Runs `rtcscope ARGS` with `input` on standard input.
pub fn run_with_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(rtcscope_testkit::workspace_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rtcscope runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("rtcscope finishes");
    writer.join().expect("writer thread");
    out
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
