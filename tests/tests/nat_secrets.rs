//! `rtcscope turn` never prints a password, a TURN REST secret or the password minted from it:
//! not on standard output, not on standard error, not in `--json`, not on error paths (wrong
//! credentials, a password SASLprep refuses, a server that answers garbage, one that falls
//! silent, a closed port, an unreadable password file), whichever way the credential came
//! (`--pass-file`, `RTCSCOPE_TURN_PASSWORD`, `--secret`, `--secret-file`,
//! `RTCSCOPE_TURN_SECRET`), even with `RUST_LOG=trace`.
//!
//! The fake TURN servers run in this test on 127.0.0.1 (no root needed); with root and coturn,
//! the same is checked on the NAT lab's real flow (success and a wrong secret).

use rtcscope_testkit::{require_root, require_tool};
use rtcscope_tests::natlab::{CoturnAuth, Lab};
use rtcscope_tests::{bin, stderr, stdout};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

const PASSWORD: &str = "pw-Correct-Horse-7781";
const SECRET: &str = "s3cr3t-Shared-9931";

/// How the fake server answers the client's authenticated requests (the first, unsigned
/// Allocate always gets a 401 challenge).
#[derive(Clone, Copy, Debug)]
enum Behaviour {
    /// 401 again: the credentials are wrong.
    Reject,
    /// Something that is not STUN.
    Garbage,
    /// Nothing.
    Silent,
}

struct FakeTurn {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Attributes of a STUN message: (type, value).
fn attributes(m: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    let mut at = 20;
    while at + 4 <= m.len() {
        let typ = u16::from_be_bytes([m[at], m[at + 1]]);
        let len = usize::from(u16::from_be_bytes([m[at + 2], m[at + 3]]));
        let Some(v) = m.get(at + 4..at + 4 + len) else {
            break;
        };
        out.push((typ, v));
        at += 4 + len.div_ceil(4) * 4;
    }
    out
}

/// A 401 error response to `req` (its method and transaction ID) with REALM and NONCE.
fn challenge(req: &[u8]) -> Vec<u8> {
    let method = u16::from_be_bytes([req[0], req[1]]) & 0x3EEF;
    let typ = method | 0x0110; // error response
    let mut attrs = Vec::new();
    let mut add = |t: u16, v: &[u8]| {
        attrs.extend_from_slice(&t.to_be_bytes());
        attrs.extend_from_slice(&(v.len() as u16).to_be_bytes());
        attrs.extend_from_slice(v);
        attrs.resize(attrs.len().div_ceil(4) * 4, 0);
    };
    add(0x0009, &[0, 0, 4, 1, b'U', b'n', b'a', b'u', b't', b'h']);
    add(0x0014, b"lab.example");
    add(0x0015, b"nonce-0001");
    let mut m = typ.to_be_bytes().to_vec();
    m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    m.extend_from_slice(&req[4..20]);
    m.extend_from_slice(&attrs);
    m
}

impl FakeTurn {
    fn start(behaviour: Behaviour) -> FakeTurn {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
        sock.set_read_timeout(Some(Duration::from_millis(20)))
            .expect("timeout");
        let addr = sock.local_addr().expect("address");
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while !s.load(Ordering::Relaxed) {
                let Ok((n, src)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                let req = &buf[..n];
                if n < 20 || req[0] & 0xC0 != 0 {
                    continue;
                }
                let signed = attributes(req).iter().any(|(t, _)| *t == 0x0006);
                let answer = match (signed, behaviour) {
                    (false, _) | (true, Behaviour::Reject) => Some(challenge(req)),
                    (true, Behaviour::Garbage) => {
                        Some(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec())
                    }
                    (true, Behaviour::Silent) => None,
                };
                if let Some(a) = answer {
                    let _ = sock.send_to(&a, src);
                }
            }
        });
        FakeTurn {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for FakeTurn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A way to give the credential: arguments, environment, and its name.
type Way<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);

/// Everything a run printed.
fn all_output(o: &Output) -> String {
    format!("{}\n{}", stdout(o), stderr(o))
}

/// Fails if `text` holds `needle`, or anything that looks like a minted TURN REST password
/// (base64 of a 20-byte HMAC-SHA1: 27 characters and `=`).
#[track_caller]
fn assert_clean(text: &str, needles: &[&str], what: &str) {
    for n in needles {
        assert!(!text.contains(n), "{what}: {n:?} printed:\n{text}");
    }
    let b64 = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=';
    for token in text.split(|c: char| !b64(c)) {
        let minted = token.len() == 28
            && token.ends_with('=')
            && !token[..27].contains('=')
            && token.chars().any(|c| c.is_ascii_digit())
            && token.chars().any(|c| c.is_ascii_uppercase());
        assert!(!minted, "{what}: a minted password? {token:?} in:\n{text}");
    }
}

fn rtcscope(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(bin())
        .args(args)
        .env_remove("RTCSCOPE_TURN_PASSWORD")
        .env_remove("RTCSCOPE_TURN_SECRET")
        .env("RUST_LOG", "trace")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("rtcscope runs")
}

#[test]
fn no_password_or_secret_is_printed_on_any_path() {
    let dir = std::env::temp_dir().join(format!("rtcscope-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let pass_file = dir.join("pass");
    std::fs::write(&pass_file, format!("{PASSWORD}\n")).expect("pass file");
    let secret_file = dir.join("secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).expect("secret file");
    // A password SASLprep refuses (a control character): the "cannot be prepared" path.
    let bad_file = dir.join("bad");
    std::fs::write(&bad_file, format!("{PASSWORD}\u{7}\n")).expect("bad pass file");
    let (pass_file, secret_file, bad_file) = (
        pass_file.to_string_lossy().into_owned(),
        secret_file.to_string_lossy().into_owned(),
        bad_file.to_string_lossy().into_owned(),
    );
    let missing = dir.join("missing").to_string_lossy().into_owned();

    let closed = UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free port");
    let servers = [
        (FakeTurn::start(Behaviour::Reject), "reject"),
        (FakeTurn::start(Behaviour::Garbage), "garbage"),
        (FakeTurn::start(Behaviour::Silent), "silent"),
    ];
    let mut uris: Vec<(String, &str)> = servers
        .iter()
        .map(|(s, name)| (format!("turn:{}", s.addr), *name))
        .collect();
    uris.push((format!("turn:{closed}"), "closed port"));
    uris.push((format!("turn:{closed}?transport=tcp"), "refused TCP"));

    // Every way a credential can come in.
    let ways: Vec<Way<'_>> = vec![
        (vec!["--pass-file", &pass_file], vec![], "--pass-file"),
        (
            vec![],
            vec![("RTCSCOPE_TURN_PASSWORD", PASSWORD)],
            "RTCSCOPE_TURN_PASSWORD",
        ),
        (vec!["--secret", SECRET], vec![], "--secret"),
        (vec!["--secret-file", &secret_file], vec![], "--secret-file"),
        (
            vec![],
            vec![("RTCSCOPE_TURN_SECRET", SECRET)],
            "RTCSCOPE_TURN_SECRET",
        ),
        (vec!["--pass-file", &bad_file], vec![], "SASLprep refusal"),
        (vec!["--pass-file", &missing], vec![], "missing file"),
    ];
    // One thread per server: the garbage and silent ones wait out their timeouts.
    let runs: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = uris
            .iter()
            .map(|(uri, server)| {
                let ways = &ways;
                scope.spawn(move || {
                    let mut runs = 0;
                    for (extra, env, way) in ways {
                        for json in [false, true] {
                            let mut args = vec!["turn", "--timeout", "1.5", "--user", "alice"];
                            if json {
                                args.push("--json");
                            }
                            args.extend_from_slice(extra);
                            args.push(uri);
                            let out = rtcscope(&args, env);
                            let what =
                                format!("{server} via {way}{}", if json { ", --json" } else { "" });
                            assert_ne!(out.status.code(), Some(0), "{what}: {}", all_output(&out));
                            assert!(
                                !stderr(&out).contains("panicked"),
                                "{what}: {}",
                                all_output(&out)
                            );
                            assert_clean(&all_output(&out), &[PASSWORD, SECRET], &what);
                            runs += 1;
                        }
                    }
                    runs
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .sum()
    });
    assert_eq!(runs, uris.len() * ways.len() * 2);

    // The error paths were really taken: the wrong-credential run says 401, the refused
    // password says so, the garbage server is named.
    let out = rtcscope(
        &[
            "turn",
            "--user",
            "alice",
            "--pass-file",
            &pass_file,
            &uris[0].0,
        ],
        &[],
    );
    assert!(stdout(&out).contains("401"), "{}", all_output(&out));
    let out = rtcscope(
        &[
            "turn",
            "--user",
            "alice",
            "--pass-file",
            &bad_file,
            &uris[0].0,
        ],
        &[],
    );
    assert!(
        stdout(&out).contains("cannot be prepared"),
        "{}",
        all_output(&out)
    );
    let out = rtcscope(
        &[
            "turn",
            "--json",
            "--timeout",
            "1.5",
            "--user",
            "alice",
            "--pass-file",
            &pass_file,
            &uris[1].0,
        ],
        &[],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v[0]["verdict"], "not-stun", "{v:#}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn no_secret_is_printed_against_coturn() {
    if !require_root("nat_secrets::coturn") || require_tool("nat_secrets", "turnserver").is_none() {
        return;
    }
    let mut lab = Lab::up("full-cone", None);
    lab.start_coturn(
        4,
        &CoturnAuth {
            secret: Some(SECRET.into()),
            ..CoturnAuth::default()
        },
    );
    let bin = bin().to_string_lossy().into_owned();
    let ns = lab.get("client_ns").to_string();
    for json in [false, true] {
        for (secret, ok) in [(SECRET, true), ("not-the-secret-4471", false)] {
            let mut args = vec!["turn", "--user", "bob", "--secret", secret];
            if json {
                args.push("--json");
            }
            args.push("turn:198.51.100.2");
            let (out, _) = lab.exec(&ns, &bin, &args, &[("RUST_LOG", "trace")]);
            let what = format!("coturn, secret ok {ok}, json {json}");
            assert_eq!(out.status.success(), ok, "{what}: {}", all_output(&out));
            assert_clean(&all_output(&out), &[SECRET, secret], &what);
        }
    }
}
