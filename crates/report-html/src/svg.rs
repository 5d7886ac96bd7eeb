//! Inline SVG: scales, axes and the shapes the report draws (line plots, swimlanes, the
//! ladder). Everything is drawn server-side, so the report prints and reads without script;
//! the page's small script only zooms the time axis of every plot together.

use crate::esc;
use std::fmt::Write as _;

/// Plot width in SVG user units (the page scales it to the column).
pub const WIDTH: f64 = 760.0;
/// Left margin (the y-axis labels).
pub const LEFT: f64 = 62.0;
/// Right margin.
pub const RIGHT: f64 = 10.0;

/// A linear map from a domain to a pixel range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// Domain start.
    pub d0: f64,
    /// Domain end (greater than `d0`).
    pub d1: f64,
    /// Range start (pixels).
    pub r0: f64,
    /// Range end.
    pub r1: f64,
}

impl Scale {
    /// A scale from `[d0, d1]` to `[r0, r1]`; an empty or inverted domain is widened to one
    /// unit so nothing divides by zero.
    pub fn new(d0: f64, d1: f64, r0: f64, r1: f64) -> Self {
        let (d0, d1) = if d1.is_finite() && d0.is_finite() && d1 > d0 {
            (d0, d1)
        } else if d0.is_finite() {
            (d0, d0 + 1.0)
        } else {
            (0.0, 1.0)
        };
        Scale { d0, d1, r0, r1 }
    }

    /// Maps a domain value to pixels.
    pub fn at(&self, v: f64) -> f64 {
        self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// "Nice" ticks over `[lo, hi]`: steps of 1, 2 or 5 times a power of ten, about `n` of them,
/// every tick inside the interval.
pub fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || n == 0 {
        return vec![if lo.is_finite() { lo } else { 0.0 }];
    }
    let raw = (hi - lo) / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// A value with an SI suffix (`1.5 M`, `320 k`, `12`), for axis labels.
pub fn si(v: f64) -> String {
    let a = v.abs();
    let (d, s) = if a >= 1e9 {
        (1e9, " G")
    } else if a >= 1e6 {
        (1e6, " M")
    } else if a >= 1e3 {
        (1e3, " k")
    } else {
        (1.0, "")
    };
    let x = v / d;
    let t = if x == x.trunc() {
        format!("{x:.0}")
    } else if (x * 10.0) == (x * 10.0).trunc() {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    format!("{t}{s}")
}

/// The shared time axis of every plot: capture start and end (ns since the epoch).
#[derive(Clone, Copy, Debug)]
pub struct TimeAxis {
    /// Capture start.
    pub t0: i64,
    /// Capture end (after `t0`).
    pub t1: i64,
}

impl TimeAxis {
    /// The axis over a capture's span; an empty or instant capture gets one second.
    pub fn new(start: Option<i64>, end: Option<i64>) -> Self {
        let t0 = start.unwrap_or(0);
        let t1 = end.unwrap_or(t0).max(t0 + 1_000_000_000);
        TimeAxis { t0, t1 }
    }

    /// Seconds from the capture start.
    pub fn rel(&self, ns: i64) -> f64 {
        (ns - self.t0) as f64 / 1e9
    }

    /// The x scale: seconds from the start to pixels.
    pub fn scale(&self) -> Scale {
        Scale::new(0.0, self.rel(self.t1), LEFT, WIDTH - RIGHT)
    }
}

/// One line of a plot.
pub struct Line<'a> {
    /// CSS class (colour) of the line.
    pub class: &'a str,
    /// Name in the legend.
    pub label: String,
    /// Points: (ns since the epoch, value).
    pub points: Vec<(i64, f64)>,
    /// `data-*` attributes written on the polyline (escaped here).
    pub data: Vec<(&'a str, String)>,
}

/// A time-series plot of one or more lines on the shared time axis; `kind` names the metric
/// (`data-plot`), `unit` the y axis.
pub fn plot(
    axis: &TimeAxis,
    clip: usize,
    kind: &str,
    title: &str,
    unit: &str,
    lines: &[Line<'_>],
    marks: &[i64],
) -> String {
    const H: f64 = 150.0;
    const TOP: f64 = 8.0;
    const BOTTOM: f64 = 22.0;
    let x = axis.scale();
    let ymax = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let (yt, top_val) = y_ticks(ymax);
    let y = Scale::new(0.0, top_val, H - BOTTOM, TOP);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<figure class="plot"><figcaption>{} <span class="unit">({})</span>"#,
        esc(title),
        esc(unit)
    );
    for l in lines {
        let _ = write!(
            s,
            r#" <span class="key {}">{}</span>"#,
            esc(l.class),
            esc(&l.label)
        );
    }
    let _ = write!(
        s,
        r#"</figcaption><svg class="tplot" data-plot="{}" viewBox="0 0 {WIDTH} {H}" role="img" aria-label="{}">"#,
        esc(kind),
        esc(title)
    );
    for t in &yt {
        let py = y.at(*t);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{py:.1}" y2="{py:.1}"/><text class="yl" x="{}" y="{:.1}">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 4.0,
            py + 3.0,
            esc(&si(*t))
        );
    }
    s.push_str(&x_axis(axis, H - BOTTOM));
    s.push_str(&clip_open(clip, TOP, H - BOTTOM));
    for m in marks {
        let px = x.at(axis.rel(*m));
        let _ = write!(
            s,
            r#"<line class="mark" vector-effect="non-scaling-stroke" x1="{px:.1}" x2="{px:.1}" y1="{TOP}" y2="{}"/>"#,
            H - BOTTOM
        );
    }
    for l in lines {
        let mut pts = String::with_capacity(l.points.len() * 12);
        for (t, v) in &l.points {
            let v = if v.is_finite() { *v } else { 0.0 };
            let _ = write!(pts, "{:.1},{:.1} ", x.at(axis.rel(*t)), y.at(v));
        }
        let _ = write!(
            s,
            r#"<polyline class="{}" vector-effect="non-scaling-stroke" data-points="{}""#,
            esc(l.class),
            l.points.len()
        );
        for (k, v) in &l.data {
            let _ = write!(s, r#" data-{}="{}""#, esc(k), esc(v));
        }
        let _ = write!(s, r#" points="{}"/>"#, pts.trim_end());
    }
    s.push_str("</g></g></svg></figure>");
    s
}

/// The y axis of a plot whose largest value is `ymax`: ticks from 0 at a nice step, the last
/// one at or above `ymax` (so the highest point is under a labelled line, never above the
/// last label), and that last tick as the axis top.
pub fn y_ticks(ymax: f64) -> (Vec<f64>, f64) {
    let hi = if ymax.is_finite() && ymax > 0.0 {
        ymax
    } else {
        1.0
    };
    let t = ticks(0.0, hi, 4);
    let step = match t.as_slice() {
        [a, b, ..] if b > a => b - a,
        _ => return (vec![0.0, hi], hi),
    };
    let n = (hi / step).ceil().max(1.0) as usize;
    let yt: Vec<f64> = (0..=n).map(|k| k as f64 * step).collect();
    let top = yt[n];
    (yt, top)
}

/// Opens the zoomable group of a time plot: an outer group clipped to the plot area
/// (`y0..y1`), holding the `tz` group the zoom script transforms. Close with `</g></g>`.
pub fn clip_open(id: usize, y0: f64, y1: f64) -> String {
    format!(
        r#"<clipPath id="clip{id}"><rect x="{LEFT}" y="{y0}" width="{}" height="{}"/></clipPath><g clip-path="url(#clip{id})"><g class="tz">"#,
        WIDTH - RIGHT - LEFT,
        (y1 - y0).max(0.0)
    )
}

/// The x axis (seconds from the capture start) at pixel row `py`: a group the zoom script
/// redraws (`data-t0`/`data-t1` are the shown seconds).
pub fn x_axis(axis: &TimeAxis, py: f64) -> String {
    let x = axis.scale();
    let span = axis.rel(axis.t1);
    let mut s = format!(
        r#"<g class="xaxis" data-y="{py}" data-t0="0" data-t1="{span:.6}"><line class="axis" x1="{LEFT}" x2="{}" y1="{py}" y2="{py}"/>"#,
        WIDTH - RIGHT
    );
    for t in ticks(0.0, span, 8) {
        let px = x.at(t);
        let _ = write!(
            s,
            r#"<line class="tick" x1="{px:.1}" x2="{px:.1}" y1="{py}" y2="{}"/><text class="xl" x="{px:.1}" y="{}">{} s</text>"#,
            py + 4.0,
            py + 15.0,
            esc(&si(t))
        );
    }
    s.push_str("</g>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice_and_inside() {
        assert_eq!(ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(0.0, 1.0, 4), vec![0.0, 0.5, 1.0]);
        let t = ticks(0.0, 1234.0, 4);
        assert_eq!(t, vec![0.0, 500.0, 1000.0]);
        let t = ticks(0.3, 0.71, 4);
        assert!(t.iter().all(|v| *v >= 0.3 && *v <= 0.71), "{t:?}");
        // Degenerate intervals give one tick, never a loop or a panic.
        assert_eq!(ticks(5.0, 5.0, 4), vec![5.0]);
        assert_eq!(ticks(f64::NAN, 1.0, 4), vec![0.0]);
    }

    #[test]
    fn scale_maps_ends_and_survives_empty_domains() {
        let s = Scale::new(0.0, 10.0, 100.0, 0.0);
        assert_eq!(s.at(0.0), 100.0);
        assert_eq!(s.at(10.0), 0.0);
        assert_eq!(s.at(5.0), 50.0);
        let e = Scale::new(3.0, 3.0, 0.0, 10.0);
        assert!(e.at(3.0).is_finite() && e.at(4.0) == 10.0);
    }

    #[test]
    fn the_y_axis_ends_on_a_tick_above_the_highest_value() {
        assert_eq!(
            y_ticks(52_000.0),
            (vec![0.0, 20_000.0, 40_000.0, 60_000.0], 60_000.0)
        );
        assert_eq!(y_ticks(2.9), (vec![0.0, 1.0, 2.0, 3.0], 3.0));
        assert_eq!(y_ticks(100.0).1, 100.0);
        assert_eq!(y_ticks(0.0), (vec![0.0, 0.5, 1.0], 1.0));
        assert_eq!(y_ticks(f64::NAN).1, 1.0);
    }

    #[test]
    fn si_labels() {
        assert_eq!(si(0.0), "0");
        assert_eq!(si(1500.0), "1.5 k");
        assert_eq!(si(2_000_000.0), "2 M");
        assert_eq!(si(0.25), "0.25");
    }

    #[test]
    fn time_axis_of_an_instant_capture_is_one_second() {
        let a = TimeAxis::new(Some(5), Some(5));
        assert_eq!(a.t1 - a.t0, 1_000_000_000);
        let a = TimeAxis::new(None, None);
        assert_eq!(a.scale().at(0.0), LEFT);
    }

    #[test]
    fn plot_writes_one_point_per_value_on_the_axis() {
        let a = TimeAxis::new(Some(0), Some(10_000_000_000));
        let svg = plot(
            &a,
            1,
            "bitrate",
            "x",
            "bit/s",
            &[Line {
                class: "fwd",
                label: "a".into(),
                points: vec![(0, 0.0), (5_000_000_000, 100.0), (10_000_000_000, 50.0)],
                data: vec![("values", "0 100 50".into())],
            }],
            &[5_000_000_000],
        );
        assert!(svg.contains(r#"data-points="3""#), "{svg}");
        // x: 0 s at the left margin, 10 s at the right; y: 100 is the top tick.
        assert!(svg.contains(&format!("{LEFT:.1},128.0 ")), "{svg}");
        assert!(
            svg.contains(&format!(
                "{:.1},8.0 ",
                WIDTH - RIGHT - (WIDTH - RIGHT - LEFT) / 2.0
            )),
            "{svg}"
        );
        assert!(svg.contains(r#"data-values="0 100 50""#));
        // A finding's moment: a mark across the plot at 5 s.
        let mid = LEFT + (WIDTH - RIGHT - LEFT) / 2.0;
        assert!(
            svg.contains(&format!(
                r#"class="mark" vector-effect="non-scaling-stroke" x1="{mid:.1}""#
            )),
            "{svg}"
        );
    }
}
