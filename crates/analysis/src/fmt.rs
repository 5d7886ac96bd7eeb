//! Number and time formatting shared by the text reports and the terminal UI: byte counts,
//! rates and durations in narrow columns, and civil UTC dates from capture timestamps, so that
//! `rtcscope analyze` and `rtcscope open` show them alike.

/// `640k`, `1.2M`, `950` bit/s, in at most 5 characters, rounded to the nearest as the text
/// report's `kbit/s` figures are (so the TUI and `analyze` print the same number).
pub fn rate(bps: u64) -> String {
    match bps {
        0..=999 => format!("{bps}"),
        1_000..=9_949 => format!("{:.1}k", bps as f64 / 1e3),
        9_950..=999_499 => format!("{:.0}k", bps as f64 / 1e3),
        999_500..=9_949_999 => format!("{:.1}M", bps as f64 / 1e6),
        9_950_000..=999_499_999 => format!("{:.0}M", bps as f64 / 1e6),
        999_500_000..=9_949_999_999 => format!("{:.1}G", bps as f64 / 1e9),
        9_950_000_000..=999_499_999_999 => format!("{:.0}G", bps as f64 / 1e9),
        _ => ">999G".into(),
    }
}

/// `999 B`, `12.3 kB`, `4.5 MB`, `1.20 GB`.
pub fn bytes(n: u64) -> String {
    match n {
        0..=9_999 => format!("{n} B"),
        10_000..=9_999_999 => format!("{:.1} kB", n as f64 / 1e3),
        10_000_000..=9_999_999_999 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

/// A time offset from the capture's start: `+1.234s`, `+12.5s`, `+1m05s`.
pub fn offset(ns: i64) -> String {
    let ns = ns.max(0);
    if ns < 10_000_000_000 {
        format!("+{:.3}s", ns as f64 / 1e9)
    } else if ns < 60_000_000_000 {
        format!("+{:.1}s", ns as f64 / 1e9)
    } else {
        let s = ns / 1_000_000_000;
        format!("+{}m{:02}s", s / 60, s % 60)
    }
}

/// A duration: `850 µs`, `12.3 ms`, `1.25 s`, `3m20s`.
pub fn duration(ns: i64) -> String {
    let ns = ns.max(0);
    if ns < 1_000_000 {
        format!("{} µs", ns / 1000)
    } else if ns < 1_000_000_000 {
        format!("{:.1} ms", ns as f64 / 1e6)
    } else if ns < 60_000_000_000 {
        format!("{:.2} s", ns as f64 / 1e9)
    } else {
        let s = ns / 1_000_000_000;
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// `2026-11-22 06:32:01 UTC` from nanoseconds since the epoch.
pub fn utc(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns)
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

/// `2026-11-22 06:32:01.123 UTC`: [`utc`] with milliseconds, for reports.
pub fn utc_millis(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns)
        .format("%Y-%m-%d %H:%M:%S%.3f UTC")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(rate(640_000), "640k");
        assert_eq!(rate(1_234_567), "1.2M");
        assert_eq!(rate(5_500), "5.5k");
        // Rounded, as analyze's kbit/s are, and never wider than 5 characters.
        assert_eq!(rate(23_600), "24k");
        assert_eq!(rate(999_499), "999k");
        assert_eq!(rate(999_500), "1.0M");
        assert_eq!(rate(9_999), "10k");
        for b in (0..40)
            .map(|e| 1u64 << e)
            .chain([999, 9_949, 9_950, 9_949_999, u64::MAX])
        {
            assert!(rate(b).len() <= 5, "{b}: {}", rate(b));
        }
        assert_eq!(offset(1_234_000_000), "+1.234s");
        assert_eq!(offset(65_000_000_000), "+1m05s");
        assert_eq!(duration(12_340_000), "12.3 ms");
        assert_eq!(utc(1_709_210_096_789_000_000), "2024-02-29 12:34:56 UTC");
    }
}

/// `n` and the noun, singular for one: `count(1, "session", "sessions")` is `1 session`.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod count_tests {
    #[test]
    fn singular_for_one_only() {
        assert_eq!(super::count(1u32, "session", "sessions"), "1 session");
        assert_eq!(super::count(0u32, "session", "sessions"), "0 sessions");
        assert_eq!(super::count(2u64, "pair", "pairs"), "2 pairs");
    }
}
