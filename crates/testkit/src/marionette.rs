//! A small client of Firefox's Marionette protocol, to drive a headless Firefox from a test
//! without geckodriver (which Debian does not package).
//!
//! [`Firefox::launch`] starts `firefox-esr --headless --marionette -no-remote` on a fresh
//! profile whose `prefs.js` sets `marionette.port` to a free loopback port (and turns off
//! updates, telemetry and first-run pages, so the browser makes no request of its own), then
//! connects. The protocol (Marionette protocol level 3): every message is `LEN:JSON`, `LEN` the
//! JSON's length in bytes in decimal; the server first sends a greeting object, then answers
//! each command `[0, id, "Name", {params}]` with `[1, id, error, result]`, `error` null on
//! success or `{"error", "message", "stacktrace"}`. [`Firefox::command`] sends one and waits
//! for its answer; `WebDriver:NewSession`, `WebDriver:Navigate`, `WebDriver:ExecuteScript`,
//! `WebDriver:TakeScreenshot` and `Marionette:Quit` are what the tests use.
//!
//! Dropping a [`Firefox`] quits the browser and, if it has not exited within a few seconds,
//! kills that one process (by its id) and removes nothing else.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running headless Firefox with a Marionette session.
pub struct Firefox {
    child: Child,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    next_id: u64,
    /// The profile directory (its `firefox.log` holds the browser's output).
    pub profile: PathBuf,
}

/// The preferences written to the fresh profile: Marionette's port, and nothing that would
/// make the browser fetch on its own (updates, telemetry, safe browsing lists, first-run and
/// new-tab pages, captive-portal and connectivity checks, search suggestions).
fn prefs(port: u16) -> String {
    let mut s = format!("user_pref(\"marionette.port\", {port});\n");
    for (k, v) in [
        ("app.update.enabled", "false"),
        ("app.update.auto", "false"),
        ("browser.shell.checkDefaultBrowser", "false"),
        ("browser.startup.page", "0"),
        ("browser.startup.homepage", "\"about:blank\""),
        ("browser.startup.homepage_override.mstone", "\"ignore\""),
        ("startup.homepage_welcome_url", "\"about:blank\""),
        ("browser.newtabpage.enabled", "false"),
        ("browser.aboutwelcome.enabled", "false"),
        ("browser.safebrowsing.malware.enabled", "false"),
        ("browser.safebrowsing.phishing.enabled", "false"),
        ("browser.safebrowsing.downloads.enabled", "false"),
        ("browser.search.suggest.enabled", "false"),
        ("browser.search.update", "false"),
        ("datareporting.policy.dataSubmissionEnabled", "false"),
        ("datareporting.healthreport.uploadEnabled", "false"),
        ("toolkit.telemetry.enabled", "false"),
        ("network.captive-portal-service.enabled", "false"),
        ("network.connectivity-service.enabled", "false"),
        ("extensions.update.enabled", "false"),
        ("extensions.getAddons.cache.enabled", "false"),
        ("media.gmp-manager.url", "\"\""),
        ("remote.prefs.recommended", "true"),
    ] {
        s.push_str(&format!("user_pref(\"{k}\", {v});\n"));
    }
    s
}

/// An error of the protocol or of a command.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn io(what: &str) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error(format!("{what}: {e}"))
}

impl Firefox {
    /// Starts `bin` headless on a new profile in `profile` (made empty first) and opens a
    /// WebDriver session; waits up to `timeout` for Marionette to listen.
    pub fn launch(bin: &Path, profile: &Path, timeout: Duration) -> Result<Firefox, Error> {
        let _ = std::fs::remove_dir_all(profile);
        std::fs::create_dir_all(profile).map_err(io("profile directory"))?;
        // A free loopback port: bound, read and released (Firefox binds it a moment later).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(io("a free port"))?
            .port();
        std::fs::write(profile.join("prefs.js"), prefs(port)).map_err(io("prefs.js"))?;
        let log = std::fs::File::create(profile.join("firefox.log")).map_err(io("firefox.log"))?;
        let child = Command::new(bin)
            .args(["--headless", "--marionette", "-no-remote", "--profile"])
            .arg(profile)
            .env("MOZ_HEADLESS", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(io("firefox.log"))?)
            .stderr(log)
            .spawn()
            .map_err(io(&format!("cannot start {}", bin.display())))?;
        let mut ff = None;
        let deadline = Instant::now() + timeout;
        let mut child = child;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(Error(format!(
                    "firefox exited ({status}) before Marionette listened: {}",
                    std::fs::read_to_string(profile.join("firefox.log")).unwrap_or_default()
                )));
            }
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => {
                    ff = Some(s);
                    break;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
        let Some(stream) = ff else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error(format!(
                "Marionette did not listen on 127.0.0.1:{port} within {timeout:?}"
            )));
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .map_err(io("socket"))?;
        let mut ff = Firefox {
            child,
            reader: BufReader::new(stream.try_clone().map_err(io("socket"))?),
            writer: stream,
            next_id: 1,
            profile: profile.to_owned(),
        };
        let hello = ff.read_message()?;
        if hello["marionetteProtocol"].as_u64() != Some(3) {
            return Err(Error(format!("unexpected Marionette greeting {hello}")));
        }
        ff.command("WebDriver:NewSession", json!({"capabilities": {}}))?;
        Ok(ff)
    }

    fn read_message(&mut self) -> Result<Value, Error> {
        let mut len = Vec::new();
        self.reader
            .read_until(b':', &mut len)
            .map_err(io("reading from Marionette"))?;
        if len.pop() != Some(b':') {
            return Err(Error("Marionette closed the connection".into()));
        }
        let n: usize = std::str::from_utf8(&len)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .filter(|n| *n < 256 << 20)
            .ok_or_else(|| Error(format!("bad message length {len:?}")))?;
        let mut body = vec![0; n];
        self.reader
            .read_exact(&mut body)
            .map_err(io("reading from Marionette"))?;
        serde_json::from_slice(&body).map_err(|e| Error(format!("Marionette sent bad JSON: {e}")))
    }

    /// Sends command `name` with `params`; returns its result, or the error it answered.
    pub fn command(&mut self, name: &str, params: Value) -> Result<Value, Error> {
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!([0, id, name, params]).to_string();
        self.writer
            .write_all(format!("{}:{msg}", msg.len()).as_bytes())
            .map_err(io("writing to Marionette"))?;
        loop {
            let v = self.read_message()?;
            // Only the answer to this command (type 1, this id) ends the wait.
            if v[0] != 1 || v[1] != id {
                continue;
            }
            if !v[2].is_null() {
                return Err(Error(format!(
                    "{name}: {} ({})",
                    v[2]["error"].as_str().unwrap_or("error"),
                    v[2]["message"].as_str().unwrap_or("")
                )));
            }
            return Ok(v[3].clone());
        }
    }

    /// Opens `url` and waits for it to load.
    pub fn navigate(&mut self, url: &str) -> Result<(), Error> {
        self.command("WebDriver:Navigate", json!({"url": url}))
            .map(drop)
    }

    /// Runs `script` (a function body; `return` gives the value) in the page.
    pub fn execute(&mut self, script: &str) -> Result<Value, Error> {
        let r = self.command(
            "WebDriver:ExecuteScript",
            json!({"script": script, "args": []}),
        )?;
        Ok(r["value"].clone())
    }

    /// Sets the window's size in CSS pixels.
    pub fn set_window_size(&mut self, width: u32, height: u32) -> Result<(), Error> {
        self.command(
            "WebDriver:SetWindowRect",
            json!({"width": width, "height": height}),
        )
        .map(drop)
    }

    /// A PNG of the viewport (`full`: of the whole document).
    pub fn screenshot(&mut self, full: bool) -> Result<Vec<u8>, Error> {
        use base64::Engine as _;
        let r = self.command(
            "WebDriver:TakeScreenshot",
            json!({"full": full, "hash": false}),
        )?;
        let b64 = r["value"]
            .as_str()
            .ok_or_else(|| Error(format!("TakeScreenshot answered {r}")))?;
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| Error(format!("TakeScreenshot: not base64 ({e})")))
    }
}

impl Drop for Firefox {
    fn drop(&mut self) {
        let _ = self.command("Marionette:Quit", json!({"flags": ["eForceQuit"]}));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
