//! Human-readable formatting for the text reports (byte counts and times come from
//! [`rtcscope_analysis::fmt`], which the terminal UI uses too, so both show them alike).

pub use rtcscope_analysis::fmt::bytes;

/// `640 kbit/s`-style rates.
pub fn bitrate(bps: u64) -> String {
    match bps {
        0..=9_999 => format!("{bps} bit/s"),
        10_000..=9_999_999 => format!("{:.0} kbit/s", bps as f64 / 1e3),
        _ => format!("{:.1} Mbit/s", bps as f64 / 1e6),
    }
}

/// `1.234 s` / `12.3 ms` durations.
pub fn duration_ns(ns: i64) -> String {
    let ns = ns.max(0);
    if ns >= 1_000_000_000 {
        format!("{:.3} s", ns as f64 / 1e9)
    } else {
        format!("{:.1} ms", ns as f64 / 1e6)
    }
}

pub use rtcscope_analysis::fmt::utc_millis as time_utc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_time() {
        assert_eq!(time_utc(0), "1970-01-01 00:00:00.000 UTC");
        // 2024-02-29 12:34:56.789 UTC (a leap day).
        assert_eq!(
            time_utc(1_709_210_096_789_000_000),
            "2024-02-29 12:34:56.789 UTC"
        );
        assert_eq!(time_utc(-1_000_000_000), "1969-12-31 23:59:59.000 UTC");
    }

    #[test]
    fn units() {
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(123_456), "123.5 kB");
        assert_eq!(bitrate(640_000), "640 kbit/s");
        assert_eq!(duration_ns(1_500_000), "1.5 ms");
    }
}
