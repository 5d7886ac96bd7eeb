//! Checked parsers for the numeric arguments of every command (clap `value_parser`s).
//!
//! A number from the command line is checked once, here, against a stated range, so that no
//! later arithmetic can panic or wrap: `Duration::from_secs_f64` panics on NaN, on negative
//! numbers and on overflow, `Instant + Duration` panics past the clock's range, and a shift or
//! an addition can wrap. A value outside its range is a usage error, reported by clap with exit
//! status 2 and the option's name:
//!
//! ```text
//! error: invalid value 'nan' for '--timeout <SECONDS>': not a finite number of seconds (allowed: 0.2 to 120 seconds)
//! ```
//!
//! Counts and ports whose every value is safe (`-c N`, `--port`) keep clap's own `u64`/`u16`
//! parsers, which already reject what does not fit.

use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

/// The allowed range as the error messages state it: `0.2 to 120 seconds`, with days for
/// large maxima (`0 to 86400 seconds (1 day)`).
fn allowed<T: Display>(min: T, max: T, unit: &str, max_secs: Option<f64>) -> String {
    let days = match max_secs {
        Some(s) if s >= 86_400.0 => {
            let d = s / 86_400.0;
            format!(" ({d} day{})", if d == 1.0 { "" } else { "s" })
        }
        _ => String::new(),
    };
    format!("allowed: {min} to {max} {unit}{days}")
}

/// A finite decimal number within `min..=max`, else the reason, naming `what` and the range.
fn finite_in(s: &str, min: f64, max: f64, what: &str, unit: &str) -> Result<f64, String> {
    let max_secs = (unit == "seconds").then_some(max);
    let range = || allowed(min, max, unit, max_secs);
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("not a number of {what} ({})", range()))?;
    if !v.is_finite() {
        return Err(format!("not a finite number of {what} ({})", range()));
    }
    if !(min..=max).contains(&v) {
        return Err(format!("out of range ({})", range()));
    }
    Ok(v)
}

/// A `value_parser` for a duration given in seconds (fractions allowed: `0.5`, `1e2`) within
/// `min..=max`. NaN, infinities, negative numbers and values past `max` are usage errors.
///
/// `min` must not be negative and `max` must be a duration `Duration` can hold (it is a
/// constant of the caller: a few days at most).
pub fn seconds(
    min: f64,
    max: f64,
) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    debug_assert!(0.0 <= min && min <= max && max <= 1e9);
    move |s: &str| finite_in(s, min, max, "seconds", "seconds").map(Duration::from_secs_f64)
}

/// A `value_parser` for `-a duration:SECONDS` (tshark's autostop condition), the seconds
/// checked as [`seconds`] checks them.
pub fn autostop(
    min: f64,
    max: f64,
) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    let secs = seconds(min, max);
    move |s: &str| match s.strip_prefix("duration:") {
        Some(rest) => secs(rest),
        None => Err(format!(
            "not duration:SECONDS ({})",
            allowed(min, max, "seconds", Some(max))
        )),
    }
}

/// A `value_parser` for a finite decimal number within `min..=max` (a rate, a burst size);
/// `unit` names what it counts in the error message.
pub fn number(
    min: f64,
    max: f64,
    unit: &'static str,
) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    move |s: &str| finite_in(s, min, max, unit, unit)
}

/// A `value_parser` for a whole number within `min..=max` (`u64`, `usize`, ...); `unit` names
/// what it counts (`packets`, `seconds`) in the error message.
pub fn whole<T>(
    min: T,
    max: T,
    unit: &'static str,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: FromStr + PartialOrd + Display + Copy + TryInto<u64> + Send + Sync + 'static,
{
    move |s: &str| {
        let max_secs = match max.try_into() {
            Ok(m) if unit == "seconds" => Some(m as f64),
            _ => None,
        };
        let range = || allowed(min, max, unit, max_secs);
        let v: T = s
            .trim()
            .parse()
            .map_err(|_| format!("not a whole number ({})", range()))?;
        if v < min || v > max {
            return Err(format!("out of range ({})", range()));
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_in_range_parse() {
        let p = seconds(0.2, 120.0);
        assert_eq!(p("8"), Ok(Duration::from_secs(8)));
        assert_eq!(p("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(p("1.2e2"), Ok(Duration::from_secs(120)));
        assert_eq!(p(" 0.2 "), Ok(Duration::from_secs_f64(0.2)));
    }

    #[test]
    fn odd_seconds_are_errors_that_state_the_range() {
        let p = seconds(0.2, 120.0);
        for (arg, why) in [
            ("nan", "not a finite number of seconds"),
            ("NaN", "not a finite number of seconds"),
            ("inf", "not a finite number of seconds"),
            ("-infinity", "not a finite number of seconds"),
            ("-1", "out of range"),
            ("0", "out of range"),
            ("120.001", "out of range"),
            ("1e300", "out of range"),
            ("", "not a number of seconds"),
            ("5s", "not a number of seconds"),
            ("0x10", "not a number of seconds"),
        ] {
            let e = p(arg).unwrap_err();
            assert!(e.starts_with(why), "{arg}: {e}");
            assert!(e.ends_with("(allowed: 0.2 to 120 seconds)"), "{arg}: {e}");
        }
        assert_eq!(
            seconds(0.0, 86_400.0)("-0.5").unwrap_err(),
            "out of range (allowed: 0 to 86400 seconds (1 day))"
        );
    }

    #[test]
    fn autostop_takes_duration_seconds() {
        let p = autostop(0.001, 2_592_000.0);
        assert_eq!(p("duration:60"), Ok(Duration::from_secs(60)));
        assert_eq!(
            p("60").unwrap_err(),
            "not duration:SECONDS (allowed: 0.001 to 2592000 seconds (30 days))"
        );
        assert!(p("duration:1e300").unwrap_err().contains("30 days"));
        assert!(p("duration:nan").unwrap_err().starts_with("not a finite"));
        assert!(p("duration:0").unwrap_err().starts_with("out of range"));
    }

    #[test]
    fn numbers_and_whole_numbers() {
        let rate = number(0.001, 1e6, "responses per second");
        assert_eq!(rate("500"), Ok(500.0));
        assert!(rate("inf").unwrap_err().starts_with("not a finite number"));
        let ttl = whole(0u64, 31_536_000, "seconds");
        assert_eq!(ttl("86400"), Ok(86_400));
        assert_eq!(
            ttl("18446744073709551615").unwrap_err(),
            "out of range (allowed: 0 to 31536000 seconds (365 days))"
        );
        assert!(ttl("18446744073709551616")
            .unwrap_err()
            .starts_with("not a whole number"));
        assert!(ttl("-1").unwrap_err().starts_with("not a whole number"));
        let ring = whole(1u32, 10, "packets");
        assert_eq!(
            ring("0").unwrap_err(),
            "out of range (allowed: 1 to 10 packets)"
        );
    }
}
