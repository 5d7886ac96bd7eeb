//! Key material that never prints in full.

use core::fmt;

/// Secret bytes (a key, an IV, a master or traffic secret). `Debug` and `Display` show the
/// first three bytes and the length, e.g. `3fce51…(16 bytes)`, so keys never reach a log or an
/// output in full. [`Secret::bytes`] gives the bytes to code that needs them.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }

    /// Copies bytes.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Secret(bytes.to_vec())
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0.iter().take(3) {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…({} bytes)", self.0.len())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_a_prefix_and_the_length_only() {
        let s = Secret::new((0u8..32).map(|i| i * 7 + 1).collect());
        let shown = format!("{s:?} {s} {:?}", Some(&s));
        assert_eq!(format!("{s:?}"), "01080f…(32 bytes)");
        // No fourth byte of the key appears anywhere.
        assert!(!shown.contains("0f16"), "{shown}");
        assert!(!shown.contains(&hex::encode(&s.bytes()[3..6])), "{shown}");
        assert_eq!(format!("{:?}", Secret::default()), "…(0 bytes)");
    }
}
