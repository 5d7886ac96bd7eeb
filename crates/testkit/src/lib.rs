//! Test support shared by rtcscope's crates.
//!
//! * [`corpus`]: where `../shared/corpus` is, or a visible skip (a failure when
//!   `RTCSCOPE_REQUIRE_CORPUS=1`, as `.ci/run` sets it).
//! * [`require_root`], [`require_tool`] and [`require_python_module`]: likewise for tests that
//!   need root, a program such as `tshark`, or a Python module such as `duckdb`
//!   (`RTCSCOPE_REQUIRE_ROOT=1`, `RTCSCOPE_REQUIRE_TOOLS=1`).
//! * [`Expectations`]: the one checked-in file of expected failures and known disagreements,
//!   `tests/expected-failures.tsv`. A failure not listed there fails the suite, and so does an
//!   entry that no longer happens.
//! * [`CountingAlloc`]: a global allocator that counts allocations, to prove that a parse path
//!   does not allocate.
//! * [`frames`]: hand-made IPv4/UDP and Ethernet frames, and classic pcap files of them.
//! * [`capture_frames`]: a tiny pcap/pcapng reader down to UDP and SCTP payloads, for the
//!   parser crates that must not depend on rtcscope-capture.
//! * [`hostile_capture`]: a capture whose STUN strings attack the terminal.
//! * [`marionette`]: a headless Firefox driven over its Marionette protocol (no geckodriver).
//! * `damaged_capture` (feature `capture`): a capture with records the reader can skip.
//! * `owned_frames` (feature `capture`): a whole capture in memory, for tests that replay it.
//! * `gencap` (feature `capture`): large benchmark captures made from the real recordings
//!   (the `gen-capture` binary, `scripts/bench.sh`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

mod alloc;
pub mod capture_frames;
#[cfg(feature = "capture")]
pub mod capture_variants;
#[cfg(feature = "capture")]
pub mod damaged_capture;
pub mod frames;
#[cfg(feature = "capture")]
pub mod gencap;
pub mod hostile_capture;
pub mod marionette;
#[cfg(feature = "capture")]
pub mod owned_frames;
pub mod progress;
pub mod tshark;
pub use alloc::CountingAlloc;

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    // This crate lives at <root>/crates/testkit.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("testkit sits two levels below the workspace root")
        .to_path_buf()
}

/// The project's own fixtures folder.
pub fn fixtures() -> PathBuf {
    workspace_root().join("fixtures")
}

fn flag(name: &str) -> bool {
    matches!(
        std::env::var(name).as_deref(),
        Ok("1") | Ok("true") | Ok("yes")
    )
}

/// Says a test is skipped, or fails it when `require_var` is set (as in CI).
fn skip_or_fail(test: &str, require_var: &str, why: &str) {
    if flag(require_var) {
        panic!("{test}: {why} ({require_var}=1, so this is a failure, not a skip)");
    }
    eprintln!("SKIPPED {test}: {why} (set {require_var}=1 to make this a failure)");
}

/// The shared corpus folder: `$RTCSCOPE_CORPUS`, else `<workspace>/../shared/corpus`.
///
/// Returns `None` after printing a visible `SKIPPED` line when it is absent; panics instead when
/// `RTCSCOPE_REQUIRE_CORPUS=1`.
pub fn corpus(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("RTCSCOPE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/corpus"));
    if dir.join("MANIFEST.md").is_file() {
        Some(dir)
    } else {
        skip_or_fail(
            test,
            "RTCSCOPE_REQUIRE_CORPUS",
            &format!("corpus not found at {}", dir.display()),
        );
        None
    }
}

/// True when running as root; otherwise prints a visible skip (or panics when
/// `RTCSCOPE_REQUIRE_ROOT=1`).
pub fn require_root(test: &str) -> bool {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(str::to_owned))
        })
        .unwrap_or_default();
    if uid == "0" {
        true
    } else {
        skip_or_fail(test, "RTCSCOPE_REQUIRE_ROOT", "needs root");
        false
    }
}

/// Finds `program` on `PATH`; otherwise prints a visible skip (or panics when
/// `RTCSCOPE_REQUIRE_TOOLS=1`).
pub fn require_tool(test: &str, program: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(program))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        skip_or_fail(
            test,
            "RTCSCOPE_REQUIRE_TOOLS",
            &format!("`{program}` is not installed (the README's test command installs it)"),
        );
    }
    found
}

/// Finds `python3` with the module `module` importable (e.g. `duckdb`, which
/// `scripts/install-deps.sh` installs from PyPI); otherwise prints a visible skip (or panics
/// when `RTCSCOPE_REQUIRE_TOOLS=1`).
pub fn require_python_module(test: &str, module: &str) -> Option<PathBuf> {
    let python = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("python3"))
            .find(|p| p.is_file())
    });
    let usable = python.as_ref().is_some_and(|py| {
        std::process::Command::new(py)
            .args(["-c", &format!("import {module}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if !usable {
        skip_or_fail(
            test,
            "RTCSCOPE_REQUIRE_TOOLS",
            &format!(
                "python3 with the `{module}` module is not installed (scripts/install-deps.sh \
                 installs it)"
            ),
        );
        return None;
    }
    python
}

/// Runs `cmd` with `input` on its standard input and its output captured (for helper
/// programs that take a request on stdin: DuckDB, Spark, libsrtp); panics when it cannot start.
pub fn run_with_stdin(cmd: &mut std::process::Command, input: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{:?} does not start: {e}", cmd.get_program()));
    // A child that exits early closes its end; what it said is in its output.
    let _ = child.stdin.take().expect("stdin is piped").write_all(input);
    child.wait_with_output().expect("the child's output")
}

/// Reads a text file of hex lines (blank lines and `#` comments ignored), one message a line.
pub fn hex_lines(path: &Path) -> Vec<Vec<u8>> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let clean: String = l.chars().filter(|c| c.is_ascii_hexdigit()).collect();
            hex::decode(clean).unwrap_or_else(|e| panic!("{}: bad hex: {e}", path.display()))
        })
        .collect()
}

/// Every file below `dir`, sorted, skipping README/LICENSE/COPYING/MANIFEST text files.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.file_name().unwrap_or_default().to_string_lossy();
                let upper = name.to_ascii_uppercase();
                if !(upper.starts_with("README")
                    || upper.starts_with("LICENSE")
                    || upper.starts_with("COPYING")
                    || upper.starts_with("MANIFEST")
                    || upper.ends_with(".LICENSE"))
                {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

/// The capture files (`.pcap`, `.pcapng`) below `dir`, sorted.
pub fn captures_under(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect()
}

/// One line of `tests/expected-failures.tsv`.
#[derive(Clone, Debug)]
pub struct Expected {
    /// Why it fails or disagrees, and who is right.
    pub reason: String,
    seen: bool,
}

/// The checked-in list of expected failures and known disagreements for one suite.
///
/// The file is `tests/expected-failures.tsv`, tab-separated:
/// `suite  sample  field  kind  reason`. `sample` is a corpus-relative path, optionally with
/// `#N` for the N-th message in a multi-message file. A suite calls [`Expectations::failure`]
/// for every failure it observes and [`Expectations::finish`] at the end, which fails on any
/// failure that is not listed and on any listed entry of the suite that did not happen.
pub struct Expectations {
    suite: String,
    entries: Mutex<BTreeMap<(String, String, String), Expected>>,
    unexpected: Mutex<Vec<String>>,
}

impl Expectations {
    /// The path of the shared file.
    pub fn path() -> PathBuf {
        workspace_root().join("tests/expected-failures.tsv")
    }

    /// Loads the entries of `suite`.
    pub fn load(suite: &str) -> Self {
        let text = std::fs::read_to_string(Self::path()).unwrap_or_default();
        let mut entries = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(
                cols.len() == 5,
                "expected-failures.tsv line {}: want 5 tab-separated columns, found {}",
                n + 1,
                cols.len()
            );
            if cols[0] != suite {
                continue;
            }
            let key = (cols[1].to_owned(), cols[2].to_owned(), cols[3].to_owned());
            let prev = entries.insert(
                key,
                Expected {
                    reason: cols[4].to_owned(),
                    seen: false,
                },
            );
            assert!(
                prev.is_none(),
                "expected-failures.tsv line {}: duplicate entry",
                n + 1
            );
        }
        Expectations {
            suite: suite.to_owned(),
            entries: Mutex::new(entries),
            unexpected: Mutex::new(Vec::new()),
        }
    }

    /// Records an observed failure; returns the documented reason when it is expected.
    pub fn failure(&self, sample: &str, field: &str, kind: &str, detail: &str) -> Option<String> {
        let key = (sample.to_owned(), field.to_owned(), kind.to_owned());
        let mut entries = self.entries.lock().unwrap();
        if let Some(e) = entries.get_mut(&key) {
            e.seen = true;
            return Some(e.reason.clone());
        }
        self.unexpected.lock().unwrap().push(format!(
            "{}\t{sample}\t{field}\t{kind}\t<why: {detail}>",
            self.suite
        ));
        None
    }

    /// Fails when there were unexpected failures or stale entries.
    pub fn finish(self) {
        let entries = self.entries.into_inner().unwrap();
        let unexpected = self.unexpected.into_inner().unwrap();
        let stale: Vec<String> = entries
            .iter()
            .filter(|(_, e)| !e.seen)
            .map(|((s, f, k), _)| format!("{}\t{s}\t{f}\t{k}", self.suite))
            .collect();
        let mut msg = String::new();
        if !unexpected.is_empty() {
            msg += &format!(
                "{} failure(s) not in {}:\n{}\n",
                unexpected.len(),
                Self::path().display(),
                unexpected.join("\n")
            );
        }
        if !stale.is_empty() {
            msg += &format!(
                "{} stale entr(ies) in {} no longer happen; remove them:\n{}\n",
                stale.len(),
                Self::path().display(),
                stale.join("\n")
            );
        }
        assert!(msg.is_empty(), "{msg}");
    }
}
