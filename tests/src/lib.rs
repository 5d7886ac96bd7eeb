//! End-to-end tests for rtcscope: the real `rtcscope` binary run on real captures.
//!
//! The binary belongs to another package (`rtcscope-cli`), so Cargo gives these tests no
//! `CARGO_BIN_EXE_` path for it; [`bin`] finds it beside the test executable and builds it once
//! when it is missing.

pub mod natlab;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The path of the `rtcscope` binary of the same build profile as this test.
pub fn bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_bin(None, "rtcscope")).clone()
}

/// Builds the workspace binary `name` (of `package`, when it is not the default package's) in
/// the build profile of this test, and returns its path. Cargo decides: a no-op when the binary
/// is fresh, a rebuild when it is stale. Callers keep the path (a `OnceLock`) to ask once.
pub fn build_bin(package: Option<&str>, name: &str) -> PathBuf {
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let exe = std::env::current_exe().expect("current exe");
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("test binary lives in target/<profile>/deps");
    let mut build = Command::new(env!("CARGO"));
    build
        .args(["build", "--quiet"])
        .current_dir(rtcscope_testkit::workspace_root());
    if let Some(p) = package {
        build.args(["-p", p]);
    }
    build.args(["--bin", name]);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "building {name} failed");
    profile_dir.join(name)
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

/// A program running inside a detached tmux session of a fixed size, driven with keys and
/// read back as text (for the terminal UI's end-to-end tests). The session is killed on drop.
pub struct Tmux {
    name: String,
}

impl Tmux {
    /// Starts `command` (a shell command line) in a new `width`×`height` session. The pane
    /// lingers for a minute after the command ends, so its last words can be read.
    pub fn start(command: &str, width: u16, height: u16) -> Tmux {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "rtcscope-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        // A private tmux server per session (`-L`): tests running in parallel (or two test runs
        // at once) never race on the shared default server starting or exiting.
        let status = Command::new("tmux")
            .args(["-L", &name, "new-session", "-d", "-s", &name, "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .arg(format!("{command}; sleep 60"))
            .current_dir(rtcscope_testkit::workspace_root())
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        Tmux { name }
    }

    /// Sends keys (tmux key names: `q`, `Enter`, `C-c`, `Down`, ...).
    pub fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.name, "send-keys", "-t", &self.name])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    /// Resizes the window (the program gets SIGWINCH).
    pub fn resize(&self, width: u16, height: u16) {
        let status = Command::new("tmux")
            .args(["-L", &self.name, "resize-window", "-t", &self.name, "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .status()
            .expect("tmux resize-window");
        assert!(status.success());
    }

    /// True while the program has the terminal's alternate screen.
    pub fn alternate_screen(&self) -> bool {
        let out = Command::new("tmux")
            .args(["-L", &self.name, "display", "-p", "-t", &self.name])
            .arg("#{alternate_on}")
            .output()
            .expect("tmux display");
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// The visible screen as text.
    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.name, "capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows every one of `texts` and returns it; panics with the last
    /// screen after `secs` seconds.
    pub fn wait_for(&self, texts: &[&str], secs: u64) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if texts.iter().all(|t| s.contains(t)) {
                return s;
            }
            if std::time::Instant::now() > deadline {
                let missing: Vec<_> = texts.iter().filter(|t| !s.contains(*t)).collect();
                panic!("screen never showed {missing:?}; last screen:\n{s}");
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.name, "kill-server"])
            .status();
    }
}

/// The options that decrypt the Firefox recordings: every one's key log and SDPs (a key log
/// serves only its own handshakes, and the calls' SDPs agree on the payload types), so
/// that their video frames and SRTCP round-trip times are known.
pub fn firefox_keys() -> Vec<String> {
    let mut options = Vec::new();
    // Every Firefox recording with its key log, in name order (as docs/export.md's glob).
    let webrtc = rtcscope_testkit::workspace_root().join("fixtures/webrtc");
    let mut names: Vec<String> = std::fs::read_dir(&webrtc)
        .expect("fixtures/webrtc")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("firefox-") && webrtc.join(n).join("keylog.txt").is_file())
        .collect();
    names.sort();
    for c in &names {
        options.extend(["--keylog".into(), format!("fixtures/webrtc/{c}/keylog.txt")]);
        for sdp in ["offer", "answer"] {
            options.extend(["--sdp".into(), format!("fixtures/webrtc/{c}/{sdp}.sdp")]);
        }
    }
    options
}

/// The options a recording (its path from the workspace root) is analysed and exported with:
/// [`firefox_keys`] for the Firefox ones, none for the others.
pub fn keys_of(file: &str) -> Vec<String> {
    if file.starts_with("fixtures/webrtc/firefox-") {
        firefox_keys()
    } else {
        Vec::new()
    }
}

/// What `rtcscope export` printed on standard output, one `capture=NAME<TAB>FILE<TAB>…` line per
/// capture: file → capture name.
pub fn export_names(stdout: &str) -> std::collections::BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let name = f.next()?.strip_prefix("capture=")?;
            Some((f.next()?.to_owned(), name.to_owned()))
        })
        .collect()
}
