//! Line charts written as SVG and PNG, for the figures of the reports.
//!
//! A [`Chart`] holds a title, axis labels, a linear or logarithmic scale per
//! axis and a list of [`Series`]; [`write_chart`] draws it twice with
//! `plotters`, once as `stem.svg` and once as `stem.png`
//! ([`WIDTH`] × [`HEIGHT`] pixels).
//!
//! What is drawn:
//!
//! * every series in its own colour from a fixed colour-blind-safe palette
//!   (Okabe–Ito, [`PALETTE`]) and, where it has markers, its own marker
//!   shape, so series stay apart in grey print too;
//! * a legend with the series names, put in the corner of the plot where it
//!   hides the fewest data (if every corner is taken, the y range grows at
//!   the top to make room);
//! * ranges that fit the data with a 5 % margin; a range of one value is
//!   widened instead of failing;
//! * ticks chosen here rather than by `plotters`: 1-2-5 steps on linear
//!   axes, labelled `0.25` or `2.5×10⁻⁵`; powers of ten labelled `10ⁿ` on
//!   logarithmic axes (with 2…9 × 10ⁿ as light grid lines), or 1-2-5 × 10ⁿ
//!   when the axis holds fewer than three powers of ten (linear ticks when
//!   it spans less than a factor of about three); fewer x ticks when the
//!   labels are long, so they never overlap.
//!
//! Points that cannot be drawn are dropped silently: non-finite coordinates
//! everywhere, and zero or negative ones on a logarithmic axis. A series left
//! with no point is skipped; when no series has a point, [`write_chart`]
//! returns [`PlotError::NoFinitePoints`] and writes nothing.
//!
//! Text in the PNG is rendered by `ab_glyph` (pure Rust, no system fonts or
//! libraries needed) from DejaVu Sans, which is embedded in the library
//! (`assets/DejaVuSans.ttf`, license in `assets/DejaVuSans-LICENSE.txt`) and
//! registered once, as the `sans-serif` family, on first use. The SVG
//! carries its text as `<text font-family="sans-serif">` elements, which the
//! viewer renders with its own sans-serif font.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use thiserror::Error;

/// Width of the figures, in pixels (the SVG uses the same user units).
pub const WIDTH: u32 = 900;
/// Height of the figures, in pixels.
pub const HEIGHT: u32 = 600;

/// The series colours, in order of use: the Okabe–Ito palette, which stays
/// distinguishable under the common forms of colour blindness. Yellow, the
/// weakest on white, comes last; a ninth series starts over, with other
/// marker shapes.
pub const PALETTE: [(u8, u8, u8); 8] = [
    (0, 114, 178),   // blue
    (213, 94, 0),    // vermillion
    (0, 158, 115),   // bluish green
    (204, 121, 167), // reddish purple
    (230, 159, 0),   // orange
    (86, 180, 233),  // sky blue
    (0, 0, 0),       // black
    (240, 228, 66),  // yellow
];

/// The font embedded for text rendering (DejaVu Sans 2.37, Bitstream Vera
/// license; see `assets/DejaVuSans-LICENSE.txt`).
static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Font family name every text of the chart uses.
const FAMILY: &str = "sans-serif";
// Font sizes as `plotters` takes them; it draws glyphs of size / 1.24 pixels
// per em (so 28 gives an em of about 22.6 px).
const TITLE_SIZE: u32 = 28;
const AXIS_LABEL_SIZE: u32 = 22;
const TICK_LABEL_SIZE: u32 = 18;
const LEGEND_SIZE: u32 = 18;
const LINE_WIDTH: u32 = 2;
/// Blank border around the chart, in pixels.
const MARGIN: u32 = 16;
const MARKER_RADIUS: f64 = 4.0;
/// Margin added on each side of the data range, as a fraction of the range.
const RANGE_MARGIN: f64 = 0.05;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// A solid line through the points, in the given order.
    #[default]
    Line,
    /// A dashed line through the points, in the given order.
    Dashed,
    /// A marker at each point, no line.
    Points,
    /// A solid line and a marker at each point.
    LinePoints,
}

/// One named curve of a chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Name shown in the legend (an empty name gets no legend entry).
    pub name: String,
    /// The points `(x, y)`, joined in this order by the line styles.
    pub points: Vec<(f64, f64)>,
    /// How the series is drawn.
    pub style: Style,
}

impl Series {
    /// A series named `name` through `points`, drawn as `style`.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>, style: Style) -> Self {
        Series {
            name: name.into(),
            points,
            style,
        }
    }
}

/// A line chart: what [`write_chart`] draws.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chart {
    /// Title above the plot.
    pub title: String,
    /// Label under the x axis.
    pub x_label: String,
    /// Label left of the y axis (written vertically).
    pub y_label: String,
    /// Logarithmic x axis (points with x ≤ 0 are dropped).
    pub x_log: bool,
    /// Logarithmic y axis (points with y ≤ 0 are dropped).
    pub y_log: bool,
    /// The curves, drawn in this order (later ones on top).
    pub series: Vec<Series>,
}

impl Chart {
    /// A chart with linear axes and no series yet.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Chart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            ..Chart::default()
        }
    }

    /// The same chart with logarithmic (or linear) axes.
    pub fn log_axes(mut self, x_log: bool, y_log: bool) -> Self {
        self.x_log = x_log;
        self.y_log = y_log;
        self
    }

    /// The same chart with one more series.
    pub fn with_series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }
}

/// Why a chart could not be written.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum PlotError {
    /// A figure file could not be written.
    #[error("cannot write {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// `plotters` failed while drawing (this includes text layout).
    #[error("drawing {path} failed: {message}")]
    Draw {
        /// The file being drawn.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// No series has a point that can be drawn on the chart's axes.
    #[error("no finite points to plot")]
    NoFinitePoints,
}

/// Draws `chart` into `stem.svg` and `stem.png` (the extensions are appended
/// to the whole file name, so a stem `fig.v2` gives `fig.v2.svg`) and returns
/// the two paths, SVG first. The directory must exist; existing files are
/// replaced. On [`PlotError::NoFinitePoints`] no file is touched.
///
/// ```no_run
/// use tstar::plot::{write_chart, Chart, Series, Style};
///
/// let ts: Vec<f64> = (0..10).map(|i| 2f64.powi(i)).collect();
/// let chart = Chart::new("Gap against T", "T", "gap")
///     .log_axes(true, true)
///     .with_series(Series::new("gap", ts.iter().map(|&t| (t, 1.0 / t)).collect(), Style::LinePoints));
/// let (svg, png) = write_chart(&chart, std::path::Path::new("results/gap"))?;
/// # Ok::<(), tstar::plot::PlotError>(())
/// ```
pub fn write_chart(chart: &Chart, stem: &Path) -> Result<(PathBuf, PathBuf), PlotError> {
    let layout = Layout::new(chart)?;
    ensure_font()?;
    let svg_path = with_extension(stem, "svg");
    let png_path = with_extension(stem, "png");

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw(chart, &layout, &root).map_err(|message| PlotError::Draw {
            path: svg_path.display().to_string(),
            message,
        })?;
        root.present().map_err(|e| PlotError::Draw {
            path: svg_path.display().to_string(),
            message: e.to_string(),
        })?;
    }
    std::fs::write(&svg_path, svg).map_err(|e| PlotError::Io {
        path: svg_path.display().to_string(),
        message: e.to_string(),
    })?;

    {
        let root = BitMapBackend::new(&png_path, (WIDTH, HEIGHT)).into_drawing_area();
        draw(chart, &layout, &root).map_err(|message| PlotError::Draw {
            path: png_path.display().to_string(),
            message,
        })?;
        // For a file target, `present` only encodes and saves the image.
        root.present().map_err(|e| PlotError::Io {
            path: png_path.display().to_string(),
            message: e.to_string(),
        })?;
    }
    Ok((svg_path, png_path))
}

/// `stem` with `.ext` appended to its file name.
fn with_extension(stem: &Path, ext: &str) -> PathBuf {
    let mut name = stem.as_os_str().to_os_string();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

/// Registers the embedded font as the `sans-serif` family, once per process.
fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok =
        *REGISTERED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, FONT_BYTES).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PlotError::Draw {
            path: "assets/DejaVuSans.ttf".to_string(),
            message: "the embedded font could not be parsed".to_string(),
        })
    }
}

// ---------------------------------------------------------------------------
// Layout: drawable points, ranges, ticks, legend position. Independent of the
// backend, computed once for both files.

/// Tick marks of one axis, in drawing coordinates (log10 of the value on a
/// logarithmic axis).
#[derive(Debug, Clone, PartialEq)]
struct Ticks {
    /// Labelled ticks with bold grid lines: position and label.
    bold: Vec<(f64, String)>,
    /// Unlabelled light grid lines.
    light: Vec<f64>,
}

impl Ticks {
    fn label_of(&self, t: f64) -> String {
        self.bold
            .iter()
            .min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs()))
            .map(|(_, label)| label.clone())
            .unwrap_or_default()
    }
}

/// Everything [`draw`] needs besides the chart.
struct Layout {
    /// Per series of the chart, its drawable points in drawing coordinates.
    points: Vec<Vec<(f64, f64)>>,
    x_range: (f64, f64),
    y_range: (f64, f64),
    x_ticks: Ticks,
    y_ticks: Ticks,
    /// Legend corner `(left, top)`, if there is a legend.
    legend: Option<(bool, bool)>,
    /// Width of the y tick labels and axis label, in pixels.
    y_label_area: u32,
    /// Space right of the plot, in pixels.
    right_margin: u32,
}

impl Layout {
    fn new(chart: &Chart) -> Result<Layout, PlotError> {
        let to_axis = |v: f64, log: bool| -> Option<f64> {
            if !v.is_finite() {
                None
            } else if log {
                (v > 0.0).then(|| v.log10())
            } else {
                Some(v)
            }
        };
        let points: Vec<Vec<(f64, f64)>> = chart
            .series
            .iter()
            .map(|s| {
                s.points
                    .iter()
                    .filter_map(|&(x, y)| {
                        Some((to_axis(x, chart.x_log)?, to_axis(y, chart.y_log)?))
                    })
                    .collect()
            })
            .collect();
        let all = || points.iter().flatten();
        if all().next().is_none() {
            return Err(PlotError::NoFinitePoints);
        }
        let bounds = |coord: fn(&(f64, f64)) -> f64| {
            all()
                .map(coord)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                })
        };
        let x_range = padded_range(bounds(|p| p.0), chart.x_log);
        let mut y_range = padded_range(bounds(|p| p.1), chart.y_log);

        let legend = if chart
            .series
            .iter()
            .zip(&points)
            .any(|(s, p)| has_legend(s, p))
        {
            let (position, grow) = legend_position(chart, &points, x_range, y_range);
            if let Some(fraction) = grow {
                // Free the top `fraction` of the plot for the legend.
                let span = y_range.1 - y_range.0;
                y_range.1 = (y_range.1 + span * fraction / (1.0 - fraction)).min(f64::MAX);
            }
            Some(position)
        } else {
            None
        };

        let y_ticks = axis_ticks(y_range, chart.y_log, 6);
        // Tick labels plus room for the (vertical) axis label.
        let y_label_area = 30 + AXIS_LABEL_SIZE + widest_label(&y_ticks).ceil() as u32;
        // As many x ticks as fit side by side (long labels get fewer).
        let plot_width = f64::from(WIDTH.saturating_sub(y_label_area + 2 * MARGIN));
        let mut x_ticks = axis_ticks(x_range, chart.x_log, 7);
        for target in (2..7).rev() {
            let needed = x_ticks.bold.len() as f64 * (widest_label(&x_ticks) + 16.0);
            if needed <= plot_width {
                break;
            }
            x_ticks = axis_ticks(x_range, chart.x_log, target);
        }
        // Room for half the last x label beyond the plot.
        let right_margin = MARGIN.max((widest_label(&x_ticks) / 2.0).ceil() as u32 + 4);
        Ok(Layout {
            points,
            x_range,
            y_range,
            x_ticks,
            y_ticks,
            legend,
            y_label_area,
            right_margin,
        })
    }
}

/// Estimated width in pixels of the widest labelled tick (DejaVu Sans
/// averages about 0.62 em per character; `plotters` draws size / 1.24 px
/// per em).
fn widest_label(ticks: &Ticks) -> f64 {
    let chars = ticks
        .bold
        .iter()
        .map(|(_, l)| l.chars().count())
        .max()
        .unwrap_or(1);
    chars as f64 * f64::from(TICK_LABEL_SIZE) / 1.24 * 0.62
}

fn has_legend(series: &Series, points: &[(f64, f64)]) -> bool {
    !series.name.is_empty() && !points.is_empty()
}

/// `(min, max)` of the data (in drawing coordinates), widened when empty of
/// width and padded by [`RANGE_MARGIN`] on each side; always finite, with
/// `lo < hi`.
fn padded_range((min, max): (f64, f64), log: bool) -> (f64, f64) {
    let scale = min.abs().max(max.abs());
    let (min, max) = if max - min <= scale * 1e-12 {
        // One value (or values equal up to rounding): half a decade on a log
        // axis, ±10 % (or ±1 around zero) on a linear one.
        let mid = min / 2.0 + max / 2.0;
        let half = if log {
            0.5
        } else if mid == 0.0 {
            1.0
        } else {
            mid.abs() * 0.1
        };
        (mid - half, mid + half)
    } else {
        (min, max)
    };
    // Halves keep the span finite even for data near ±f64::MAX.
    let margin = (max / 2.0 - min / 2.0) * 2.0 * RANGE_MARGIN;
    let lo = (min - margin).max(-f64::MAX);
    let hi = (max + margin).min(f64::MAX);
    (lo, hi)
}

/// Ticks for an axis spanning `range` (drawing coordinates), aiming at about
/// `target` labels.
fn axis_ticks(range: (f64, f64), log: bool, target: usize) -> Ticks {
    let ticks = if log {
        log_ticks(range, target)
    } else {
        linear_ticks(range, target)
    };
    if ticks.bold.is_empty() {
        // Cannot happen for sane ranges; label the ends rather than nothing.
        let label = |t: f64| {
            let v = if log { 10f64.powf(t) } else { t };
            let exp = decimal_exponent(v);
            format_value(v, exp - 3, plain_notation(exp, exp))
        };
        Ticks {
            bold: vec![(range.0, label(range.0)), (range.1, label(range.1))],
            light: vec![],
        }
    } else {
        ticks
    }
}

/// A step of the form 1, 2 or 5 × 10ⁿ whose multiples in `lo..=hi` number
/// closest to `target` (at least two; the larger step on a tie), with its
/// exponent `n`.
fn nice_step((lo, hi): (f64, f64), target: usize) -> Option<(f64, i32)> {
    let raw = (hi - lo) / target as f64;
    if !(raw.is_finite() && raw > 0.0) {
        return None;
    }
    let exp = raw.log10().floor() as i32;
    let mut best: Option<(f64, i32, f64)> = None;
    for e in exp - 1..=exp + 1 {
        for m in [1.0, 2.0, 5.0] {
            let step = m * 10f64.powi(e);
            let count = (hi / step).floor() - (lo / step).ceil() + 1.0;
            if !(step.is_finite() && step > 0.0 && count >= 2.0) {
                continue;
            }
            let miss = (count - target as f64).abs();
            if best.is_none_or(|(_, _, b)| miss <= b) {
                best = Some((step, e, miss));
            }
        }
    }
    best.map(|(step, e, _)| (step, e))
}

/// The smallest stride of the form 1, 2 or 5 × 10ⁿ with `count / stride`
/// at most `target`.
fn nice_stride(count: usize, target: usize) -> usize {
    let mut magnitude = 1;
    loop {
        for m in [1, 2, 5] {
            if count.div_ceil(m * magnitude) <= target {
                return m * magnitude;
            }
        }
        magnitude *= 10;
    }
}

fn linear_ticks((lo, hi): (f64, f64), target: usize) -> Ticks {
    let Some((step, step_exp)) = nice_step((lo, hi), target) else {
        return Ticks {
            bold: vec![],
            light: vec![],
        };
    };
    let first = (lo / step).ceil();
    let mut values: Vec<f64> = Vec::new();
    for i in 0..100 {
        let mut v = (first + f64::from(i)) * step;
        if v > hi {
            break;
        }
        if v.abs() < step * 1e-9 {
            v = 0.0;
        }
        if values.last().is_none_or(|&last| last < v) {
            values.push(v);
        }
    }
    let labels = |plain: bool| -> Vec<String> {
        values
            .iter()
            .map(|&v| format_value(v, step_exp, plain))
            .collect()
    };
    let max_exp = decimal_exponent(lo).max(decimal_exponent(hi));
    let labels = if plain_notation(max_exp, max_exp) {
        labels(true)
    } else {
        // Large or small magnitudes: m×10ⁿ unless plain is shorter (as for
        // 1000000000.2, …0.4, … on a narrow range far from zero).
        let width = |l: &[String]| l.iter().map(|s| s.chars().count()).max().unwrap_or(0);
        let (plain, scientific) = (labels(true), labels(false));
        if width(&plain) < width(&scientific) {
            plain
        } else {
            scientific
        }
    };
    // Light lines halfway between labelled ones (and beyond the ends).
    let light = values
        .first()
        .map(|&v| v - step / 2.0)
        .into_iter()
        .chain(values.iter().map(|&v| v + step / 2.0))
        .filter(|&t| t >= lo && t <= hi)
        .collect();
    let bold = values.into_iter().zip(labels).collect();
    Ticks { bold, light }
}

fn log_ticks((lo, hi): (f64, f64), target: usize) -> Ticks {
    // Exponents stay within ±400 for finite positive f64 values.
    let k_lo = (lo - 1e-9).ceil() as i32;
    let k_hi = (hi + 1e-9).floor() as i32;
    let decades = k_hi - k_lo + 1;
    if decades >= 3 {
        // Powers of ten, every `stride`-th labelled; light lines at the
        // others (at most five per labelled one).
        let stride = nice_stride(decades as usize, target) as i32;
        let light_stride = (stride / 5).max(1);
        let mut bold = Vec::new();
        let mut light = Vec::new();
        for k in k_lo..=k_hi {
            if k.rem_euclid(stride) == 0 {
                bold.push((f64::from(k), format!("10{}", superscript(k))));
            } else if k.rem_euclid(light_stride) == 0 {
                light.push(f64::from(k));
            }
        }
        if stride == 1 && decades <= 12 {
            for k in k_lo - 1..=k_hi {
                for m in 2..=9 {
                    let t = f64::from(k) + f64::from(m).log10();
                    if t >= lo && t <= hi {
                        light.push(t);
                    }
                }
            }
        }
        return Ticks { bold, light };
    }
    // Less than three decades: mantissas 1, 2, 5 (or 1…9) times powers of ten.
    let candidates = |mantissas: &[u32]| -> Vec<(f64, u32, i32)> {
        let mut out = Vec::new();
        let mut k = lo.floor() as i32;
        while f64::from(k) <= hi.ceil() {
            for &m in mantissas {
                let t = f64::from(k) + f64::from(m).log10();
                if t >= lo && t <= hi {
                    out.push((t, m, k));
                }
            }
            k += 1;
        }
        out
    };
    let mut chosen = candidates(&[1, 2, 5]);
    if chosen.len() > target + 2 {
        chosen = candidates(&[1, 3]);
    }
    if chosen.len() > target + 2 {
        chosen = candidates(&[1]);
    }
    if chosen.len() < 3 {
        chosen = candidates(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    if chosen.len() < 3 {
        // About a factor of three or less: linear ticks on the values.
        let values = linear_ticks((10f64.powf(lo), 10f64.powf(hi)), target);
        let bold: Vec<(f64, String)> = values
            .bold
            .into_iter()
            .filter(|(v, _)| *v > 0.0)
            .map(|(v, label)| (v.log10(), label))
            .collect();
        let light = values
            .light
            .iter()
            .filter(|&&v| v > 0.0)
            .map(|v| v.log10())
            .collect();
        return Ticks { bold, light };
    }
    let k_min = chosen.iter().map(|c| c.2).min().unwrap_or(0);
    let k_max = chosen.iter().map(|c| c.2).max().unwrap_or(0);
    let plain = plain_notation(k_min, k_max);
    let bold: Vec<(f64, String)> = chosen
        .iter()
        .map(|&(t, m, k)| (t, format_value(f64::from(m) * 10f64.powi(k), k, plain)))
        .collect();
    let light = candidates(&[1, 2, 3, 4, 5, 6, 7, 8, 9])
        .into_iter()
        .map(|(t, _, _)| t)
        .filter(|t| !bold.iter().any(|(b, _)| (b - t).abs() < 1e-12))
        .collect();
    Ticks { bold, light }
}

/// The decimal exponent of `v` (`⌊log10 |v|⌋`; 0 for zero).
fn decimal_exponent(v: f64) -> i32 {
    if v == 0.0 || !v.is_finite() {
        0
    } else {
        v.abs().log10().floor() as i32
    }
}

/// Whether tick labels with decimal exponents from `lo_exp` to `hi_exp`
/// read better as plain decimals (`0.0025`, `15000`) than as `m×10ⁿ`.
fn plain_notation(lo_exp: i32, hi_exp: i32) -> bool {
    let range = -4..=5;
    range.contains(&lo_exp) && range.contains(&hi_exp)
}

/// `v` as a tick label, for ticks that are multiples of `10^step_exp`:
/// plain decimals if `plain`, else `m×10ⁿ` (`10ⁿ` when `m` is 1).
fn format_value(v: f64, step_exp: i32, plain: bool) -> String {
    if plain {
        let decimals = (-step_exp).clamp(0, 17) as usize;
        // `+ 0.0` turns a negative zero into zero.
        return format!("{:.decimals$}", v + 0.0);
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let exp = decimal_exponent(v);
    let decimals = (exp - step_exp).clamp(0, 15) as usize;
    let mantissa = v / 10f64.powi(exp);
    let text = format!("{mantissa:.decimals$}");
    // Rounding may give 10.0: renormalise.
    let (text, exp) = if text.trim_start_matches('-').starts_with("10") {
        (format!("{:.decimals$}", mantissa / 10.0), exp + 1)
    } else {
        (text, exp)
    };
    match text.as_str() {
        "1" => format!("10{}", superscript(exp)),
        "-1" => format!("-10{}", superscript(exp)),
        _ => format!("{text}×10{}", superscript(exp)),
    }
}

/// `n` in Unicode superscript digits.
fn superscript(n: i32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut out = String::new();
    if n < 0 {
        out.push('⁻');
    }
    for c in n.unsigned_abs().to_string().chars() {
        out.push(DIGITS[c.to_digit(10).unwrap_or(0) as usize]);
    }
    out
}

/// The corner of the plot whose legend-sized box covers the fewest data.
/// If every corner covers some, returns the upper right and the fraction of
/// the plot height to free at the top for it.
fn legend_position(
    chart: &Chart,
    points: &[Vec<(f64, f64)>],
    (x_lo, x_hi): (f64, f64),
    (y_lo, y_hi): (f64, f64),
) -> ((bool, bool), Option<f64>) {
    // Approximate plot area and legend box, in pixels.
    let plot_w = f64::from(WIDTH) - 130.0;
    let plot_h = f64::from(HEIGHT) - 140.0;
    let entries = chart
        .series
        .iter()
        .zip(points)
        .filter(|(s, p)| has_legend(s, p))
        .collect::<Vec<_>>();
    let widest = entries
        .iter()
        .map(|(s, _)| s.name.chars().count())
        .max()
        .unwrap_or(0) as f64;
    let box_w = (widest * f64::from(LEGEND_SIZE) * 0.6 + 80.0) / plot_w;
    let box_h = (entries.len() as f64 * f64::from(LEGEND_SIZE) * 1.3 + 40.0) / plot_h;
    let (box_w, box_h) = (box_w.min(1.0), box_h.min(0.9));

    // Sample each series in the unit square: points, and along lines.
    let unit = |(x, y): (f64, f64)| ((x - x_lo) / (x_hi - x_lo), (y - y_lo) / (y_hi - y_lo));
    let mut samples: Vec<(f64, f64)> = Vec::new();
    for (s, p) in chart.series.iter().zip(points) {
        let p: Vec<(f64, f64)> = p.iter().map(|&q| unit(q)).collect();
        samples.extend(&p);
        if matches!(s.style, Style::Line | Style::Dashed | Style::LinePoints) {
            for w in p.windows(2) {
                let (a, b) = (w[0], w[1]);
                let len = (b.0 - a.0).hypot(b.1 - a.1);
                let n = (len / 0.01).ceil().clamp(1.0, 200.0) as usize;
                for i in 1..n {
                    let f = i as f64 / n as f64;
                    samples.push((a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f));
                }
            }
        }
    }
    let count = |left: bool, top: bool| {
        samples
            .iter()
            .filter(|&&(u, v)| {
                let in_x = if left { u <= box_w } else { u >= 1.0 - box_w };
                let in_y = if top { v >= 1.0 - box_h } else { v <= box_h };
                in_x && in_y
            })
            .count()
    };
    // (left, top), in order of preference.
    let corners = [(false, true), (true, true), (false, false), (true, false)];
    let mut best = None;
    for corner in corners {
        let c = count(corner.0, corner.1);
        if best.is_none_or(|(_, b)| c < b) {
            best = Some((corner, c));
        }
    }
    match best {
        Some((corner, 0)) => (corner, None),
        _ => ((false, true), Some(box_h)),
    }
}

// ---------------------------------------------------------------------------
// Drawing, for any backend.

/// A linear axis over drawing coordinates with the ticks of [`Ticks`]
/// (`plotters`' own `with_key_points` loses the value formatter).
struct Axis {
    lo: f64,
    hi: f64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl Axis {
    fn new((lo, hi): (f64, f64), ticks: &Ticks) -> Axis {
        Axis {
            lo,
            hi,
            bold: ticks.bold.iter().map(|t| t.0).collect(),
            light: ticks.light.clone(),
        }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let fraction = (value - self.lo) / (self.hi - self.lo);
        let fraction = if fraction.is_finite() {
            fraction.clamp(-1.0, 2.0)
        } else {
            0.0
        };
        let pixels = f64::from(limit.1 - limit.0) * fraction;
        limit.0 + pixels.round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

fn draw<DB: DrawingBackend>(
    chart: &Chart,
    layout: &Layout,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let x_axis = Axis::new(layout.x_range, &layout.x_ticks);
    let y_axis = Axis::new(layout.y_range, &layout.y_ticks);

    let mut builder = ChartBuilder::on(root);
    builder
        .margin(MARGIN)
        .margin_right(layout.right_margin)
        .x_label_area_size(TICK_LABEL_SIZE + AXIS_LABEL_SIZE + 30)
        .y_label_area_size(layout.y_label_area);
    if !chart.title.is_empty() {
        builder.caption(&chart.title, (FAMILY, TITLE_SIZE));
    }
    let mut ctx = builder.build_cartesian_2d(x_axis, y_axis).map_err(err)?;

    let x_fmt = |t: &f64| layout.x_ticks.label_of(*t);
    let y_fmt = |t: &f64| layout.y_ticks.label_of(*t);
    ctx.configure_mesh()
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style((FAMILY, TICK_LABEL_SIZE))
        .axis_desc_style((FAMILY, AXIS_LABEL_SIZE))
        .bold_line_style(RGBColor(205, 205, 205))
        .light_line_style(RGBColor(236, 236, 236))
        .axis_style(BLACK.stroke_width(1))
        .draw()
        .map_err(err)?;

    for (i, (series, points)) in chart.series.iter().zip(&layout.points).enumerate() {
        if points.is_empty() {
            continue;
        }
        let (r, g, b) = PALETTE[i % PALETTE.len()];
        let color = RGBColor(r, g, b);
        let line = color.stroke_width(LINE_WIDTH);
        let shape = marker_shape(i);
        let lined = matches!(
            series.style,
            Style::Line | Style::Dashed | Style::LinePoints
        );
        // A line through one point would be invisible: mark it instead.
        let marked = matches!(series.style, Style::Points | Style::LinePoints) || points.len() == 1;

        if lined && points.len() > 1 {
            let anno = match series.style {
                Style::Dashed => ctx
                    .draw_series(DashedLineSeries::new(points.iter().copied(), 10, 6, line))
                    .map_err(err)?,
                _ => ctx
                    .draw_series(LineSeries::new(points.iter().copied(), line))
                    .map_err(err)?,
            };
            if !marked && !series.name.is_empty() {
                anno.label(series.name.as_str());
                if series.style == Style::Dashed {
                    anno.legend(move |(x, y)| {
                        DashedPathElement::new(vec![(x, y), (x + 28, y)], 8, 4, line)
                    });
                } else {
                    anno.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], line));
                }
            }
        }
        if marked {
            let fill = color.filled();
            let anno = ctx
                .draw_series(
                    points
                        .iter()
                        .map(|&p| EmptyElement::at(p) + Polygon::new(marker_outline(shape), fill)),
                )
                .map_err(err)?;
            if !series.name.is_empty() {
                let with_line = lined;
                anno.label(series.name.as_str()).legend(move |(x, y)| {
                    let path = if with_line {
                        vec![(0, 0), (28, 0)]
                    } else {
                        vec![]
                    };
                    EmptyElement::at((x, y))
                        + PathElement::new(path, line)
                        + Polygon::new(
                            marker_outline(shape)
                                .into_iter()
                                .map(|(dx, dy)| (dx + 14, dy))
                                .collect::<Vec<_>>(),
                            fill,
                        )
                });
            }
        }
    }

    if let Some((left, top)) = layout.legend {
        let position = match (left, top) {
            (false, true) => SeriesLabelPosition::UpperRight,
            (true, true) => SeriesLabelPosition::UpperLeft,
            (false, false) => SeriesLabelPosition::LowerRight,
            (true, false) => SeriesLabelPosition::LowerLeft,
        };
        ctx.configure_series_labels()
            .position(position)
            .margin(10)
            .legend_area_size(36)
            .label_font((FAMILY, LEGEND_SIZE))
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(120, 120, 120))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

/// Marker shape of series `i`: circle, square, triangle, diamond, in turn,
/// shifted by one each time the palette starts over.
fn marker_shape(i: usize) -> usize {
    (i + i / PALETTE.len()) % 4
}

/// Outline of a marker, in pixel offsets from its centre.
fn marker_outline(shape: usize) -> Vec<(i32, i32)> {
    let r = MARKER_RADIUS;
    let polar = |n: usize, radius: f64, phase: f64| -> Vec<(i32, i32)> {
        (0..n)
            .map(|k| {
                let a = phase + std::f64::consts::TAU * k as f64 / n as f64;
                (
                    (radius * a.cos()).round() as i32,
                    (radius * a.sin()).round() as i32,
                )
            })
            .collect()
    };
    match shape {
        0 => polar(16, r, 0.0),
        1 => {
            let s = (r * 0.9).round() as i32;
            vec![(-s, -s), (s, -s), (s, s), (-s, s)]
        }
        // Pointing up (the y pixel axis points down).
        2 => polar(3, r * 1.35, -std::f64::consts::FRAC_PI_2),
        _ => polar(4, r * 1.3, 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory under the system temp dir. Removed by [`cleanup`]
    /// unless `TSTAR_KEEP_PLOTS` is set (to look at the figures).
    fn temp_dir(name: &str) -> PathBuf {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tstar-plot-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            name
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn cleanup(dir: &Path) {
        if std::env::var_os("TSTAR_KEEP_PLOTS").is_none() {
            let _ = std::fs::remove_dir_all(dir);
        } else {
            eprintln!("kept {}", dir.display());
        }
    }

    /// Width and height from the IHDR chunk, after checking the signature.
    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert!(bytes.len() > 33, "PNG too short");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&bytes[12..16], b"IHDR", "first chunk is IHDR");
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        (be(&bytes[16..20]), be(&bytes[20..24]))
    }

    /// Whether the SVG has a `<text>` element reading exactly `text` (the
    /// backend writes the content on a line of its own).
    fn has_text(svg: &str, text: &str) -> bool {
        svg.split("<text").skip(1).any(|element| {
            let content = element.split_once('>').map_or("", |(_, rest)| rest);
            content.split("</text>").next().unwrap_or("").trim() == text
        })
    }

    /// Writes `chart`, checks both files, returns the SVG text.
    fn write_and_check(chart: &Chart, dir: &Path, name: &str) -> String {
        let (svg_path, png_path) = write_chart(chart, &dir.join(name)).unwrap();
        assert_eq!(svg_path, dir.join(format!("{name}.svg")));
        assert_eq!(png_path, dir.join(format!("{name}.png")));
        let png = std::fs::read(&png_path).unwrap();
        assert_eq!(png_size(&png), (WIDTH, HEIGHT));
        let svg = std::fs::read_to_string(&svg_path).unwrap();
        assert!(
            svg.starts_with("<svg"),
            "SVG header: {}",
            &svg[..40.min(svg.len())]
        );
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("<text"), "SVG has text elements");
        svg
    }

    fn bound_curves() -> Chart {
        let ts: Vec<f64> = (0..=12).map(|i| 2f64.powi(i)).collect();
        Chart::new(
            "Gap after N updates, T-step lookahead",
            "inner steps T",
            "suboptimality gap",
        )
        .log_axes(true, true)
        .with_series(Series::new(
            "measured gap",
            ts.iter().map(|&t| (t, 3.0 * t.powf(-0.9) + 1e-4)).collect(),
            Style::LinePoints,
        ))
        .with_series(Series::new(
            "bound O(1/T)",
            ts.iter().map(|&t| (t, 10.0 / t)).collect(),
            Style::Dashed,
        ))
        .with_series(Series::new(
            "greedy (T = 1) baseline",
            ts.iter().map(|&t| (t, 0.5 * t.powf(-0.3))).collect(),
            Style::Line,
        ))
    }

    #[test]
    fn log_log_chart_with_three_series() {
        let dir = temp_dir("loglog");
        let chart = bound_curves();
        let svg = write_and_check(&chart, &dir, "loglog");
        assert!(has_text(&svg, &chart.title));
        for s in &chart.series {
            assert!(has_text(&svg, &s.name), "legend has {}", s.name);
        }
        assert!(has_text(&svg, "inner steps T") && has_text(&svg, "suboptimality gap"));
        // Decade labels on the log axes.
        assert!(
            has_text(&svg, "10²") && has_text(&svg, "10⁻²"),
            "decade tick labels"
        );
        cleanup(&dir);
    }

    #[test]
    fn linear_chart() {
        let dir = temp_dir("linear");
        let xs: Vec<f64> = (0..=40).map(|i| f64::from(i) * 0.25).collect();
        let chart = Chart::new("Mixture weight of domain 1", "outer step", "weight")
            .with_series(Series::new(
                "w₁ (MIX T=8)",
                xs.iter()
                    .map(|&x| (x, 0.5 + 0.4 * (1.0 - (-x / 2.0).exp())))
                    .collect(),
                Style::Line,
            ))
            .with_series(Series::new(
                "w₁ (MIX T=1)",
                xs.iter()
                    .map(|&x| (x, 0.5 + 0.25 * (x / 1.5).sin()))
                    .collect(),
                Style::Points,
            ));
        let svg = write_and_check(&chart, &dir, "linear");
        assert!(has_text(&svg, &chart.title));
        assert!(has_text(&svg, "w₁ (MIX T=8)") && has_text(&svg, "w₁ (MIX T=1)"));
        assert!(
            has_text(&svg, "0.5") || has_text(&svg, "0.50"),
            "plain tick labels"
        );
        cleanup(&dir);
    }

    #[test]
    fn bad_points_are_dropped_on_log_axes() {
        let dir = temp_dir("badpoints");
        let chart = Chart::new("bad points", "x", "y")
            .log_axes(true, true)
            .with_series(Series::new(
                "mixed",
                vec![
                    (0.0, 1.0),
                    (-1.0, 2.0),
                    (1.0, 0.0),
                    (2.0, -3.0),
                    (f64::NAN, 1.0),
                    (1.0, f64::INFINITY),
                    (f64::NEG_INFINITY, 1.0),
                    (1.0, 1.0),
                    (10.0, 100.0),
                ],
                Style::LinePoints,
            ))
            .with_series(Series::new(
                "nothing drawable",
                vec![(0.0, 1.0), (1.0, -1.0), (f64::NAN, f64::NAN)],
                Style::Line,
            ));
        let svg = write_and_check(&chart, &dir, "bad");
        assert!(has_text(&svg, "mixed"));
        assert!(
            !svg.contains("nothing drawable"),
            "empty series has no legend entry"
        );
        cleanup(&dir);
    }

    #[test]
    fn all_nan_is_an_error_and_writes_nothing() {
        let dir = temp_dir("nan");
        let chart = Chart::new("nothing", "x", "y").with_series(Series::new(
            "nan",
            vec![(f64::NAN, 1.0), (1.0, f64::NAN), (f64::INFINITY, 0.0)],
            Style::Line,
        ));
        let stem = dir.join("nan");
        assert_eq!(write_chart(&chart, &stem), Err(PlotError::NoFinitePoints));
        let log_chart = Chart::new("nothing", "x", "y")
            .log_axes(false, true)
            .with_series(Series::new(
                "neg",
                vec![(1.0, -1.0), (2.0, 0.0)],
                Style::Points,
            ));
        assert_eq!(
            write_chart(&log_chart, &stem),
            Err(PlotError::NoFinitePoints)
        );
        let empty = Chart::new("no series", "x", "y");
        assert_eq!(write_chart(&empty, &stem), Err(PlotError::NoFinitePoints));
        assert_eq!(
            PlotError::NoFinitePoints.to_string(),
            "no finite points to plot"
        );
        assert!(!dir.join("nan.svg").exists() && !dir.join("nan.png").exists());
        cleanup(&dir);
    }

    #[test]
    fn degenerate_and_extreme_ranges_do_not_panic() {
        let dir = temp_dir("degenerate");
        type Case = (&'static str, bool, Vec<(f64, f64)>);
        let cases: Vec<Case> = vec![
            ("one point", false, vec![(3.0, 7.0)]),
            ("one point at zero", false, vec![(0.0, 0.0)]),
            ("one point log", true, vec![(3.0, 7.0)]),
            ("flat", false, vec![(0.0, 1.0), (1.0, 1.0), (2.0, 1.0)]),
            ("flat log", true, vec![(1.0, 5.0), (1000.0, 5.0)]),
            ("narrow log", true, vec![(100.0, 1.0), (101.0, 1.01)]),
            ("wide log", true, vec![(1e-300, 1e-300), (1e300, 1e300)]),
            (
                "huge",
                false,
                vec![(-f64::MAX, f64::MAX), (f64::MAX, -f64::MAX)],
            ),
            ("tiny", false, vec![(0.0, 1e-12), (1e-12, 2e-12)]),
            ("offset", false, vec![(1e9, 1e9), (1e9 + 1.0, 1e9 + 2.0)]),
            (
                "rounding",
                false,
                vec![(1.0, 1.0), (1.0 + f64::EPSILON, 1.0)],
            ),
            ("subnormal log", true, vec![(5e-324, 1.0), (1.0, 2.0)]),
        ];
        for (i, (name, log, points)) in cases.into_iter().enumerate() {
            let chart = Chart::new(name, "x", "y")
                .log_axes(log, log)
                .with_series(Series::new(name, points, Style::LinePoints));
            let svg = write_and_check(&chart, &dir, &format!("case{i}"));
            assert!(has_text(&svg, name), "{name}");
        }
        cleanup(&dir);
    }

    #[test]
    fn many_series_escaped_names_and_empty_names() {
        let dir = temp_dir("many");
        let mut chart = Chart::new("a < b & c", "x", "y");
        for i in 0..11 {
            let style = [Style::Line, Style::Dashed, Style::Points, Style::LinePoints][i % 4];
            let name = if i == 10 {
                String::new()
            } else {
                format!("series {i}")
            };
            let points = (0..20)
                .map(|k| (f64::from(k), f64::from(k) * i as f64))
                .collect();
            chart.series.push(Series::new(name, points, style));
        }
        let svg = write_and_check(&chart, &dir, "many");
        assert!(has_text(&svg, "a &lt; b &amp; c"));
        for i in 0..10 {
            assert!(has_text(&svg, &format!("series {i}")));
        }
        cleanup(&dir);
    }

    #[test]
    fn missing_directory_is_an_io_error() {
        let dir = temp_dir("missing");
        let stem = dir.join("no").join("such").join("dir").join("fig");
        match write_chart(&bound_curves(), &stem) {
            Err(PlotError::Io { path, .. }) => assert!(path.ends_with("fig.svg")),
            other => panic!("expected an I/O error, got {other:?}"),
        }
        cleanup(&dir);
    }

    #[test]
    fn legend_goes_to_a_free_corner_or_makes_room() {
        // Data along the bottom, one point top right: upper left is free.
        let low = Chart::new("t", "x", "y").with_series(Series::new(
            "low",
            vec![(0.0, 0.0), (1.0, 0.1), (2.0, 0.0), (3.0, 1.0)],
            Style::Line,
        ));
        let layout = Layout::new(&low).unwrap();
        assert_eq!(layout.legend, Some((true, true)));
        // Data in all four corners: the y range grows to free the top.
        let corners = Chart::new("t", "x", "y").with_series(Series::new(
            "corners",
            vec![(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)],
            Style::Points,
        ));
        let layout = Layout::new(&corners).unwrap();
        assert_eq!(layout.legend, Some((false, true)));
        assert!(layout.y_range.1 > 1.15, "{:?}", layout.y_range);
        // No names, no legend.
        let unnamed = Chart::new("t", "x", "y").with_series(Series::new(
            "",
            vec![(0.0, 0.0), (1.0, 1.0)],
            Style::Line,
        ));
        assert_eq!(Layout::new(&unnamed).unwrap().legend, None);
    }

    #[test]
    fn stem_keeps_its_dots() {
        assert_eq!(
            with_extension(Path::new("/tmp/fig.v2"), "svg"),
            PathBuf::from("/tmp/fig.v2.svg")
        );
    }

    #[test]
    fn tick_labels() {
        assert_eq!(superscript(-12), "⁻¹²");
        assert_eq!(superscript(3), "³");
        assert_eq!(format_value(0.25, -2, true), "0.25");
        assert_eq!(format_value(-3.0, 0, true), "-3");
        assert_eq!(format_value(2.5e-5, -6, false), "2.5×10⁻⁵");
        assert_eq!(format_value(1e6, 6, false), "10⁶");
        assert_eq!(format_value(1.5e6, 5, false), "1.5×10⁶");
        assert_eq!(format_value(0.0, -3, false), "0");
        assert_eq!(format_value(-0.0, -1, true), "0.0");

        let labels = |t: Ticks| t.bold.into_iter().map(|(_, l)| l).collect::<Vec<_>>();
        // Decades.
        assert_eq!(
            labels(log_ticks((-0.1, 3.1), 8)),
            vec!["10⁰", "10¹", "10²", "10³"]
        );
        // Many decades: every other one labelled.
        let wide = log_ticks((-10.2, 10.2), 8);
        assert!(wide.bold.len() <= 8, "{:?}", wide.bold);
        // Less than two decades: 1-2-5.
        assert_eq!(
            labels(log_ticks((0.2, 1.8), 8)),
            vec!["2", "5", "10", "20", "50"]
        );
        // Linear: zero is exactly zero, steps are 1-2-5.
        let lin = linear_ticks((-0.3, 1.05), 7);
        assert_eq!(
            labels(lin),
            vec!["-0.2", "0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
        );
        assert!(padded_range((5.0, 5.0), false).0 < 5.0);
        let (lo, hi) = padded_range((-f64::MAX, f64::MAX), false);
        assert!(lo.is_finite() && hi.is_finite() && lo < hi);
    }
}
