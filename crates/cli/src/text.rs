//! Human-readable formatting shared by the reports.

/// `1.2 MB`-style byte counts (decimal units, as network tools use).
pub fn bytes(n: u64) -> String {
    match n {
        0..=9_999 => format!("{n} B"),
        10_000..=9_999_999 => format!("{:.1} kB", n as f64 / 1e3),
        10_000_000..=9_999_999_999 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

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

/// `2026-11-22 06:32:01.123 UTC` from nanoseconds since the epoch (proleptic Gregorian,
/// Howard Hinnant's days-from-civil algorithm inverted).
pub fn time_utc(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let millis = ns.rem_euclid(1_000_000_000) / 1_000_000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02}:{s:02}.{millis:03} UTC")
}

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
