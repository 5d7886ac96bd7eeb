//! A capture whose STUN strings are crafted to attack the terminal: USERNAME, REALM, NONCE,
//! SOFTWARE and an ERROR-CODE reason phrase carrying ESC [2J (clear the screen), an OSC window
//! title (ESC ] 0 ; … BEL), a C1 CSI, a bidi override, and CR LF followed by a forged line.
//! The text outputs of `rtcscope analyze` and `rtcscope dissect` (one line per packet and `-V`)
//! must show that text escaped: no raw ESC, BEL, CR, C1 control or bidi override reaches
//! standard output or standard error, and no forged line starts a line of its own. `--json`
//! keeps the text exactly as it came (serde_json escapes it).

use rtcscope_tests::{run_with_stdin, stderr, stdout};

use rtcscope_testkit::hostile_capture::{
    acted_on, hostile_capture, FORGED, REALM, REASON, USERNAME,
};

/// Asserts that `text` (one output stream of one command) holds nothing a terminal acts on
/// and no forged line, and returns it.
fn assert_safe(what: &str, text: &[u8]) -> String {
    let text =
        String::from_utf8(text.to_vec()).unwrap_or_else(|e| panic!("{what}: not UTF-8: {e}"));
    for c in text.chars() {
        assert!(!acted_on(c), "{what}: raw {c:?} in the output:\n{text}");
    }
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with(FORGED),
            "{what}: a forged line stands on its own:\n{text}"
        );
        // Wherever the forged text shows, it follows an escaped line break on the same line.
        if line.contains(FORGED) {
            assert!(
                line.contains(&format!(r"\n{FORGED}")) || line.contains(&format!(r"\r{FORGED}")),
                "{what}: {line:?}"
            );
        }
    }
    text
}

#[test]
fn analyze_text_report_escapes_wire_strings() {
    let out = run_with_stdin(&["analyze", "-r", "-"], &hostile_capture());
    let err = assert_safe("analyze stderr", &out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let text = assert_safe("analyze stdout", &out.stdout);
    // The strings are shown, escaped, not dropped.
    for shown in [
        r"user mallory\x1b[2J\x1b]0;pwned\x07\r\nok  FORGED Allocate succeeded",
        r"Allocate error 401 Unauthorized\x1b[31m\r\nok  FORGED Allocate succeeded",
        r"ufrag\x1b[2J",
        r"peer\x07\r\nok  FORGED",
    ] {
        assert!(text.contains(shown), "{shown} missing from:\n{text}");
    }
}

#[test]
fn dissect_lines_and_tree_escape_wire_strings() {
    let capture = hostile_capture();
    let lines = run_with_stdin(&["dissect", "-r", "-"], &capture);
    let err = assert_safe("dissect stderr", &lines.stderr);
    assert_eq!(lines.status.code(), Some(0), "{err}");
    let text = assert_safe("dissect stdout", &lines.stdout);
    assert_eq!(text.lines().count(), 4, "one line per packet:\n{text}");
    assert!(
        text.contains(r"error=401 Unauthorized\x1b[31m\r\nok  FORGED"),
        "{text}"
    );

    let tree = run_with_stdin(&["dissect", "-V", "-r", "-"], &capture);
    let err = assert_safe("dissect -V stderr", &tree.stderr);
    assert_eq!(tree.status.code(), Some(0), "{err}");
    let text = assert_safe("dissect -V stdout", &tree.stdout);
    for shown in [
        r"mallory\x1b[2J\x1b]0;pwned\x07\r\nok  FORGED",
        r"realm\x1b]0;title\x07\u{202e}txt.exe\r\nok  FORGED",
        r"nonce\x1b[H\x1b[2J\rok  FORGED",
        r"soft\u{9b}2J\u{2066}ware\r\nok  FORGED",
        r"401 Unauthorized\x1b[31m\r\nok  FORGED",
        r"487 Unauthorized\x1b[31m\r\nok  FORGED",
    ] {
        assert!(text.contains(shown), "{shown} missing from:\n{text}");
    }
}

#[test]
fn json_keeps_the_text_as_it_came() {
    let out = run_with_stdin(&["analyze", "--json", "-r", "-"], &hostile_capture());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!out.stdout.contains(&0x1b), "serde_json escapes ESC");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let alloc = &report["turn_allocations"][0];
    assert_eq!(alloc["username"], USERNAME, "{}", stdout(&out));
    assert_eq!(alloc["realm"], REALM);
    assert_eq!(alloc["errors"][0]["reason"], REASON);
}
