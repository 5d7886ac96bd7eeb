//! Issue #10, "every figure true": the text `rtcscope dissect -V` and `rtcscope analyze` print
//! never contains Rust Debug formatting of a struct (`GoogNetworkInfo { network_id: 1, .. }`).

use rtcscope_testkit::fixtures;
use rtcscope_tests::run;
use std::path::{Path, PathBuf};

/// Every capture under `fixtures/`.
fn captures(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            captures(&p, out);
        } else if p.extension().is_some_and(|e| e == "pcap" || e == "pcapng") {
            out.push(p);
        }
    }
}

/// The first struct-like Debug text in `line`: `Name { field: `, as the regex
/// `[A-Z][A-Za-z]+ \{ [a-z_]+: ` would find it.
fn debug_struct(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    let mut from = 0;
    while let Some(i) = line[from..].find(" { ").map(|i| i + from) {
        from = i + 1;
        let name_start = line[..i]
            .rfind(|c: char| !c.is_ascii_alphabetic())
            .map_or(0, |j| j + 1);
        let name = &b[name_start..i];
        let field_end = line[i + 3..]
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .map_or(line.len(), |j| i + 3 + j);
        if name.len() >= 2
            && name[0].is_ascii_uppercase()
            && field_end > i + 3
            && line[field_end..].starts_with(": ")
        {
            return Some(&line[name_start..field_end + 2]);
        }
    }
    None
}

/// A count of one with a plural noun ("1 messages"): the nouns the text reports count.
fn one_plural(line: &str) -> Option<&'static str> {
    const NOUNS: [&str; 14] = [
        "messages",
        "requests",
        "responses",
        "packets",
        "sessions",
        "permissions",
        "refreshes",
        "channels",
        "allocations",
        "errors",
        "streams",
        "frames",
        "checks",
        "flows",
    ];
    let b = line.as_bytes();
    NOUNS.into_iter().find(|n| {
        line.match_indices(&format!("1 {n}")).any(|(i, _)| {
            // "11 packets", "0.1 packets" and per-direction "1/1 packets" are fine.
            let before_ok = i == 0 || !(b[i - 1].is_ascii_digit() || b"./".contains(&b[i - 1]));
            let after = b.get(i + 2 + n.len());
            before_ok && !after.is_some_and(|c| c.is_ascii_alphanumeric())
        })
    })
}

#[test]
fn the_matcher_finds_one_with_a_plural() {
    assert_eq!(
        one_plural("channel 0x4000 → 10.0.0.1:5: 1 messages"),
        Some("messages")
    );
    assert_eq!(one_plural("1 sessions"), Some("sessions"));
    assert_eq!(one_plural("11 messages, 21 packets, 0.1 frames"), None);
    assert_eq!(one_plural("1 message, 1 packet"), None);
}

#[test]
fn the_matcher_finds_debug_structs() {
    assert_eq!(
        debug_struct("  Value: GoogNetworkInfo { network_id: 1, network_cost: 0 }"),
        Some("GoogNetworkInfo { network_id: ")
    );
    assert_eq!(
        debug_struct("Bind { server: 0, round: 0 } socket"),
        Some("Bind { server: ")
    );
    assert_eq!(debug_struct("a { b: c } and {x: 1} and Name {}"), None);
}

#[test]
fn dissect_and_analyze_print_no_debug_structs() {
    let mut files = Vec::new();
    captures(&fixtures(), &mut files);
    assert!(files.len() >= 10, "{files:?}");
    let mut found = Vec::new();
    for f in &files {
        let path = f.to_str().unwrap();
        for args in [&["dissect", "-V", path][..], &["analyze", path][..]] {
            let out = run(args);
            let text = String::from_utf8_lossy(&out.stdout);
            for line in text.lines() {
                if let Some(d) = debug_struct(line) {
                    found.push(format!("{} {}: {d} in {line:?}", args[0], f.display()));
                    break;
                }
                if let Some(n) = one_plural(line) {
                    found.push(format!(
                        "{} {}: \"1 {n}\" in {line:?}",
                        args[0],
                        f.display()
                    ));
                    break;
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "Debug text in the output:\n{}",
        found.join("\n")
    );
}

/// Pair states print by their names ("in progress", "timed out"), never as lowercased Debug
/// ("inprogress", "timedout") or the JSON's identifiers; the recording of a call that failed
/// behind a symmetric NAT (fixtures/webrtc/fail-symmetric-nat) has pairs still in progress.
#[test]
fn pair_states_print_by_name() {
    let mut files = Vec::new();
    captures(&fixtures(), &mut files);
    let mut found = Vec::new();
    let mut in_progress = 0;
    for f in &files {
        let out = run(&["analyze", f.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&out.stdout);
        for line in text.lines() {
            for bad in ["inprogress", "timedout", "in_progress", "timed_out"] {
                if line.contains(bad) {
                    found.push(format!("{}: {line:?}", f.display()));
                }
            }
            in_progress += usize::from(line.contains(" in progress "));
        }
    }
    assert!(in_progress > 0, "no pair in progress in any fixture");
    assert!(found.is_empty(), "{}", found.join("\n"));
}
