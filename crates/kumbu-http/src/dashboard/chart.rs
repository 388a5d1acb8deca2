//! Charts drawn on the server as SVG (no script, no library): bars per day of what succeeded
//! and what failed, and a rate as a bar. Each chart is an image with a title and a description
//! for screen readers; the same figures are in a table beside it.

use maud::{html, Markup};

/// Green: what succeeded (the stylesheet's `--good`).
const GOOD: &str = "#0a6b2d";
/// Red: what failed (`--bad`).
const BAD: &str = "#a40e0e";
const WIDTH: i64 = 320;
const HEIGHT: i64 = 120;
/// Room under the bars for the first and last day.
const AXIS: i64 = 16;

/// One bar: its label (a day), what succeeded, what failed.
pub(super) struct Bar {
    pub label: String,
    pub good: i64,
    pub bad: i64,
}

/// Stacked bars, one per day, oldest first, scaled to the tallest; `id` names the chart (for
/// its title), `title` and `desc` say what it shows; each bar's own title gives its figures
/// (`tip` makes it from a bar).
pub(super) fn stacked_bars(
    id: &str,
    title: &str,
    desc: &str,
    bars: &[Bar],
    tip: impl Fn(&Bar) -> String,
) -> Markup {
    let n = i64::try_from(bars.len().max(1)).unwrap_or(1);
    let top = bars
        .iter()
        .map(|b| b.good + b.bad)
        .max()
        .unwrap_or(0)
        .max(1);
    let room = HEIGHT - AXIS;
    let slot = WIDTH / n;
    let gap = if slot > 6 { 2 } else { 0 };
    let scale = |v: i64| v * room / top;
    html! {
        svg.chart viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img"
            aria-labelledby={ (id) "-title " (id) "-desc" } xmlns="http://www.w3.org/2000/svg" {
            title id={ (id) "-title" } { (title) }
            desc id={ (id) "-desc" } { (desc) }
            line x1="0" y1=(room) x2=(WIDTH) y2=(room) stroke="#767676" stroke-width="1" {}
            @for (i, b) in bars.iter().enumerate() {
                @let x = i64::try_from(i).unwrap_or(0) * slot + gap / 2;
                @let (good, bad) = (scale(b.good), scale(b.bad));
                g {
                    title { (tip(b)) }
                    rect x=(x) y=(room - good) width=(slot - gap) height=(good) fill=(GOOD) {}
                    rect x=(x) y=(room - good - bad) width=(slot - gap) height=(bad) fill=(BAD) {}
                }
            }
            @if let (Some(first), Some(last)) = (bars.first(), bars.last()) {
                text x="0" y=(HEIGHT - 3) font-size="11" fill="#111" { (first.label) }
                @if bars.len() > 1 {
                    text x=(WIDTH) y=(HEIGHT - 3) font-size="11" fill="#111" text-anchor="end" { (last.label) }
                }
            }
        }
    }
}

/// A rate (`part` of `whole`) as a thin bar, with its percentage as text beside it; `None`
/// when there is nothing to rate.
pub(super) fn rate(part: i64, whole: i64) -> Option<(Markup, String)> {
    if whole <= 0 {
        return None;
    }
    let per_mille = part * 1000 / whole;
    let text = format!("{}.{} %", per_mille / 10, per_mille % 10);
    let bar = html! {
        svg.rate viewBox="0 0 100 8" aria-hidden="true" xmlns="http://www.w3.org/2000/svg" {
            rect x="0" y="0" width="100" height="8" fill=(BAD) {}
            rect x="0" y="0" width=(part * 100 / whole) height="8" fill=(GOOD) {}
        }
    };
    Some((bar, text))
}
