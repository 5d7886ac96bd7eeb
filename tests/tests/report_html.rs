//! `rtcscope report`: the real binary on the project's recordings.
//!
//! * The page's embedded data block (`#rtcscope-data`) holds exactly the report `rtcscope
//!   analyze --json` prints for the same file and `--sdp`, every section is there in order, and
//!   the plots carry the report's numbers: each stream's bitrate and packet-rate polylines have
//!   one point per bucket of its `series`, with the values the buckets give; each pair's lane in
//!   the ICE swimlane as many requests and successes as its timeline; each stream's loss
//!   (cumulative, and per bucket), jitter and RTCP RTT lines the values of its `quality`.
//! * The getStats() snapshot recorded with the call (`stats-a.json`) agrees with the wire on
//!   every SSRC's packets and payload bytes (the same equalities tests/ground_truth.rs checks).
//! * Errors: a missing capture, an unwritable `-o`, a bad `--stats` file are errors naming the
//!   file; a damaged capture still gets its report, with exit status 1.
//! * Headless Chromium (Debian's `chromium`, which scripts/install-deps.sh installs) opens the
//!   reports offline: no console message (no script error, no CSP violation, so no request),
//!   the script ran (`data-rtcscope="ready"`), every section in the DOM; screenshots go to
//!   target/report-screenshots/ for a person to look at. Without chromium that test prints
//!   `SKIPPED` (a failure with `RTCSCOPE_REQUIRE_TOOLS=1`, as in CI).
//! * Headless Firefox (Debian's `firefox-esr`), driven over Marionette without geckodriver,
//!   does the same: the script ran, no script error or blocked request, nothing fetched,
//!   every section, and the numbers its script reads from the data block; screenshots beside
//!   Chromium's (`firefox-*.png`).
//! * rtcstats dumps (both generations of the format) built from the real getStats() snapshot
//!   are plotted with the source's values; a damaged one is an error naming the file and line.
//! * The frame rate is the frame tracker's (`streams[].frames.frame_rate`) where it read the
//!   frames, and the marker-bit estimate, labelled, where it did not.

use rtcscope_tests::{run, run_with_stdin, stderr};
use serde_json::Value;
use std::path::{Path, PathBuf};

const SECTIONS: [&str; 9] = [
    "provenance",
    "findings",
    "ice",
    "turn",
    "dtls",
    "streams",
    "ladder",
    "sdp",
    "browser-stats",
];

fn out_dir() -> PathBuf {
    let d = rtcscope_testkit::workspace_root().join("target/report-html-test");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fixture(name: &str, file: &str) -> String {
    format!("fixtures/webrtc/{name}/{file}")
}

/// Runs `rtcscope report` on a recording (with its SDPs and stats-a.json); returns the page
/// and its path, `<name>-<tag>.html` (each test its own tag: tests run in parallel).
fn report(name: &str, tag: &str) -> (String, PathBuf) {
    let out = out_dir().join(format!("{name}-{tag}.html"));
    let o = run(&[
        "report",
        &fixture(name, "capture.pcapng"),
        "-o",
        out.to_str().unwrap(),
        "--sdp",
        &fixture(name, "offer.sdp"),
        "--sdp",
        &fixture(name, "answer.sdp"),
        "--stats",
        &fixture(name, "stats-a.json"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
    (std::fs::read_to_string(&out).unwrap(), out)
}

fn analyze(name: &str) -> Value {
    let o = run(&[
        "analyze",
        "--json",
        &fixture(name, "capture.pcapng"),
        "--sdp",
        &fixture(name, "offer.sdp"),
        "--sdp",
        &fixture(name, "answer.sdp"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The data block, parsed as a browser parses it.
fn data_block(html: &str) -> Value {
    let open = r#"<script type="application/json" id="rtcscope-data">"#;
    let start = html.find(open).expect("data block") + open.len();
    let end = start + html[start..].find("</script>").expect("block closes");
    serde_json::from_str(&html[start..end]).expect("the data block is JSON")
}

/// The value of attribute `name` in the tag starting at `tag`.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
    let pat = format!(" {name}=\"");
    let at = tag.find(&pat)? + pat.len();
    Some(&tag[at..at + tag[at..].find('"')?])
}

/// The part of `html` from the element opening with `open` to `close`.
fn element<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
    let a = html
        .find(open)
        .unwrap_or_else(|| panic!("{open} not found"));
    let b = a + html[a..].find(close).expect("closes");
    &html[a..b]
}

fn numbers(list: &str) -> Vec<f64> {
    list.split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Every claim of the module documentation that needs no browser, on one recording.
fn check(name: &str) -> usize {
    let (html, _) = report(name, "numbers");
    let d = data_block(&html);
    let want = analyze(name);
    assert_eq!(
        d["report"], want,
        "{name}: the data block is analyze --json's report"
    );
    assert_eq!(d["schema"], "rtcscope.report-html/1");
    // Sections in order.
    let mut at = 0;
    for s in SECTIONS {
        at += html[at..]
            .find(&format!("<section id=\"{s}\">"))
            .unwrap_or_else(|| panic!("{name}: section {s} missing or out of order"));
    }
    // Offline: the CSP forbids every fetch, and nothing points outside the page.
    assert!(html.contains(
        "content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\""
    ));
    for bad in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "href=\"//",
        "@import",
        "url(http",
    ] {
        assert!(!html.contains(bad), "{name}: {bad}");
    }
    assert_eq!(
        html.matches("<script").count(),
        2,
        "{name}: the page's own scripts only"
    );
    // The provenance says how many packets.
    assert!(html.contains(&format!(
        "<span data-k=\"packets\">{}</span>",
        want["counters"]["packets"]
    )));
    // Every finding, by id.
    for f in want["findings"].as_array().unwrap() {
        assert!(
            html.contains(&format!("data-id=\"{}\"", f["id"].as_str().unwrap())),
            "{name}: finding {}",
            f["id"]
        );
    }
    // Each stream's plots: one point per bucket, the buckets' values.
    let streams = want["streams"].as_array().unwrap();
    assert!(!streams.is_empty(), "{name}: streams");
    for (i, s) in streams.iter().enumerate() {
        let art = element(
            &html,
            &format!("<article class=\"stream\" data-stream=\"{i}\""),
            "</article>",
        );
        let buckets = s["series"]["buckets"].as_array().unwrap();
        let secs = s["series"]["bucket_ns"].as_f64().unwrap() / 1e9;
        for (plot, field, mul) in [
            ("bitrate", "bytes_fwd", 8.0),
            ("packet-rate", "packets_fwd", 1.0),
        ] {
            let svg = element(art, &format!("data-plot=\"{plot}\""), "</svg>");
            let line = element(svg, "<polyline", "/>");
            assert_eq!(attr(line, "data-field"), Some(field));
            assert_eq!(
                attr(line, "data-points").unwrap().parse::<usize>().unwrap(),
                buckets.len(),
                "{name} stream {i} {plot}: one point per bucket"
            );
            assert_eq!(
                attr(line, "points").unwrap().split_whitespace().count(),
                buckets.len()
            );
            let got = numbers(attr(line, "data-values").unwrap());
            let exp: Vec<f64> = buckets
                .iter()
                .map(|b| b[field].as_f64().unwrap() * mul / secs)
                .collect();
            assert_eq!(got.len(), exp.len());
            for (g, e) in got.iter().zip(&exp) {
                assert!(close(*g, *e), "{name} stream {i} {plot}: {g} vs {e}");
            }
        }
    }
    // Each stream's quality plots: the wire's line carries its `quality` buckets' values.
    for (i, s) in streams.iter().enumerate() {
        let art = element(
            &html,
            &format!("<article class=\"stream\" data-stream=\"{i}\""),
            "</article>",
        );
        let q = &s["quality"];
        let col = |name: &str| q[name].as_array().unwrap().clone();
        let (expected, lost, duplicates) = (col("expected"), col("lost"), col("duplicates"));
        assert!(!expected.is_empty(), "{name} stream {i}: quality buckets");
        assert_eq!(lost.len(), expected.len());
        assert_eq!(
            q["bucket_ns"], s["series"]["bucket_ns"],
            "{name} stream {i}: one grid"
        );
        let wire = |plot: &str| -> Option<Vec<f64>> {
            let at = art.find(&format!("data-plot=\"{plot}\""))?;
            let svg = element(&art[at..], "data-plot", "</svg>");
            svg.find("<polyline class=\"fwd\"")?;
            let line = element(svg, "<polyline class=\"fwd\"", "/>");
            Some(numbers(attr(line, "data-values").unwrap()))
        };
        // Cumulative loss: the running sum, ending at expected − packets (RFC 3550).
        let mut sum = 0i64;
        let cumulative: Vec<f64> = lost
            .iter()
            .map(|l| {
                sum += l.as_i64().unwrap();
                sum as f64
            })
            .collect();
        assert_eq!(
            wire("packets-lost").unwrap(),
            cumulative,
            "{name} stream {i}"
        );
        assert_eq!(
            sum,
            s["expected"].as_i64().unwrap() - s["packets"].as_i64().unwrap()
        );
        // Per bucket over unique sequence numbers: (lost + duplicates) / expected.
        let want: Vec<f64> = (0..expected.len())
            .filter(|&k| expected[k].as_i64() > Some(0))
            .map(|k| {
                let u = lost[k].as_i64().unwrap() + duplicates[k].as_i64().unwrap();
                (u.max(0) as f64 * 100.0 / expected[k].as_f64().unwrap()).min(100.0)
            })
            .collect();
        let loss = wire("loss").unwrap();
        assert_eq!(loss.len(), want.len(), "{name} stream {i}");
        for (g, e) in loss.iter().zip(&want) {
            assert!(close(*g, *e), "{name} stream {i} loss {g} vs {e}");
        }
        if s["lost"] == 0 {
            assert!(
                loss.iter().all(|l| *l == 0.0),
                "{name} stream {i}: {loss:?}"
            );
        }
        let jitter: Vec<f64> = col("jitter_ms").iter().filter_map(Value::as_f64).collect();
        match wire("jitter") {
            Some(got) => {
                assert_eq!(got.len(), jitter.len(), "{name} stream {i}");
                for (g, e) in got.iter().zip(&jitter) {
                    assert!(close(*g, *e), "{name} stream {i} jitter {g} vs {e}");
                }
            }
            None => assert!(jitter.is_empty(), "{name} stream {i}: no jitter plot"),
        }
        let rtt: Vec<f64> = col("rtt_mean_ms")
            .iter()
            .filter_map(Value::as_f64)
            .collect();
        assert_eq!(
            wire("rtcp-rtt").unwrap_or_default(),
            rtt,
            "{name} stream {i}"
        );
    }
    // The ICE swimlane: per pair, the timeline's requests and successes.
    for sess in want["ice_sessions"].as_array().unwrap() {
        for p in sess["pairs"].as_array().unwrap() {
            let lane = element(
                &html,
                &format!("<g class=\"pair\" data-pair=\"{}\"", p["id"]),
                ">",
            );
            let tl = p["timeline"].as_array().unwrap();
            let count = |e: &str| tl.iter().filter(|x| x["event"] == e).count().to_string();
            assert_eq!(attr(lane, "data-requests"), Some(count("request").as_str()));
            assert_eq!(
                attr(lane, "data-successes"),
                Some(count("success").as_str())
            );
        }
    }
    // The checks' RTT over time: a point per success that measured one, in milliseconds.
    for sess in want["ice_sessions"].as_array().unwrap() {
        for p in sess["pairs"].as_array().unwrap() {
            let rtts: Vec<f64> = p["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["event"] == "success")
                .filter_map(|e| e["rtt_ns"].as_f64())
                .map(|ns| ns / 1e6)
                .collect();
            if rtts.is_empty() {
                continue;
            }
            let svg = element(&html, "data-plot=\"ice-rtt\"", "</svg>");
            let line = element(svg, &format!("data-pair=\"{}\"", p["id"]), "/>");
            let got = numbers(attr(line, "data-values").unwrap());
            assert_eq!(got.len(), rtts.len(), "{name} pair {}", p["id"]);
            for (g, e) in got.iter().zip(&rtts) {
                assert!(close(*g, *e), "{name} pair {} RTT {g} vs {e}", p["id"]);
            }
        }
    }
    // The ladder is bounded and says what it left out.
    let ladder = element(&html, "<svg data-plot=\"ladder\"", ">");
    let shown: usize = attr(ladder, "data-events").unwrap().parse().unwrap();
    assert!(shown > 0 && shown <= 240, "{name}: {shown} ladder events");
    assert!(html.contains(&format!(
        "{shown} events drawn, {} omitted",
        attr(ladder, "data-omitted").unwrap()
    )));
    // The SDPs' lint reports are the data block's.
    assert_eq!(d["sdp"].as_array().unwrap().len(), 2);
    html.len()
}

#[test]
fn the_report_carries_analyze_json_numbers() {
    let mut sizes = Vec::new();
    for name in ["direct", "relay", "fail-one-way"] {
        let size = check(name);
        // Small enough to attach to a bug report (docs/report.md states the sizes).
        assert!(size < 400_000, "{name}: {size} bytes");
        sizes.push(format!("{name} {size} B"));
    }
    eprintln!("report sizes: {}", sizes.join(", "));
}

#[test]
fn the_browser_snapshot_agrees_with_the_wire() {
    for name in ["direct", "relay"] {
        let (html, _) = report(name, "snapshot");
        let d = data_block(&html);
        let rows = d["stats"]["rtp"].as_array().unwrap();
        assert_eq!(d["stats"]["format"], "getstats-snapshot");
        assert!(rows.len() >= 4, "{name}: audio and video, both ways");
        let table = element(&html, "<section id=\"browser-stats\">", "</section>");
        assert_eq!(
            table.matches("<tr data-ssrc=").count(),
            rows.len(),
            "{name}: a row per RTP entry"
        );
        assert_eq!(
            table.matches("data-agree=\"true\"").count(),
            rows.len(),
            "{name}: every SSRC's packets and bytes agree: {table}"
        );
    }
}

#[test]
fn errors_name_the_file() {
    let out = out_dir().join("errors.html");
    let out = out.to_str().unwrap();
    let o = run(&[
        "report",
        "fixtures/webrtc/no-such-call/capture.pcapng",
        "-o",
        out,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no-such-call/capture.pcapng"),
        "{}",
        stderr(&o)
    );
    let capture = fixture("direct", "capture.pcapng");
    let o = run(&["report", &capture, "-o", "/nonexistent-dir/r.html"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot write /nonexistent-dir/r.html"),
        "{}",
        stderr(&o)
    );
    let bad = out_dir().join("bad-stats.json");
    for (content, want) in [
        ("{\"x\": 1", "not JSON"),
        (
            "{\"getStats\": []}",
            "neither a webrtc-internals dump nor a getStats() snapshot",
        ),
        ("[{\"type\": \"inbound-rtp\"}]", "no valid \"ssrc\""),
    ] {
        std::fs::write(&bad, content).unwrap();
        let o = run(&[
            "report",
            &capture,
            "-o",
            out,
            "--stats",
            bad.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{content}");
        let e = stderr(&o);
        assert!(
            e.contains(&format!("--stats {}: ", bad.display())) && e.contains(want),
            "{e}"
        );
        assert!(!e.contains("panicked"), "{e}");
    }
    let o = run(&[
        "report",
        &capture,
        "-o",
        out,
        "--stats",
        "/nonexistent-dir/s.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read --stats /nonexistent-dir/s.json"));
    // The report never replaces an input.
    let original = rtcscope_testkit::workspace_root().join(&capture);
    let copy = out_dir().join("copy.pcapng");
    std::fs::copy(&original, &copy).unwrap();
    let c = copy.to_str().unwrap();
    let o = run(&["report", c, "-o", c]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is an input"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(&original).unwrap()
    );
}

#[test]
fn a_damaged_capture_still_gets_its_report() {
    use rtcscope_testkit::damaged_capture::turn_capture_with_undeclared_interfaces as damaged;
    let (bytes, good) = damaged(&[2, 40]);
    let out = out_dir().join("damaged.html");
    let o = run_with_stdin(&["report", "-r", "-", "-o", out.to_str().unwrap()], &bytes);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("2 damaged record(s) skipped; the report covers the rest"),
        "{}",
        stderr(&o)
    );
    let html = std::fs::read_to_string(&out).unwrap();
    let d = data_block(&html);
    assert_eq!(d["report"]["counters"]["packets"], good);
    assert_eq!(d["provenance"]["skipped_records"], 2);
    assert!(html.contains("0 damaged packets, 2 damaged records skipped"));
}

/// The terminal-safety capture (hostile USERNAME, REALM, NONCE, SOFTWARE, reason phrases and
/// ufrags with escape sequences, bidi overrides and forged lines): outside the data block
/// (where JSON keeps the strings as they were, never rendered) the page holds no control
/// character and no bidi override, and the strings are there, escaped.
#[test]
fn hostile_strings_are_shown_escaped() {
    let out = out_dir().join("hostile.html");
    let o = run_with_stdin(
        &["report", "-", "-o", out.to_str().unwrap()],
        &rtcscope_testkit::hostile_capture::hostile_capture(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(&out).unwrap();
    let d = data_block(&html);
    assert_eq!(
        d["report"]["turn_allocations"][0]["realm"],
        rtcscope_testkit::hostile_capture::REALM
    );
    let open = html.find("<script type=\"application/json\"").unwrap();
    let close = open + html[open..].find("</script>").unwrap();
    let page = format!("{}{}", &html[..open], &html[close..]);
    for (i, c) in page.char_indices() {
        let bad = (c.is_control() && c != '\n')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c);
        assert!(!bad, "{c:?} at {i}: {}", &page[i.saturating_sub(80)..i]);
    }
    assert!(
        page.contains("realm\\x1b]0;title\\x07\\u{202e}txt.exe"),
        "REALM shown escaped"
    );
    assert_eq!(
        page.matches("<script").count(),
        1,
        "the page's own script only"
    );
}

/// Runs headless Chromium on `page` with no network (CSP, and every host name unresolvable);
/// returns the DOM after scripts and Chromium's log.
fn chromium(bin: &Path, args: &[&str], page: &Path) -> (String, String) {
    let profile = out_dir().join(format!(
        "chromium-profile-{}",
        page.file_stem().unwrap().to_string_lossy()
    ));
    let o = std::process::Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(o.status.success(), "chromium: {}", stderr(&o));
    (String::from_utf8_lossy(&o.stdout).into_owned(), stderr(&o))
}

#[test]
fn chromium_opens_the_reports_offline() {
    let Some(bin) =
        rtcscope_testkit::require_tool("chromium_opens_the_reports_offline", "chromium")
    else {
        return;
    };
    let shots = rtcscope_testkit::workspace_root().join("target/report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let pages: Vec<(&str, PathBuf)> = ["direct", "relay", "fail-one-way"]
        .into_iter()
        .map(|n| (n, report(n, "chromium").1))
        .collect();
    std::thread::scope(|s| {
        for (name, page) in &pages {
            let bin = &bin;
            let shots = &shots;
            s.spawn(move || {
                // One run: the DOM after scripts on standard output, and a screenshot.
                let png = shots.join(format!("{name}.png"));
                let _ = std::fs::remove_file(&png);
                let (dom, log) = chromium(
                    bin,
                    &[
                        "--dump-dom",
                        "--hide-scrollbars",
                        "--window-size=1200,3000",
                        &format!("--screenshot={}", png.display()),
                    ],
                    page,
                );
                // A script error, a CSP violation (a blocked request) or any console output
                // is logged as a CONSOLE line.
                assert!(!log.contains(":CONSOLE"), "{name}: console output: {log}");
                assert!(
                    dom.contains("data-rtcscope=\"ready\""),
                    "{name}: the script ran"
                );
                assert!(
                    !dom.contains("data-script-error="),
                    "{name}: a script error"
                );
                assert!(
                    !dom.contains("data-csp-violation="),
                    "{name}: a blocked request"
                );
                for sec in SECTIONS {
                    assert!(
                        dom.contains(&format!("<section id=\"{sec}\">")),
                        "{name}: {sec}"
                    );
                }
                assert!(
                    dom.contains(">reset zoom</button>"),
                    "{name}: the zoom buttons"
                );
                let meta = std::fs::metadata(&png).expect("a screenshot");
                assert!(meta.len() > 10_000, "{name}: a screenshot of a page");
            });
        }
    });
    eprintln!("screenshots in {}", shots.display());
}

/// Simulates a drag across the first plot from 30 % to 50 % of its width, then records the
/// axis range and every zoom transform on the root element for --dump-dom to show.
const DRAG: &str = r#"<script>(function () {
  var s = document.querySelector("svg.tplot"), r = s.getBoundingClientRect();
  function ev(type, f, target) {
    target.dispatchEvent(new MouseEvent(type, {clientX: r.left + r.width * f,
      clientY: r.top + r.height / 2, bubbles: true}));
  }
  ev("mousedown", 0.3, s); ev("mousemove", 0.5, window); ev("mouseup", 0.5, window);
  var ax = document.querySelectorAll("g.xaxis"), tz = document.querySelectorAll("g.tz");
  var t = {};
  tz.forEach(function (g) { t[g.getAttribute("transform")] = 1; });
  document.documentElement.setAttribute("data-test-zoom", ax[0].getAttribute("data-t0") + " " +
    ax[ax.length - 1].getAttribute("data-t1") + " " + Object.keys(t).length + " " + tz.length);
})();</script></body>"#;

/// Zoom: a drag across one plot zooms the time axis of every plot to the dragged range; and
/// the page prints to PDF.
#[test]
fn chromium_zooms_every_plot_together_and_prints() {
    let Some(bin) =
        rtcscope_testkit::require_tool("chromium_zooms_every_plot_together_and_prints", "chromium")
    else {
        return;
    };
    let (html, page) = report("direct", "zoom");
    let span = data_block(&html)["report"]["end_ns"].as_f64().unwrap()
        - data_block(&html)["report"]["start_ns"].as_f64().unwrap();
    let span = (span / 1e9).max(1.0);
    let drag = out_dir().join("direct-zoom-drag.html");
    std::fs::write(&drag, html.replacen("</body>", DRAG, 1)).unwrap();
    let pdf = rtcscope_testkit::workspace_root().join("target/report-screenshots/direct.pdf");
    std::fs::create_dir_all(pdf.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&pdf);
    let (dom, log) = chromium(&bin, &["--dump-dom", "--window-size=1200,3000"], &drag);
    assert!(!log.contains(":CONSOLE"), "console output: {log}");
    let at = dom.find("data-test-zoom=\"").expect("the drag ran") + "data-test-zoom=\"".len();
    let got = numbers(&dom[at..at + dom[at..].find('"').unwrap()]);
    // The plot's x axis runs from 62 to 750 of a 760-unit-wide viewBox.
    let t = |f: f64| (f * 760.0 - 62.0) / (750.0 - 62.0) * span;
    assert!(
        (got[0] - t(0.3)).abs() < 0.02 * span,
        "from {} (want {})",
        got[0],
        t(0.3)
    );
    assert!(
        (got[1] - t(0.5)).abs() < 0.02 * span,
        "to {} (want {})",
        got[1],
        t(0.5)
    );
    assert_eq!(got[2], 1.0, "one transform shared by every plot");
    assert!(got[3] > 10.0, "every plot zoomable: {}", got[3]);
    let (_, log) = chromium(
        &bin,
        &[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
        ],
        &page,
    );
    assert!(!log.contains(":CONSOLE"), "console output: {log}");
    let bytes = std::fs::read(&pdf).expect("a PDF");
    assert!(
        bytes.starts_with(b"%PDF") && bytes.len() > 50_000,
        "{} bytes",
        bytes.len()
    );
    let count = |pat: &[u8]| bytes.windows(pat.len()).filter(|w| *w == pat).count();
    let pages = count(b"/Type /Page") - count(b"/Type /Pages");
    assert!(pages >= 3, "the whole page printed: {pages} PDF pages");
    eprintln!("direct.pdf: {} bytes, {pages} pages", bytes.len());
}

/// A webrtc-internals dump built from the real getStats() snapshot of the direct call: each
/// inbound-rtp entry's bytesReceived, packetsLost and jitter, and the selected candidate
/// pair's currentRoundTripTime, as three samples over the call (ISO 8601 times, values as a
/// JSON string, as Chromium writes them). The page plots them on the capture's time axis:
/// the bitrate beside the wire's in the stream of the same SSRC, every series in the browser
/// section, with the rates the samples give.
#[test]
fn a_webrtc_internals_dump_is_plotted_beside_the_wire() {
    let name = "direct";
    let snap: Vec<Value> = serde_json::from_slice(
        &std::fs::read(rtcscope_testkit::workspace_root().join(fixture(name, "stats-a.json")))
            .unwrap(),
    )
    .unwrap();
    let want = analyze(name);
    // Whole milliseconds, as the dump's ISO times have them.
    let t0 = want["start_ns"].as_i64().unwrap() / 1_000_000 * 1_000_000;
    let t1 = t0 + 10_000_000_000;
    let iso = |ns: i64| {
        chrono::DateTime::from_timestamp_nanos(ns)
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    };
    let mut stats = serde_json::Map::new();
    let mut put = |id: &str, ty: &str, field: &str, values: [f64; 3]| {
        stats.insert(
            format!("{id}-{field}"),
            serde_json::json!({
                "startTime": iso(t0), "endTime": iso(t1), "statsType": ty,
                "values": serde_json::to_string(&values).unwrap(),
            }),
        );
    };
    let mut inbound = Vec::new();
    for e in &snap {
        let id = e["id"].as_str().unwrap();
        match e["type"].as_str() {
            Some("inbound-rtp") => {
                let b = e["bytesReceived"].as_f64().unwrap();
                let s = e["ssrc"].as_f64().unwrap();
                put(id, "inbound-rtp", "ssrc", [s, s, s]);
                put(id, "inbound-rtp", "bytesReceived", [0.0, b / 2.0, b]);
                let lost = e["packetsLost"].as_f64().unwrap();
                put(id, "inbound-rtp", "packetsLost", [0.0, lost, lost]);
                let j = e["jitter"].as_f64().unwrap();
                put(id, "inbound-rtp", "jitter", [j, j, j]);
                inbound.push((e["ssrc"].as_u64().unwrap(), b));
            }
            Some("candidate-pair") if e["nominated"] == true => {
                let rtt = e["currentRoundTripTime"].as_f64().unwrap_or(0.001);
                put(
                    id,
                    "candidate-pair",
                    "currentRoundTripTime",
                    [rtt, rtt, rtt],
                );
            }
            _ => {}
        }
    }
    assert!(inbound.len() >= 2, "audio and video received");
    let dump = serde_json::json!({
        "getUserMedia": [],
        "PeerConnections": {"1-1": {"pc": "x", "stats": stats, "updateLog": []}},
        "UserAgent": "test",
    });
    let path = out_dir().join("internals-dump.json");
    std::fs::write(&path, serde_json::to_vec(&dump).unwrap()).unwrap();
    let out = out_dir().join("internals.html");
    let o = run(&[
        "report",
        &fixture(name, "capture.pcapng"),
        "-o",
        out.to_str().unwrap(),
        "--stats",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(&out).unwrap();
    let d = data_block(&html);
    assert_eq!(d["stats"]["format"], "webrtc-internals");
    let series = d["stats"]["series"].as_array().unwrap();
    // Three metrics per inbound SSRC, and the pair's RTT.
    assert_eq!(series.len(), inbound.len() * 3 + 1, "{series:?}");
    let browser = element(&html, "<section id=\"browser-stats\">", "</section>");
    assert_eq!(
        browser.matches("<polyline class=\"browser\"").count(),
        series.len()
    );
    assert!(browser.contains("data-plot=\"browser-rtt\""));
    for (ssrc, bytes) in inbound {
        let s = series
            .iter()
            .find(|s| s["ssrc"] == ssrc && s["metric"] == "bitrate")
            .unwrap();
        // Two rates from three samples 5 s apart: half the bytes each.
        let rate = bytes / 2.0 * 8.0 / 5.0;
        let points = s["points"].as_array().unwrap();
        assert_eq!(points.len(), 2);
        for p in points {
            assert!(close(p[1].as_f64().unwrap(), rate), "{p} vs {rate}");
        }
        assert_eq!(points[1][0], t1);
        // Beside the wire's bitrate, in the stream of that SSRC.
        let i = want["streams"]
            .as_array()
            .unwrap()
            .iter()
            .position(|s| s["ssrc"] == ssrc)
            .unwrap();
        let art = element(
            &html,
            &format!("<article class=\"stream\" data-stream=\"{i}\""),
            "</article>",
        );
        let plot = element(art, "data-plot=\"bitrate\"", "</svg>");
        let line = element(plot, "<polyline class=\"browser\"", "/>");
        assert_eq!(attr(line, "data-points"), Some("2"));
        assert!(art.contains("data-plot=\"jitter\""));
    }
}

/// An inbound-rtp entry's real figures: SSRC, bytesReceived, packetsLost, jitter (s).
type Inbound = (u64, f64, f64, f64);
/// One getStats() report: stats objects by id.
type Reports = serde_json::Map<String, Value>;

/// Three getStats() reports of the direct call, made from its real snapshot (`stats-a.json`,
/// every object of it): at the capture's start (whole milliseconds), 5 s and 10 s later, each
/// object's `timestamp` the report's time; the inbound-rtp entries' `bytesReceived` at 0, half
/// and all of the real count, `packetsLost` at 0 and then the real count, the rest as recorded.
/// Returns the reports (ms, {id: object}) and the inbound (SSRC, bytes, lost, jitter) figures.
fn getstats_samples() -> (Vec<(f64, Reports)>, Vec<Inbound>) {
    let snap: Vec<Value> = serde_json::from_slice(
        &std::fs::read(rtcscope_testkit::workspace_root().join(fixture("direct", "stats-a.json")))
            .unwrap(),
    )
    .unwrap();
    let t0 = (analyze("direct")["start_ns"].as_i64().unwrap() / 1_000_000) as f64;
    let mut inbound = Vec::new();
    let reports = (0..3)
        .map(|k| {
            let t = t0 + 5000.0 * k as f64;
            let mut m = serde_json::Map::new();
            for e in &snap {
                let mut e = e.clone();
                e["timestamp"] = t.into();
                if e["type"] == "inbound-rtp" {
                    let b = e["bytesReceived"].as_f64().unwrap();
                    let lost = e["packetsLost"].as_f64().unwrap();
                    if k == 2 {
                        inbound.push((
                            e["ssrc"].as_u64().unwrap(),
                            b,
                            lost,
                            e["jitter"].as_f64().unwrap(),
                        ));
                    }
                    e["bytesReceived"] = [0.0, (b / 2.0).floor(), b][k].into();
                    e["packetsLost"] = [0.0, lost, lost][k].into();
                }
                m.insert(e["id"].as_str().unwrap().to_owned(), e);
            }
            (t, m)
        })
        .collect();
    (reports, inbound)
}

/// rtcstats.js's classic delta compression (`deltaCompression` in rtcstats.js 3.x): each
/// report without its `id` and without the fields equal to the previous report's; the newest
/// `timestamp` collapsed to 0 and given once at the top.
fn classic_delta(
    prev: &serde_json::Map<String, Value>,
    now: &serde_json::Map<String, Value>,
) -> Value {
    let mut out = serde_json::Map::new();
    let newest = now
        .values()
        .filter_map(|r| r["timestamp"].as_f64())
        .fold(f64::MIN, f64::max);
    for (id, r) in now {
        let mut r = r.as_object().unwrap().clone();
        r.remove("id");
        if let Some(p) = prev.get(id) {
            r.retain(|k, v| p.get(k) != Some(v));
        }
        if r.get("timestamp").and_then(Value::as_f64) == Some(newest) {
            r.insert("timestamp".into(), 0.into());
        }
        out.insert(id.clone(), Value::Object(r));
    }
    out.insert("timestamp".into(), newest.into());
    Value::Object(out)
}

/// File format 3's compression (rtcstats-shared `statsCompression`), written out here from
/// its published tables: ids replaced by numbers, unchanged reports left out, the newest
/// timestamp moved to the top as `t`, property names and types through the static tables.
fn v3_delta(
    prev: &serde_json::Map<String, Value>,
    now: &serde_json::Map<String, Value>,
    ids: &mut Vec<String>,
) -> Value {
    const PROPS: &[(&str, &str)] = &[
        ("timestamp", "t"),
        ("ssrc", "10"),
        ("kind", "11"),
        ("packetsReceived", "14"),
        ("packetsLost", "15"),
        ("jitter", "16"),
        ("bytesReceived", "41"),
        ("packetsSent", "79"),
        ("bytesSent", "80"),
        ("currentRoundTripTime", "152"),
    ];
    const TYPES: &[(&str, u64)] = &[
        ("inbound-rtp", 1),
        ("outbound-rtp", 2),
        ("candidate-pair", 6),
        ("codec", 14),
    ];
    let newest = now
        .values()
        .filter_map(|r| r["timestamp"].as_f64())
        .fold(f64::MIN, f64::max);
    let mut out = serde_json::Map::new();
    for (id, r) in now {
        if r["type"] == "certificate" {
            continue;
        }
        let mut r = r.as_object().unwrap().clone();
        r.remove("id");
        if let Some(p) = prev.get(id) {
            r.retain(|k, v| p.get(k) != Some(v));
        }
        if r.get("timestamp").and_then(Value::as_f64) == Some(newest) {
            r.remove("timestamp");
        }
        if r.is_empty() {
            continue;
        }
        let n = match ids.iter().position(|i| i == id) {
            Some(n) => n,
            None => {
                ids.push(id.clone());
                ids.len() - 1
            }
        };
        let mut c = serde_json::Map::new();
        for (k, v) in r {
            let v = match (k.as_str(), TYPES.iter().find(|t| v == t.0)) {
                ("type", Some((_, code))) => (*code).into(),
                _ => v,
            };
            let k = PROPS
                .iter()
                .find(|p| p.0 == k)
                .map_or(k, |p| p.1.to_owned());
            c.insert(k, v);
        }
        out.insert(n.to_string(), Value::Object(c));
    }
    out.insert("t".into(), newest.into());
    Value::Object(out)
}

/// The two generations of rtcstats dumps of the three reports: classic (rtcstats.js and
/// rtcstats-server: a `connectionInfo` line first, absolute times, `getstats`) and file
/// format 3 (`RTCStatsDump`, a metadata object, times as deltas, `g` for getStats).
fn rtcstats_dumps() -> (String, String, Vec<Inbound>) {
    let (reports, inbound) = getstats_samples();
    let ua = "Mozilla/5.0 HeadlessChrome/156.0.0.0";
    let t_create = reports[0].0 - 1500.0;
    let mut classic = vec![
        serde_json::json!([
            "connectionInfo",
            null,
            serde_json::json!({"userAgent": ua, "clientProtocol": "3.1_STANDARD"}).to_string(),
            t_create
        ]),
        serde_json::json!(["create", "PC_0", {"iceServers": [], "browserType": "webkit"}, t_create]),
        serde_json::json!([
            "oniceconnectionstatechange",
            "PC_0",
            "connected",
            t_create + 700.0
        ]),
    ];
    let mut v3 = vec![
        serde_json::json!([39, "0", {"iceServers": []}, t_create]),
        serde_json::json!([24, "0", "connected", 700.0]),
    ];
    let mut prev = serde_json::Map::new();
    let mut ids = Vec::new();
    let mut last = t_create + 700.0;
    for (t, now) in &reports {
        classic.push(serde_json::json!([
            "getstats",
            "PC_0",
            classic_delta(&prev, now),
            t
        ]));
        v3.push(serde_json::json!([
            "g",
            "0",
            v3_delta(&prev, now, &mut ids),
            t - last
        ]));
        last = *t;
        prev = now.clone();
    }
    classic.push(serde_json::json!(["close", "PC_0", {}, last + 900.0]));
    let lines = |v: &[Value]| v.iter().map(|l| l.to_string() + "\n").collect::<String>();
    let meta = serde_json::json!({"userAgent": ua, "fileFormat": 3, "startTime": t_create});
    (
        lines(&classic),
        format!("RTCStatsDump\n{meta}\n{}", lines(&v3)),
        inbound,
    )
}

/// An rtcstats dump of the direct call, both generations of the format, built from the real
/// getStats() snapshot: every plotted browser series carries the source's values (the rates
/// its byte counts give over the reports' own times, jitter in ms, packets lost as counted),
/// beside the wire's in the stream of the same SSRC.
#[test]
fn an_rtcstats_dump_is_plotted_beside_the_wire() {
    let (classic, v3, inbound) = rtcstats_dumps();
    assert!(inbound.len() >= 2, "audio and video received");
    let want = analyze("direct");
    let t0 = want["start_ns"].as_i64().unwrap() / 1_000_000 * 1_000_000;
    for (tag, dump) in [("classic", classic), ("v3", v3)] {
        let path = out_dir().join(format!("rtcstats-{tag}.jsonl"));
        std::fs::write(&path, &dump).unwrap();
        let out = out_dir().join(format!("rtcstats-{tag}.html"));
        let o = run(&[
            "report",
            &fixture("direct", "capture.pcapng"),
            "-o",
            out.to_str().unwrap(),
            "--stats",
            path.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{tag}: {}", stderr(&o));
        let html = std::fs::read_to_string(&out).unwrap();
        let d = data_block(&html);
        assert_eq!(d["stats"]["format"], "rtcstats", "{tag}");
        assert_eq!(d["stats"]["getstats_events"], 3, "{tag}");
        assert_eq!(
            d["stats"]["file_format"],
            if tag == "v3" {
                Value::from(3)
            } else {
                Value::Null
            }
        );
        assert_eq!(
            d["stats"]["user_agent"], "Mozilla/5.0 HeadlessChrome/156.0.0.0",
            "{tag}"
        );
        let series = d["stats"]["series"].as_array().unwrap();
        let browser = element(&html, "<section id=\"browser-stats\">", "</section>");
        assert_eq!(
            browser.matches("<polyline class=\"browser\"").count(),
            series.len(),
            "{tag}: every series plotted"
        );
        assert!(browser.contains("data-plot=\"browser-rtt\""), "{tag}");
        // The page's lines, in the data block's order, carry its numbers.
        for (k, (s, line)) in series
            .iter()
            .zip(browser.split("<polyline class=\"browser\"").skip(1))
            .enumerate()
        {
            let want: Vec<f64> = s["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p[1].as_f64().unwrap())
                .collect();
            assert_eq!(attr(line, "data-field"), s["field"].as_str(), "{tag} {k}");
            assert_eq!(
                numbers(attr(line, "data-values").unwrap()),
                want,
                "{tag} {k}"
            );
        }
        let times = [t0, t0 + 5_000_000_000, t0 + 10_000_000_000];
        for &(ssrc, bytes, lost, jitter) in &inbound {
            let get = |metric: &str| {
                series
                    .iter()
                    .find(|s| s["ssrc"] == ssrc && s["metric"] == metric)
                    .unwrap_or_else(|| panic!("{tag}: {metric} of {ssrc}"))
            };
            // Each source value, at its report's time, in the data block and on the page.
            let half = (bytes / 2.0).floor();
            let expect: [(&str, Vec<(i64, f64)>); 3] = [
                (
                    "bitrate",
                    vec![
                        (times[1], half * 8.0 / 5.0),
                        (times[2], (bytes - half) * 8.0 / 5.0),
                    ],
                ),
                (
                    "packets-lost",
                    vec![(times[0], 0.0), (times[1], lost), (times[2], lost)],
                ),
                (
                    "jitter",
                    times.iter().map(|t| (*t, jitter * 1000.0)).collect(),
                ),
            ];
            for (metric, exp) in expect {
                let s = get(metric);
                let pts: Vec<(i64, f64)> = s["points"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| (p[0].as_i64().unwrap(), p[1].as_f64().unwrap()))
                    .collect();
                assert_eq!(pts.len(), exp.len(), "{tag} {ssrc} {metric}: {pts:?}");
                for (g, e) in pts.iter().zip(&exp) {
                    assert_eq!(g.0, e.0, "{tag} {ssrc} {metric}: time");
                    assert!(close(g.1, e.1), "{tag} {ssrc} {metric}: {} vs {}", g.1, e.1);
                }
            }
            // Beside the wire's bitrate in the stream of the SSRC, with the same values.
            let i = want["streams"]
                .as_array()
                .unwrap()
                .iter()
                .position(|s| s["ssrc"] == ssrc)
                .unwrap();
            let art = element(
                &html,
                &format!("<article class=\"stream\" data-stream=\"{i}\""),
                "</article>",
            );
            let plot = element(art, "data-plot=\"bitrate\"", "</svg>");
            let line = element(plot, "<polyline class=\"browser\"", "/>");
            let got = numbers(attr(line, "data-values").unwrap());
            assert_eq!(got.len(), 2, "{tag}");
            assert!(close(got[0], half * 8.0 / 5.0) && close(got[1], (bytes - half) * 8.0 / 5.0));
            let plot = element(art, "data-plot=\"jitter\"", "</svg>");
            let line = element(plot, "<polyline class=\"browser\"", "/>");
            let got = numbers(attr(line, "data-values").unwrap());
            assert_eq!(got.len(), 3, "{tag}");
            assert!(
                got.iter().all(|g| close(*g, jitter * 1000.0)),
                "{tag}: {got:?}"
            );
        }
        // The selected pair's RTT, three samples (unchanged reports keep theirs, at each
        // report's time), beside the checks' RTT.
        let rtt = series.iter().find(|s| s["metric"] == "rtt").unwrap();
        assert_eq!(rtt["points"].as_array().unwrap().len(), 3, "{tag}: {rtt}");
    }
}

/// A damaged rtcstats dump is an error naming the file and the line, never a panic.
#[test]
fn a_bad_rtcstats_dump_names_the_file_and_line() {
    let (classic, v3, _) = rtcstats_dumps();
    let lines: Vec<&str> = classic.lines().collect();
    let cut_at = classic.find(lines[4]).unwrap() + lines[4].len() / 2;
    let v3_lines: Vec<&str> = v3.lines().collect();
    let cases: Vec<(String, String)> = vec![
        // Cut short in the middle of the second getstats line (line 5).
        (
            classic[..cut_at].to_owned(),
            "line 5: not JSON (EOF while parsing".to_owned(),
        ),
        (
            format!(
                "{}[\"getstats\",\"PC_0\",{{}},\"soon\"]\n",
                lines[..4].join("\n") + "\n"
            ),
            "line 5: the event's last element, its timestamp, is not a number".to_owned(),
        ),
        (
            format!("{}\n[\"getstats\",\"PC_0\",[1,2],5]\n", lines[0]),
            "line 2: a getStats event whose value is not an object".to_owned(),
        ),
        (
            format!("{}\n{}\n", lines[0], lines[1]),
            "none of them getStats: no statistics to plot".to_owned(),
        ),
        (
            format!("RTCStatsDump\n{{\"userAgent\":\"x\"}}\n{}\n", v3_lines[2]),
            "line 2: the metadata after RTCStatsDump has no integer \"fileFormat\"".to_owned(),
        ),
        (
            format!(
                "RTCStatsDump\n{}\n{}\n[\"g\",\"0\"]\n",
                v3_lines[1], v3_lines[2]
            ),
            "line 4: an event of 2 elements".to_owned(),
        ),
    ];
    let out = out_dir().join("bad-rtcstats.html");
    for (k, (dump, want)) in cases.iter().enumerate() {
        let path = out_dir().join(format!("bad-rtcstats-{k}.jsonl"));
        std::fs::write(&path, dump).unwrap();
        let o = run(&[
            "report",
            &fixture("direct", "capture.pcapng"),
            "-o",
            out.to_str().unwrap(),
            "--stats",
            path.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "case {k}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains(&format!("--stats {}: ", path.display())) && e.contains(want.as_str()),
            "case {k}: {e}"
        );
        assert!(!e.contains("panicked"), "case {k}: {e}");
    }
}

/// Runs `rtcscope report` on a recording with its SDPs and `extra` arguments; returns the page
/// and its path.
fn report_with(name: &str, tag: &str, extra: &[&str]) -> (String, PathBuf) {
    let out = out_dir().join(format!("{name}-{tag}.html"));
    let (offer, answer, capture) = (
        fixture(name, "offer.sdp"),
        fixture(name, "answer.sdp"),
        fixture(name, "capture.pcapng"),
    );
    let mut args = vec![
        "report",
        &capture,
        "-o",
        out.to_str().unwrap(),
        "--sdp",
        &offer,
        "--sdp",
        &answer,
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
    (std::fs::read_to_string(&out).unwrap(), out)
}

/// The frame rate comes from the engine's frame tracker when it read the frames (the Firefox
/// recordings with their DTLS key logs): each video stream's `frame-rate` plot has one point
/// per `frames.frame_rate` bucket, the bucket's complete frames over its width, and the stream's
/// table shows its frames, key frames, resolution and freezes. Without keys (the Chromium
/// recordings, SRTP) the marker-bit estimate stands, labelled as one, and says why.
#[test]
fn the_frame_rate_comes_from_the_frame_tracker() {
    let mut plotted = 0;
    for name in ["firefox-direct", "firefox-relay", "firefox-chromium"] {
        let keylog = fixture(name, "keylog.txt");
        let (html, _) = report_with(name, "frames", &["--keylog", &keylog]);
        let d = data_block(&html);
        let o = run(&[
            "analyze",
            "--json",
            &fixture(name, "capture.pcapng"),
            "--sdp",
            &fixture(name, "offer.sdp"),
            "--sdp",
            &fixture(name, "answer.sdp"),
            "--keylog",
            &keylog,
        ]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        let want: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(d["report"], want, "{name}");
        for (i, s) in want["streams"].as_array().unwrap().iter().enumerate() {
            let Some(art) = html
                .find(&format!("<article class=\"stream\" data-stream=\"{i}\""))
                .map(|_| {
                    element(
                        &html,
                        &format!("<article class=\"stream\" data-stream=\"{i}\""),
                        "</article>",
                    )
                })
            else {
                continue;
            };
            let f = &s["frames"];
            if f.is_null() {
                assert!(!art.contains("data-plot=\"frame-rate\""), "{name} {i}");
                continue;
            }
            let fr = &f["frame_rate"];
            let secs = fr["bucket_ns"].as_f64().unwrap() / 1e9;
            let want_fps: Vec<f64> = fr["frames"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_f64().unwrap() / secs)
                .collect();
            assert!(!want_fps.is_empty(), "{name} {i}");
            let svg = element(art, "data-plot=\"frame-rate\"", "</svg>");
            let line = element(svg, "<polyline", "/>");
            assert_eq!(attr(line, "data-field"), Some("frame_rate.frames"));
            assert_eq!(
                attr(line, "data-points").unwrap(),
                want_fps.len().to_string(),
                "{name} {i}: one point per bucket"
            );
            assert_eq!(
                numbers(attr(line, "data-values").unwrap()),
                want_fps,
                "{name} {i}"
            );
            // The points' x: each bucket's middle on the capture's axis; y: the values.
            assert_eq!(
                attr(line, "points").unwrap().split_whitespace().count(),
                want_fps.len()
            );
            assert!(
                art.contains(&format!(
                    "{} frames: {} ({} key, {} complete)",
                    f["codec"].as_str().unwrap(),
                    f["frames"],
                    f["key_frames"],
                    f["complete_frames"]
                )),
                "{name} {i}"
            );
            let r = &f["resolution"];
            assert!(
                art.contains(&format!("{}×{} (", r["width"], r["height"])),
                "{name} {i}"
            );
            assert!(art.contains("<th>freezes</th>"), "{name} {i}");
            assert!(!art.contains("marker-bit estimate"), "{name} {i}");
            plotted += 1;
        }
    }
    assert!(plotted >= 3, "{plotted} streams with frames");
    // Without keys: the estimate, labelled, and why.
    let (html, _) = report("direct", "frames");
    assert!(html.contains("<th>frame rate (marker-bit estimate)</th>"));
    assert!(html.contains("not known (SRTP; --keylog"));
    assert!(!html.contains("data-plot=\"frame-rate\""));
}

/// What the Firefox test reads from each page after its scripts ran.
const FIREFOX_PROBE: &str = r##"
  var root = document.documentElement;
  var data = JSON.parse(document.getElementById("rtcscope-data").textContent);
  var q = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };
  return {
    readyState: document.readyState,
    height: document.documentElement.scrollHeight,
    ready: root.getAttribute("data-rtcscope"),
    scriptError: root.getAttribute("data-script-error"),
    cspViolation: root.getAttribute("data-csp-violation"),
    resources: performance.getEntriesByType("resource").map(function (e) { return e.name; }),
    sections: q("main > section").map(function (s) { return s.id; }),
    packetsShown: Number(document.querySelector('[data-k="packets"]').textContent),
    packetsInData: data.report.counters.packets,
    streamsAttr: Number(root.getAttribute("data-streams")),
    streamsInData: data.report.streams.length,
    zoomButtons: q("#zoombar button").map(function (b) { return b.textContent; }),
    zoomGroups: q("g.tz").length,
    zoomTransformed: q("g.tz").filter(function (g) { return g.getAttribute("transform"); }).length,
    plots: q("article.stream").map(function (a) {
      var l = a.querySelector('svg[data-plot="bitrate"] polyline');
      return { stream: Number(a.getAttribute("data-stream")),
               values: l.getAttribute("data-values"),
               points: l.getAttribute("points").trim().split(/\s+/).length,
               width: a.querySelector('svg[data-plot="bitrate"]').getBoundingClientRect().width };
    }),
  };
"##;

/// Headless Firefox (Debian's `firefox-esr`, which scripts/install-deps.sh installs) opens the
/// reports offline, driven over its Marionette protocol (rtcscope_testkit::marionette): the
/// script ran to its end and recorded no error and no blocked request, the page fetched
/// nothing, every section is in the DOM in order, the zoom controls are there, and the numbers
/// the page's own script reads from the embedded data block are the report's: packets, streams,
/// and each stream's bitrate values from its buckets. Screenshots of the whole page (Chromium's
/// are of the first 3000 pixels) go beside Chromium's, in target/report-screenshots/firefox-*.png.
#[test]
fn firefox_opens_the_reports_offline() {
    let Some(bin) =
        rtcscope_testkit::require_tool("firefox_opens_the_reports_offline", "firefox-esr")
    else {
        return;
    };
    let shots = rtcscope_testkit::workspace_root().join("target/report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let pages: Vec<(&str, PathBuf, Value)> = [
        ("direct", report("direct", "firefox").1),
        ("relay", report("relay", "firefox").1),
        ("fail-one-way", report("fail-one-way", "firefox").1),
        (
            "firefox-direct",
            report_with(
                "firefox-direct",
                "firefox",
                &["--keylog", &fixture("firefox-direct", "keylog.txt")],
            )
            .1,
        ),
    ]
    .into_iter()
    .map(|(n, p)| {
        let html = std::fs::read_to_string(&p).unwrap();
        (n, p, data_block(&html)["report"].clone())
    })
    .collect();
    let mut ff = rtcscope_testkit::marionette::Firefox::launch(
        &bin,
        &out_dir().join("firefox-profile"),
        std::time::Duration::from_secs(90),
    )
    .unwrap_or_else(|e| panic!("firefox: {e}"));
    ff.set_window_size(1200, 3000).unwrap();
    for (name, page, want) in &pages {
        ff.navigate(&format!("file://{}", page.display()))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = ff
            .execute(FIREFOX_PROBE)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got["readyState"], "complete", "{name}: {got}");
        assert_eq!(
            got["ready"], "ready",
            "{name}: the script ran to its end: {got}"
        );
        assert!(
            got["scriptError"].is_null(),
            "{name}: a script error: {got}"
        );
        assert!(
            got["cspViolation"].is_null(),
            "{name}: a blocked request: {got}"
        );
        assert_eq!(
            got["resources"],
            serde_json::json!([]),
            "{name}: fetched nothing"
        );
        assert_eq!(
            got["sections"],
            serde_json::json!(SECTIONS),
            "{name}: every section, in order"
        );
        assert_eq!(
            got["zoomButtons"],
            serde_json::json!(["zoom out", "reset zoom"])
        );
        let groups = got["zoomGroups"].as_u64().unwrap();
        assert!(
            groups > 10 && got["zoomTransformed"] == groups,
            "{name}: {got}"
        );
        assert_eq!(got["packetsShown"], want["counters"]["packets"], "{name}");
        assert_eq!(got["packetsInData"], want["counters"]["packets"], "{name}");
        let streams = want["streams"].as_array().unwrap();
        assert_eq!(got["streamsAttr"], streams.len(), "{name}");
        assert_eq!(got["streamsInData"], streams.len(), "{name}");
        let plots = got["plots"].as_array().unwrap();
        assert_eq!(plots.len(), streams.len().min(48), "{name}");
        for p in plots {
            let s = &streams[p["stream"].as_u64().unwrap() as usize];
            let buckets = s["series"]["buckets"].as_array().unwrap();
            let secs = s["series"]["bucket_ns"].as_f64().unwrap() / 1e9;
            let want: Vec<f64> = buckets
                .iter()
                .map(|b| b["bytes_fwd"].as_f64().unwrap() * 8.0 / secs)
                .collect();
            assert_eq!(numbers(p["values"].as_str().unwrap()), want, "{name}");
            assert_eq!(p["points"], buckets.len(), "{name}");
            // Laid out: the plot spans the column (not collapsed to nothing).
            assert!(p["width"].as_f64().unwrap() > 600.0, "{name}: {p}");
        }
        eprintln!("{name}: page height {}", got["height"]);
        let png = ff
            .screenshot(true)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{name}: a screenshot"
        );
        std::fs::write(shots.join(format!("firefox-{name}.png")), png).unwrap();
    }
    drop(ff);
    eprintln!("firefox screenshots in {}", shots.display());
}
