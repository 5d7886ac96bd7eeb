//! Text from the wire, made safe to print on a terminal.
//!
//! Strings decoded from packets or sent by servers (STUN USERNAME, REALM, NONCE, SOFTWARE,
//! error reason phrases, DTLS and TLS names, SCTP data-channel labels, anything else read off
//! the wire) are chosen by whoever sent them. Printed as they are, an ESC starts a terminal
//! control sequence (clear the screen, set the window title, move the cursor), a CR or LF forges
//! a line of the report (a fake `ok`), and a bidi override makes what follows read backwards.
//! Every text output (reports, `dissect` lines and trees, the terminal UI) therefore writes such
//! strings through [`Escaped`] or [`EscapedBytes`], or [`escape`] / [`escape_bytes`] where a
//! string is needed. JSON output needs none of this: serde_json escapes control characters
//! itself, and JSON keeps the text exactly as it came.
//!
//! What is escaped ([`needs_escape`]):
//!
//! * C0 controls U+0000–U+001F and DEL U+007F: `\t`, `\n`, `\r`, else `\x1b` (two hex digits);
//! * C1 controls U+0080–U+009F (U+009B is a one-character CSI on some terminals): `\u{9b}`;
//! * bidi embeddings and overrides U+202A–U+202E and isolates U+2066–U+2069: `\u{202e}`;
//! * with [`EscapedBytes`], each byte that is not part of valid UTF-8: `\xff`. A `\xNN` with
//!   `NN` below `80` is therefore always a control character, and one at or above `80` always a
//!   stray byte.
//!
//! Everything else is written unchanged, non-ASCII letters and backslashes included: the result
//! is for reading, not for parsing back. Nothing allocates when nothing needs escaping.
//!
//! ```
//! use rtcscope_wire::text::{escape, Escaped};
//! assert_eq!(Escaped("ok\x1b[2J\nok").to_string(), r"ok\x1b[2J\nok");
//! assert_eq!(escape("\u{202e}evil"), r"\u{202e}evil");
//! assert!(matches!(escape("Grüße, 世界"), std::borrow::Cow::Borrowed(_)));
//! ```

use core::fmt;
use std::borrow::Cow;

/// True for the characters that are escaped: C0 controls, DEL, C1 controls, and the bidi
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
#[inline]
pub const fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// True when `s` has a character that [`needs_escape`].
#[inline]
pub fn has_escapes(s: &str) -> bool {
    // Printable ASCII is by far the common case and is checked a byte at a time.
    !s.bytes().all(|b| (0x20..0x7f).contains(&b)) && s.chars().any(needs_escape)
}

/// Writes one character that [`needs_escape`] in its escaped form.
fn write_escape(out: &mut impl fmt::Write, c: char) -> fmt::Result {
    match c {
        '\t' => out.write_str("\\t"),
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        '\0'..='\x1f' | '\x7f' => write!(out, "\\x{:02x}", u32::from(c)),
        _ => write!(out, "\\u{{{:x}}}", u32::from(c)),
    }
}

/// Writes `s` with every character that [`needs_escape`] escaped, the runs between them as
/// they are.
fn write_str_escaped(out: &mut impl fmt::Write, s: &str) -> fmt::Result {
    let mut run = 0;
    for (i, c) in s.char_indices() {
        if needs_escape(c) {
            out.write_str(&s[run..i])?;
            write_escape(out, c)?;
            run = i + c.len_utf8();
        }
    }
    out.write_str(&s[run..])
}

/// Writes bytes as text: valid UTF-8 through [`write_str_escaped`], other bytes as `\xNN`.
fn write_bytes_escaped(out: &mut impl fmt::Write, b: &[u8]) -> fmt::Result {
    for chunk in b.utf8_chunks() {
        write_str_escaped(out, chunk.valid())?;
        for x in chunk.invalid() {
            write!(out, "\\x{x:02x}")?;
        }
    }
    Ok(())
}

/// Displays a string with its control characters and bidi overrides escaped (see the
/// [module documentation](self)).
///
/// Width, fill, alignment and precision (`{:<21}`) apply to the escaped text. It writes straight
/// to the formatter and does not allocate, except when the text both needs escaping and is
/// padded or cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !has_escapes(self.0) {
            f.pad(self.0)
        } else if f.width().is_none() && f.precision().is_none() {
            write_str_escaped(f, self.0)
        } else {
            let mut s = String::new();
            write_str_escaped(&mut s, self.0)?;
            f.pad(&s)
        }
    }
}

/// Displays bytes as text: valid UTF-8 as [`Escaped`] does, each other byte as `\xNN`.
///
/// Formatting options and allocation as for [`Escaped`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EscapedBytes<'a>(pub &'a [u8]);

impl fmt::Display for EscapedBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match core::str::from_utf8(self.0) {
            Ok(s) => Escaped(s).fmt(f),
            Err(_) if f.width().is_none() && f.precision().is_none() => {
                write_bytes_escaped(f, self.0)
            }
            Err(_) => {
                let mut s = String::new();
                write_bytes_escaped(&mut s, self.0)?;
                f.pad(&s)
            }
        }
    }
}

/// `s` with its control characters and bidi overrides escaped: borrowed, without allocating,
/// when there is nothing to escape.
pub fn escape(s: &str) -> Cow<'_, str> {
    if has_escapes(s) {
        let mut out = String::with_capacity(s.len() + 8);
        let _ = write_str_escaped(&mut out, s);
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    }
}

/// `b` as text, as [`EscapedBytes`] displays it: borrowed, without allocating, when it is valid
/// UTF-8 with nothing to escape.
pub fn escape_bytes(b: &[u8]) -> Cow<'_, str> {
    match core::str::from_utf8(b) {
        Ok(s) => escape(s),
        Err(_) => {
            let mut out = String::with_capacity(b.len() + 8);
            let _ = write_bytes_escaped(&mut out, b);
            Cow::Owned(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_c0_control_and_del() {
        for b in (0u8..0x20).chain([0x7f]) {
            let c = char::from(b);
            assert!(needs_escape(c), "{b:#x}");
            let want = match b {
                b'\t' => r"\t".to_owned(),
                b'\n' => r"\n".to_owned(),
                b'\r' => r"\r".to_owned(),
                _ => format!("\\x{b:02x}"),
            };
            let s = format!("a{c}b");
            assert_eq!(Escaped(&s).to_string(), format!("a{want}b"));
            assert_eq!(escape(&s), format!("a{want}b"));
        }
        assert_eq!(Escaped("\x1b[2J").to_string(), r"\x1b[2J");
        assert_eq!(Escaped("\0").to_string(), r"\x00");
        assert_eq!(Escaped("\x7f").to_string(), r"\x7f");
    }

    #[test]
    fn every_c1_control() {
        for u in 0x80u32..=0x9f {
            let c = char::from_u32(u).unwrap();
            assert!(needs_escape(c), "{u:#x}");
            assert_eq!(Escaped(&c.to_string()).to_string(), format!("\\u{{{u:x}}}"));
        }
        // The single-character CSI.
        assert_eq!(escape("\u{9b}2J"), r"\u{9b}2J");
    }

    #[test]
    fn bidi_embeddings_overrides_and_isolates() {
        for u in (0x202au32..=0x202e).chain(0x2066..=0x2069) {
            let c = char::from_u32(u).unwrap();
            assert!(needs_escape(c), "{u:#x}");
            assert_eq!(escape(&format!("x{c}y")), format!("x\\u{{{u:x}}}y"));
        }
        assert_eq!(
            Escaped("user\u{202e}txt.exe").to_string(),
            r"user\u{202e}txt.exe"
        );
    }

    #[test]
    fn ordinary_text_is_untouched() {
        for s in [
            "",
            "alice:bob",
            "coturn-4.6.2 'Gorst'",
            "Grüße, ñandú, Ελλάδα, 世界, 🙂",
            // Neighbours of the escaped ranges.
            " ~\u{a0}\u{2029}\u{202f}\u{2065}\u{206a}",
            r"back\slash \x1b stays",
        ] {
            assert_eq!(Escaped(s).to_string(), s);
            assert!(matches!(escape(s), Cow::Borrowed(b) if b == s), "{s:?}");
            assert!(matches!(escape_bytes(s.as_bytes()), Cow::Borrowed(b) if b == s));
            assert!(!has_escapes(s));
        }
    }

    #[test]
    fn forged_lines_and_titles_stay_on_one_line() {
        let hostile = "x\r\nok  Allocate\x1b]0;pwned\x07\x1b[2J";
        let out = Escaped(hostile).to_string();
        assert_eq!(out, r"x\r\nok  Allocate\x1b]0;pwned\x07\x1b[2J");
        assert!(out.chars().all(|c| !c.is_control()));
    }

    #[test]
    fn bytes_mark_invalid_utf8() {
        assert_eq!(EscapedBytes(b"ab\xffc\x1b").to_string(), r"ab\xffc\x1b");
        assert_eq!(escape_bytes(b"\xc3"), r"\xc3");
        assert_eq!(escape_bytes("é\u{85}".as_bytes()), r"é\u{85}");
        assert_eq!(EscapedBytes("Grüße".as_bytes()).to_string(), "Grüße");
    }

    #[test]
    fn padding_applies_to_the_escaped_text() {
        assert_eq!(format!("[{:<6}]", Escaped("ab")), "[ab    ]");
        assert_eq!(format!("[{:>6}]", Escaped("a\nb")), "[  a\\nb]");
        assert_eq!(format!("[{:.3}]", Escaped("\x1bxyz")), "[\\x1]");
        assert_eq!(format!("[{:<5}]", EscapedBytes(b"\xff")), "[\\xff ]");
    }

    proptest::proptest! {
        #[test]
        fn output_never_holds_what_needs_escaping(s in "\\PC*|[\\x00-\\x{a0}\\x{2060}-\\x{2070}\\x{2028}-\\x{2030}]*") {
            let out = Escaped(&s).to_string();
            proptest::prop_assert!(!out.chars().any(needs_escape));
            proptest::prop_assert_eq!(&out, &escape(&s));
            proptest::prop_assert_eq!(&out, &EscapedBytes(s.as_bytes()).to_string());
        }

        #[test]
        fn bytes_never_hold_what_needs_escaping(b in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let out = EscapedBytes(&b).to_string();
            proptest::prop_assert!(!out.chars().any(needs_escape));
            proptest::prop_assert_eq!(&out, &escape_bytes(&b));
        }
    }
}
