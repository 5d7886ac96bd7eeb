//! The NAT lab from Rust: builds a lab with `scripts/natlab.sh` under a unique name, starts
//! servers in its namespaces, runs `rtcscope` and Debian's `stun` client in the client
//! namespace, and tears everything down on drop.
//!
//! Every address is a documentation address inside namespaces the lab creates; nothing is sent
//! anywhere else.

use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// One lab: four namespaces (client, router, server with two addresses, second server).
pub struct Lab {
    /// The lab's name (namespace prefix).
    pub name: String,
    /// The lab type (see `scripts/natlab.sh types`).
    pub kind: String,
    /// What `natlab.sh up` printed: namespaces and addresses.
    pub info: HashMap<String, String>,
    children: Vec<Child>,
}

fn script() -> PathBuf {
    rtcscope_testkit::workspace_root().join("scripts/natlab.sh")
}

/// Which STUN server runs on the lab's server host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    /// `rtcscope stun-server`.
    Rtcscope,
    /// coturn's `turnserver`.
    Coturn,
}

impl std::fmt::Display for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Server::Rtcscope => "rtcscope",
            Server::Coturn => "coturn",
        })
    }
}

/// Settings for coturn beyond STUN.
#[derive(Clone, Debug, Default)]
pub struct CoturnAuth {
    /// `user:password` accounts (long-term credentials).
    pub users: Vec<String>,
    /// A TURN REST shared secret (`use-auth-secret`).
    pub secret: Option<String>,
    /// Per-user allocation quota.
    pub user_quota: Option<u32>,
    /// TLS (`turns:`, `stuns:`) on port 5349 with this certificate; None: `--no-tls`.
    pub tls: Option<CoturnTls>,
}

/// A certificate for coturn's TLS listener, and the throwaway CA that issued it.
#[derive(Clone, Debug)]
pub struct CoturnTls {
    /// The CA's certificate (PEM): what a client must trust.
    pub ca: PathBuf,
    /// The server's certificate (PEM), issued by the CA.
    pub cert: PathBuf,
    /// The server's private key (PEM, unencrypted).
    pub key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Lab {
    /// Builds a lab of type `kind` with an optional loss mode (`every5`, `random20`).
    pub fn up(kind: &str, loss: Option<&str>) -> Lab {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "nl{}x{}",
            std::process::id() % 100_000,
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut cmd = Command::new("bash");
        cmd.arg(script()).args(["up", kind, "--name", &name]);
        if let Some(l) = loss {
            cmd.args(["--loss", l]);
        }
        let mut lab = Lab {
            name: name.clone(),
            kind: kind.to_string(),
            info: HashMap::new(),
            children: Vec::new(),
        };
        let out = cmd.output().expect("natlab.sh runs");
        assert!(
            out.status.success(),
            "natlab.sh up {kind} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some((k, v)) = line.split_once('=') {
                lab.info.insert(k.to_string(), v.to_string());
            }
        }
        lab
    }

    /// The lab's temporary directory (created on first use, removed on drop).
    pub fn temp_dir(&self) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rtcscope-natlab-{}", self.name));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    /// Makes a throwaway CA (P-256, valid two days) and a server certificate it issued for
    /// the IP address `ip` (subjectAltName IP, serverAuth) with the `openssl` command, in the
    /// lab's temporary directory.
    pub fn tls_certificates(&self, ip: &str) -> CoturnTls {
        let dir = self.temp_dir();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut args = vec!["req", "-x509"];
        args.extend(ec);
        args.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=rtcscope NAT lab test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(&dir, &args);
        let subject = format!("/CN={ip}");
        let mut args = vec!["req", "-new"];
        args.extend(ec);
        args.extend([
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            &subject,
        ]);
        openssl(&dir, &args);
        std::fs::write(
            dir.join("server-ext.cnf"),
            format!(
                "subjectAltName=IP:{ip}\nbasicConstraints=critical,CA:FALSE\n\
                 keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
            ),
        )
        .expect("write extensions");
        openssl(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "server-ext.cnf",
                "-out",
                "server.pem",
            ],
        );
        CoturnTls {
            ca: dir.join("ca.pem"),
            cert: dir.join("server.pem"),
            key: dir.join("server.key"),
        }
    }

    /// A value `natlab.sh up` printed.
    pub fn get(&self, key: &str) -> &str {
        self.info
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("natlab.sh printed no {key}"))
    }

    fn spawn(&mut self, ns: &str, program: &str, args: &[String]) -> usize {
        let child = Command::new("ip")
            .args(["netns", "exec", ns, program])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // Never a pipe nobody reads: a server that fills it would block.
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {program} in {ns}: {e}"));
        self.children.push(child);
        self.children.len() - 1
    }

    /// Starts `rtcscope stun-server` on the server host (RFC 5780, both addresses of `family`
    /// 4 or 6) and a plain one on the second server host; waits until both serve.
    pub fn start_rtcscope_servers(&mut self, family: u8) {
        let (p, a, s2) = if family == 6 {
            ("server_primary6", "server_alternate6", "server2_6")
        } else {
            ("server_primary", "server_alternate", "server2")
        };
        let bin = crate::bin().to_string_lossy().into_owned();
        let s1 = self.get("server_ns").to_string();
        let args = vec![
            "stun-server".into(),
            "--primary".into(),
            self.get(p).into(),
            "--alternate".into(),
            self.get(a).into(),
        ];
        let i = self.spawn(&s1, &bin, &args);
        self.wait_ready(i);
        let ns2 = self.get("server2_ns").to_string();
        let args = vec![
            "stun-server".into(),
            "--primary".into(),
            self.get(s2).into(),
        ];
        let j = self.spawn(&ns2, &bin, &args);
        self.wait_ready(j);
    }

    fn wait_ready(&mut self, i: usize) {
        let stdout = self.children[i].stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("stun-server says it is serving");
        assert!(line.contains("serving udp"), "stun-server: {line}");
    }

    /// Starts coturn on the server host with both addresses of `family` (RFC 5780 mode) and
    /// waits until its UDP listeners are bound, and with `auth.tls` its TLS listener on the
    /// primary address, port 5349.
    pub fn start_coturn(&mut self, family: u8, auth: &CoturnAuth) {
        let (p, a) = if family == 6 {
            ("server_primary6", "server_alternate6")
        } else {
            ("server_primary", "server_alternate")
        };
        let (p, a) = (self.get(p).to_string(), self.get(a).to_string());
        let dir = self.temp_dir();
        let mut args: Vec<String> = [
            "-n",
            "--listening-ip",
            &p,
            "--listening-ip",
            &a,
            "--listening-port",
            "3478",
            "--alt-listening-port",
            "3479",
            "--relay-ip",
            &p,
            "--no-cli",
            "--log-file",
            "stdout",
            "--simple-log",
            "--fingerprint",
            "--realm",
            "lab.example",
            "--min-port",
            "49152",
            "--max-port",
            "49999",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if let Some(tls) = &auth.tls {
            args.extend([
                "--cert".into(),
                tls.cert.to_string_lossy().into_owned(),
                "--pkey".into(),
                tls.key.to_string_lossy().into_owned(),
                "--tls-listening-port".into(),
                "5349".into(),
                // Nothing on UDP 5349, as at most TLS deployments: the check's peer socket
                // must get its reflexive address from UDP 3478.
                "--no-dtls".into(),
            ]);
        } else {
            args.extend(["--no-tls".into(), "--no-dtls".into()]);
        }
        args.push("--userdb".into());
        args.push(dir.join("turndb").to_string_lossy().into_owned());
        args.push("--pidfile".into());
        args.push(dir.join("turnserver.pid").to_string_lossy().into_owned());
        if let Some(s) = &auth.secret {
            args.extend([
                "--use-auth-secret".into(),
                "--static-auth-secret".into(),
                s.clone(),
            ]);
        } else if !auth.users.is_empty() {
            args.push("--lt-cred-mech".into());
            for u in &auth.users {
                args.extend(["--user".into(), u.clone()]);
            }
        }
        if let Some(q) = auth.user_quota {
            args.extend(["--user-quota".into(), q.to_string()]);
        }
        let ns = self.get("server_ns").to_string();
        let i = self.spawn(&ns, "turnserver", &args);
        // coturn logs a lot on stdout: drain it so it never blocks.
        if let Some(out) = self.children[i].stdout.take() {
            std::thread::spawn(move || {
                let mut r = BufReader::new(out);
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                    line.clear();
                }
            });
        }
        let want: Vec<String> = [&p, &a]
            .iter()
            .flat_map(|ip| {
                let ip = if ip.contains(':') {
                    format!("[{ip}]")
                } else {
                    ip.to_string()
                };
                [format!("{ip}:3478"), format!("{ip}:3479")]
            })
            .collect();
        let mut want = vec![("-Hlun", want)];
        if auth.tls.is_some() {
            let ip = if p.contains(':') {
                format!("[{p}]")
            } else {
                p.clone()
            };
            want.push(("-Hltn", vec![format!("{ip}:5349")]));
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        for (flags, want) in want {
            loop {
                let out = Command::new("ip")
                    .args(["netns", "exec", &ns, "ss", flags])
                    .output()
                    .expect("ss runs");
                let text = String::from_utf8_lossy(&out.stdout);
                if want.iter().all(|w| text.contains(w.as_str())) {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "coturn did not bind {want:?} (ss {flags}): {text}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    /// Starts the plain rtcscope server on the second host only.
    pub fn start_second_server(&mut self, family: u8) {
        let s2 = if family == 6 { "server2_6" } else { "server2" };
        let bin = crate::bin().to_string_lossy().into_owned();
        let ns2 = self.get("server2_ns").to_string();
        let args = vec![
            "stun-server".into(),
            "--primary".into(),
            self.get(s2).into(),
        ];
        let j = self.spawn(&ns2, &bin, &args);
        self.wait_ready(j);
    }

    /// Stops every server started so far (by process id), waiting for each to exit.
    pub fn stop_servers(&mut self) {
        for mut c in self.children.drain(..) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Runs `rtcscope ARGS` in the client namespace; returns its output and wall time.
    pub fn rtcscope(&self, args: &[&str]) -> (std::process::Output, Duration) {
        self.exec(
            self.get("client_ns"),
            &crate::bin().to_string_lossy(),
            args,
            &[],
        )
    }

    /// Runs a program in a namespace of the lab with extra environment variables.
    pub fn exec(
        &self,
        ns: &str,
        program: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> (std::process::Output, Duration) {
        let t = Instant::now();
        let out = Command::new("ip")
            .args(["netns", "exec", ns, program])
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("ip netns exec runs");
        (out, t.elapsed())
    }

    /// `rtcscope nat --json SERVERS` in the client namespace: the report of the one family
    /// asked, and the wall time.
    pub fn nat_json(&self, servers: &[&str], extra: &[&str]) -> (Value, Duration) {
        let mut args = vec!["nat", "--json"];
        args.extend_from_slice(extra);
        args.extend_from_slice(servers);
        let (out, t) = self.rtcscope(&args);
        let text = String::from_utf8_lossy(&out.stdout);
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "rtcscope nat --json printed no JSON ({e}): {text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let report = v["reports"][0].clone();
        assert!(report.is_object(), "no report: {v}");
        (report, t)
    }

    /// Debian's RFC 3489 `stun` client against `server` in the client namespace: the summary
    /// line it prints and the wall time.
    pub fn stun_client(&self, server: &str) -> (String, Duration) {
        let (out, t) = self.exec(self.get("client_ns"), "stun", &[server], &[]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        let verdict = text
            .lines()
            .find(|l| l.starts_with("Primary:"))
            .map(|l| l.trim_start_matches("Primary:").trim().to_string())
            .unwrap_or_else(|| text.lines().last().unwrap_or("").trim().to_string());
        (verdict, t)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.stop_servers();
        let _ = Command::new("bash")
            .arg(script())
            .args(["down", "--name", &self.name])
            .status();
        let _ = std::fs::remove_dir_all(
            std::env::temp_dir().join(format!("rtcscope-natlab-{}", self.name)),
        );
    }
}

/// What a lab type must be classified as.
#[derive(Clone, Debug)]
pub struct Expected {
    /// Lab type.
    pub kind: &'static str,
    /// Address family tested (4 or 6).
    pub family: u8,
    /// `mapping` in the JSON report.
    pub mapping: &'static str,
    /// `filtering`.
    pub filtering: &'static str,
    /// `classic`.
    pub classic: &'static str,
    /// `webrtc`.
    pub webrtc: &'static str,
    /// `hairpinning` (None: null).
    pub hairpin: Option<bool>,
    /// `port_allocation.kind`, when there must be one.
    pub port_allocation: Option<&'static str>,
}

/// The whole matrix: every lab type and what it must come out as.
pub fn matrix() -> Vec<Expected> {
    let e = |kind, family, mapping, filtering, classic, webrtc, hairpin, pa| Expected {
        kind,
        family,
        mapping,
        filtering,
        classic,
        webrtc,
        hairpin,
        port_allocation: pa,
    };
    let (eim, adm, apdm, none) = (
        "endpoint-independent",
        "address-dependent",
        "address-and-port-dependent",
        "no-nat",
    );
    let (eif, adf, apdf) = (
        "endpoint-independent",
        "address-dependent",
        "address-and-port-dependent",
    );
    vec![
        e(
            "open",
            4,
            none,
            eif,
            "open-internet",
            "direct-likely",
            None,
            None,
        ),
        e(
            "firewall",
            4,
            none,
            apdf,
            "symmetric-udp-firewall",
            "some-peers",
            None,
            None,
        ),
        e(
            "full-cone",
            4,
            eim,
            eif,
            "full-cone",
            "direct-likely",
            Some(true),
            None,
        ),
        e(
            "restricted",
            4,
            eim,
            adf,
            "restricted-cone",
            "direct-likely",
            Some(true),
            None,
        ),
        e(
            "port-restricted",
            4,
            eim,
            apdf,
            "port-restricted-cone",
            "direct-likely",
            Some(true),
            None,
        ),
        e(
            "port-restricted-nohairpin",
            4,
            eim,
            apdf,
            "port-restricted-cone",
            "direct-likely",
            Some(false),
            None,
        ),
        e(
            "address-dependent",
            4,
            adm,
            apdf,
            "symmetric",
            "some-peers",
            Some(false),
            Some("preserved"),
        ),
        e(
            "symmetric-random",
            4,
            apdm,
            apdf,
            "symmetric",
            "some-peers",
            Some(false),
            Some("random"),
        ),
        e(
            "symmetric-sequential",
            4,
            apdm,
            apdf,
            "symmetric",
            "some-peers",
            Some(false),
            Some("sequential"),
        ),
        e(
            "udp-blocked",
            4,
            "unknown",
            "unknown",
            "udp-blocked",
            "turn-needed",
            None,
            None,
        ),
        e(
            "ipv6-open",
            6,
            none,
            eif,
            "open-internet",
            "direct-likely",
            None,
            None,
        ),
        e(
            "ipv6-firewall",
            6,
            none,
            apdf,
            "symmetric-udp-firewall",
            "some-peers",
            None,
            None,
        ),
        e(
            "ipv6-nat66",
            6,
            eim,
            apdf,
            "port-restricted-cone",
            "direct-likely",
            Some(false),
            None,
        ),
    ]
}

/// Compares a JSON report with what the lab type must give; returns the differences.
pub fn compare(exp: &Expected, r: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |field: &str, got: &Value, want: Value| {
        if *got != want {
            diffs.push(format!("{field}: got {got}, want {want}"));
        }
    };
    check("mapping", &r["mapping"], exp.mapping.into());
    check("filtering", &r["filtering"], exp.filtering.into());
    check("classic", &r["classic"], exp.classic.into());
    check("webrtc", &r["webrtc"], exp.webrtc.into());
    check(
        "hairpinning",
        &r["hairpinning"],
        exp.hairpin.map_or(Value::Null, Value::from),
    );
    if let Some(pa) = exp.port_allocation {
        check("port_allocation", &r["port_allocation"]["kind"], pa.into());
        if pa == "sequential" {
            check(
                "port_allocation.delta",
                &r["port_allocation"]["delta"],
                2.into(),
            );
        }
    }
    diffs
}
