//! Small formatting helpers shared by the protocol trees.

use core::fmt::Write as _;

/// At most this many bytes are printed as hex in a value; longer fields are cut with `…`.
const HEX_PREVIEW: usize = 32;

/// Lowercase hex of all of `b`.
pub(crate) fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(2 * b.len());
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// Lowercase hex of the first bytes of `b`, with `…` when cut.
pub(crate) fn hex_preview(b: &[u8]) -> String {
    if b.is_empty() {
        "empty".to_owned()
    } else if b.len() <= HEX_PREVIEW {
        hex(b)
    } else {
        format!("{}… ({} bytes)", hex(&b[..HEX_PREVIEW]), b.len())
    }
}

/// Text when the bytes are printable UTF-8, else hex; cut at 64 characters.
pub(crate) fn text_or_hex(b: &[u8]) -> String {
    match core::str::from_utf8(b) {
        Ok(s) if s.chars().all(|c| !c.is_control() || c == '\n' || c == '\t') => {
            let cut: String = s.chars().take(64).collect();
            if cut.len() < s.len() {
                format!("{cut:?}… ({} bytes)", b.len())
            } else {
                format!("{cut:?}")
            }
        }
        _ => hex_preview(b),
    }
}

/// `1 byte` / `N bytes`.
pub(crate) fn bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".to_owned()
    } else {
        format!("{n} bytes")
    }
}

/// `yes` / `no`.
pub(crate) fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}
