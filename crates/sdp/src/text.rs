//! Small text helpers shared by the line and attribute parsers: a token cursor that remembers
//! byte offsets, strict decimal numbers, and the located errors built from them.

use core::fmt;
use rtcscope_wire::{Error, Layer};

/// A located SDP error together with the text it is about.
///
/// `error` carries the layer ([`Layer::Sdp`]), the absolute byte offset of the offending token in
/// the parsed text, the field name and what was expected; `token` is the offending token itself
/// (empty when the field was missing), so a message can quote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldError<'a> {
    /// The located error.
    pub error: Error,
    /// The offending token (empty when the field is missing).
    pub token: &'a str,
}

impl fmt::Display for FieldError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.token.is_empty() {
            write!(
                f,
                "SDP at byte {}: {} is missing",
                self.error.offset, self.error.field
            )
        } else {
            let expected = match self.error.kind {
                rtcscope_wire::ErrorKind::BadValue { expected, .. } => expected,
                _ => "a valid value",
            };
            write!(
                f,
                "SDP at byte {}: {}: expected {expected}, found `{}`",
                self.error.offset,
                self.error.field,
                Clip(self.token)
            )
        }
    }
}

/// Displays at most 60 characters of a string (long garbage tokens from fuzzers stay readable).
pub(crate) struct Clip<'a>(pub &'a str);

impl fmt::Display for Clip<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, c) in self.0.chars().enumerate() {
            if n == 60 {
                return f.write_str("…");
            }
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// The result type of field parsers.
pub(crate) type PResult<'a, T> = Result<T, FieldError<'a>>;

/// A field that is not there.
pub(crate) fn missing<'a>(offset: usize, field: &'static str) -> FieldError<'a> {
    FieldError {
        error: Error::truncated(Layer::Sdp, offset, field, 1, 0),
        token: "",
    }
}

/// A field whose value is not allowed. `found` in the wire error is the first byte of the token.
pub(crate) fn bad<'a>(
    offset: usize,
    token: &'a str,
    field: &'static str,
    expected: &'static str,
) -> FieldError<'a> {
    FieldError {
        error: Error::bad_value(
            Layer::Sdp,
            offset,
            field,
            expected,
            token.bytes().next().map_or(0, u64::from),
        ),
        token,
    }
}

/// A cursor over whitespace-separated tokens of one line value, tracking absolute offsets.
///
/// RFC 8866 §9 separates fields by a single SP; browsers and gateways sometimes emit two, or a
/// tab, so runs of SP/HTAB are accepted as one separator (the linter does not flag this).
#[derive(Clone, Debug)]
pub(crate) struct Toks<'a> {
    s: &'a str,
    pos: usize,
    base: usize,
}

impl<'a> Toks<'a> {
    /// Tokens of `s`, whose first byte is at absolute offset `base`.
    pub(crate) fn new(s: &'a str, base: usize) -> Self {
        Toks { s, pos: 0, base }
    }

    fn skip_space(&mut self) {
        let b = self.s.as_bytes();
        while self.pos < b.len() && (b[self.pos] == b' ' || b[self.pos] == b'\t') {
            self.pos += 1;
        }
    }

    /// Absolute offset of the next unread byte (after skipping separators).
    pub(crate) fn offset(&mut self) -> usize {
        self.skip_space();
        self.base + self.pos
    }

    /// The next token with its absolute offset; `None` at the end of the value.
    ///
    /// A token is never empty, so every `while let Some(_) = t.next_tok()` loop consumes at
    /// least one byte per step and ends.
    pub(crate) fn next_tok(&mut self) -> Option<(usize, &'a str)> {
        let entry = self.pos;
        self.skip_space();
        let b = self.s.as_bytes();
        let start = self.pos;
        while self.pos < b.len() && b[self.pos] != b' ' && b[self.pos] != b'\t' {
            self.pos += 1;
        }
        if self.pos == start {
            return None;
        }
        debug_assert!(self.pos > entry, "Toks::next_tok did not advance");
        Some((self.base + start, &self.s[start..self.pos]))
    }

    /// The next token, or a "missing" error naming `field`.
    pub(crate) fn need(&mut self, field: &'static str) -> PResult<'a, (usize, &'a str)> {
        let off = self.offset();
        self.next_tok().ok_or_else(|| missing(off, field))
    }

    /// Everything left (separators before it skipped, trailing separators kept), if non-empty.
    pub(crate) fn rest(&mut self) -> Option<(usize, &'a str)> {
        self.skip_space();
        let r = &self.s[self.pos..];
        let off = self.base + self.pos;
        self.pos = self.s.len();
        let t = r.trim_end_matches([' ', '\t']);
        (!t.is_empty()).then_some((off, t))
    }

    /// Fails when tokens remain.
    pub(crate) fn end(&mut self, field: &'static str) -> PResult<'a, ()> {
        match self.next_tok() {
            None => Ok(()),
            Some((off, t)) => Err(bad(off, t, field, "end of line")),
        }
    }
}

/// A strict unsigned decimal (ASCII digits only, no sign, no empty string) that fits in `T`.
pub(crate) fn num<'a, T: core::str::FromStr>(
    (off, tok): (usize, &'a str),
    field: &'static str,
    expected: &'static str,
) -> PResult<'a, T> {
    if tok.is_empty() || !tok.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(off, tok, field, expected));
    }
    tok.parse().map_err(|_| bad(off, tok, field, expected))
}

/// A strict non-negative decimal number with an optional fraction (`20`, `0.5`).
pub(crate) fn decimal<'a>((off, tok): (usize, &'a str), field: &'static str) -> PResult<'a, f64> {
    let mut parts = tok.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        return Err(bad(off, tok, field, "a decimal number"));
    }
    match tok.parse::<f64>() {
        // 400 digits overflow to infinity, which would not write back as a number.
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(bad(off, tok, field, "a finite decimal number")),
    }
}

/// RFC 8866 §9 `token-char`: printable ASCII except SP and the tspecials `"(),/:;<=>?@[\]{}`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            matches!(b, 0x21 | 0x23..=0x27 | 0x2A | 0x2B | 0x2D | 0x2E | 0x30..=0x39 | 0x41..=0x5A | 0x5E..=0x7E)
        })
}

/// RFC 8839 §5.1 `ice-char`: ALPHA / DIGIT / "+" / "/".
pub(crate) fn is_ice_chars(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}
