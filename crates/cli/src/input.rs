//! Opening capture inputs: a file, or `-` for standard input.

use anyhow::Context as _;
use std::io::Read;

/// Opens `path` for reading; `-` is standard input.
pub fn open(path: &str) -> anyhow::Result<Box<dyn Read + Send>> {
    if path == "-" {
        Ok(Box::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(path).with_context(|| format!("cannot open {path}"))?;
        Ok(Box::new(f))
    }
}
