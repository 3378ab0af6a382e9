//! Charts as SVG drawn on the server (docs/web.md#charts): readable without colour (each line has
//! its own dash pattern, the measured series has markers, every line is labelled directly at its
//! end), with a `<title>` and `<desc>`, and always followed by the same numbers as a table.

use maud::{Markup, html};

/// Drawing area, in SVG units.
const WIDTH: i64 = 760;
const HEIGHT: i64 = 340;
const LEFT: i64 = 64;
const RIGHT: i64 = 220;
const TOP: i64 = 16;
const BOTTOM: i64 = 40;
/// Closest two direct labels may be, vertically.
const LABEL_GAP: i64 = 15;
/// Most labels on the time axis.
const MAX_X_LABELS: usize = 8;
/// Closest two time-axis labels may be, horizontally (a date as `2025-03-15` is about 64 wide).
const X_LABEL_GAP: i64 = 72;
/// Closest a label may be to the last, which is anchored at its end (it takes its full width to
/// the left).
const LAST_X_LABEL_GAP: i64 = 104;

/// A constant level drawn across the chart (contracted places, capacities).
#[derive(Clone, Debug)]
pub(crate) struct Level {
    /// CSS class (its line style).
    pub class: &'static str,
    /// The direct label.
    pub label: String,
    /// The value.
    pub value: i64,
}

/// A line chart of one measured series over time against constant levels.
#[derive(Clone, Debug)]
pub(crate) struct LineChart {
    /// Id prefix of the title and description (unique on the page).
    pub id: &'static str,
    /// The title.
    pub title: String,
    /// What the chart shows, in words.
    pub description: String,
    /// The label of the measured series.
    pub series_label: String,
    /// The time axis labels, one per point.
    pub x_labels: Vec<String>,
    /// The measured values, one per point.
    pub values: Vec<i64>,
    /// The levels.
    pub levels: Vec<Level>,
}

/// The drawing area (its geometry is the application layer's, shared with the forecast's chart).
const AREA: custodia_app::chart::Area =
    custodia_app::chart::Area { width: WIDTH, height: HEIGHT, left: LEFT, right: RIGHT, top: TOP, bottom: BOTTOM };

fn x_of(i: usize, n: usize) -> i64 {
    AREA.x(i, n)
}

fn y_of(value: i64, top: i64) -> i64 {
    AREA.y(value, top)
}

/// Moves label positions apart so that no two are closer than [`LABEL_GAP`] (keeping order).
fn spread(mut ys: Vec<(i64, usize)>) -> Vec<(i64, usize)> {
    ys.sort();
    for i in 1..ys.len() {
        let above = ys.get(i - 1).map_or(0, |p| p.0);
        if let Some(p) = ys.get_mut(i) {
            p.0 = p.0.max(above + LABEL_GAP);
        }
    }
    ys
}

/// Which of `n` time-axis labels are written: at most about [`MAX_X_LABELS`] evenly spaced, always
/// the last (today), and none closer than [`X_LABEL_GAP`] to the one before it or than
/// [`LAST_X_LABEL_GAP`] to the last.
fn shown_x_labels(n: usize) -> Vec<usize> {
    let Some(last) = n.checked_sub(1) else { return Vec::new() };
    let every = n.div_ceil(MAX_X_LABELS).max(1);
    let mut shown: Vec<usize> = Vec::new();
    for i in (0..last).step_by(every) {
        let clear_of_previous = shown.last().is_none_or(|&p| x_of(i, n) - x_of(p, n) >= X_LABEL_GAP);
        if clear_of_previous && x_of(last, n) - x_of(i, n) >= LAST_X_LABEL_GAP {
            shown.push(i);
        }
    }
    shown.push(last);
    shown
}

impl LineChart {
    fn top(&self) -> i64 {
        let max = self.values.iter().chain(self.levels.iter().map(|l| &l.value)).copied().max().unwrap_or(0);
        (max + max / 10).max(10)
    }

    fn x_axis(&self) -> Markup {
        let n = self.x_labels.len();
        let baseline = HEIGHT - BOTTOM;
        html! {
            line class="axis" x1=(LEFT) y1=(baseline) x2=(WIDTH - RIGHT) y2=(baseline) {}
            @for i in shown_x_labels(n) {
                // The last ends at the axis's end, clear of the direct labels to its right.
                @let anchor = if i + 1 == n && n > 1 { "end" } else { "middle" };
                text x=(x_of(i, n)) y=(baseline + 18) text-anchor=(anchor) { (self.x_labels.get(i).map_or("", String::as_str)) }
            }
        }
    }

    fn y_axis(&self, top: i64) -> Markup {
        html! {
            line class="axis" x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(HEIGHT - BOTTOM) {}
            @for step in 0..=4i64 {
                @let value = top * step / 4;
                @let y = y_of(value, top);
                line class="grid" x1=(LEFT) y1=(y) x2=(WIDTH - RIGHT) y2=(y) {}
                text x=(LEFT - 6) y=(y + 4) text-anchor="end" { (value) }
            }
        }
    }

    fn series(&self, top: i64) -> Markup {
        let n = self.values.len();
        let points: Vec<String> =
            self.values.iter().enumerate().map(|(i, v)| format!("{},{}", x_of(i, n), y_of(*v, top))).collect();
        html! {
            polyline class="population" points=(points.join(" ")) {}
            @for (i, value) in self.values.iter().enumerate() {
                circle class="marker" cx=(x_of(i, n)) cy=(y_of(*value, top)) r="4" {
                    title { (self.x_labels.get(i).map_or("", String::as_str)) ": " (value) }
                }
            }
        }
    }

    /// The levels and every line's direct label at the right end.
    fn levels_and_labels(&self, top: i64) -> Markup {
        let mut labels: Vec<(String, i64)> =
            self.levels.iter().map(|l| (format!("{} {}", l.label, l.value), y_of(l.value, top))).collect();
        if let Some(last) = self.values.last() {
            labels.push((format!("{} {last}", self.series_label), y_of(*last, top)));
        }
        let placed = spread(labels.iter().enumerate().map(|(i, (_, y))| (*y, i)).collect());
        html! {
            @for level in &self.levels {
                @let y = y_of(level.value, top);
                line class=(level.class) x1=(LEFT) y1=(y) x2=(WIDTH - RIGHT) y2=(y) {
                    title { (level.label) ": " (level.value) }
                }
            }
            @for (y, i) in placed {
                text x=(WIDTH - RIGHT + 8) y=(y + 4) { (labels.get(i).map_or("", |l| l.0.as_str())) }
            }
        }
    }

    /// The chart.
    pub(crate) fn svg(&self) -> Markup {
        let top = self.top();
        let (title_id, desc_id) = (format!("{}-title", self.id), format!("{}-desc", self.id));
        html! {
            svg class="chart" role="img" viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } width=(WIDTH) height=(HEIGHT)
                aria-labelledby={ (title_id) " " (desc_id) } xmlns="http://www.w3.org/2000/svg" {
                title id=(title_id) { (self.title) }
                desc id=(desc_id) { (self.description) }
                (self.y_axis(top))
                (self.x_axis())
                (self.levels_and_labels(top))
                (self.series(top))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> LineChart {
        LineChart {
            id: "c",
            title: "Population".into(),
            description: "people in custody".into(),
            series_label: "In custody".into(),
            x_labels: vec!["Jan".into(), "Feb".into(), "Mar".into()],
            values: vec![0, 100, 200],
            levels: vec![
                Level { class: "stated", label: "Stated".into(), value: 40_000 },
                Level { class: "standard", label: "Standard".into(), value: 6_400 },
                Level { class: "floor", label: "Floor".into(), value: 6_300 },
            ],
        }
    }

    #[test]
    fn values_map_into_the_drawing_area_and_labels_never_overlap() {
        let c = chart();
        let top = c.top();
        assert_eq!(top, 44_000);
        assert_eq!(y_of(0, top), HEIGHT - BOTTOM);
        assert_eq!(y_of(top, top), TOP);
        assert_eq!(y_of(-5, top), HEIGHT - BOTTOM, "clamped");
        assert_eq!((x_of(0, 3), x_of(2, 3)), (LEFT, WIDTH - RIGHT));
        let placed = spread(vec![(100, 0), (101, 1), (300, 2), (99, 3)]);
        for pair in placed.windows(2) {
            assert!(pair[1].0 - pair[0].0 >= LABEL_GAP, "{placed:?}");
        }
    }

    #[test]
    fn time_axis_labels_keep_the_first_and_last_and_never_overlap() {
        for n in 1..=200 {
            let shown = shown_x_labels(n);
            assert_eq!(shown.last(), Some(&(n - 1)), "today is always labelled ({n} points)");
            assert!(shown.len() <= MAX_X_LABELS + 1, "{n}: {shown:?}");
            if n > 1 {
                assert_eq!(shown.first(), Some(&0), "the first day too ({n} points)");
            }
            for pair in shown.windows(2) {
                let gap = if pair[1] == n - 1 { LAST_X_LABEL_GAP } else { X_LABEL_GAP };
                assert!(x_of(pair[1], n) - x_of(pair[0], n) >= gap, "{n}: {shown:?}");
            }
        }
        assert!(shown_x_labels(0).is_empty());
    }

    #[test]
    fn the_svg_has_its_title_description_markers_and_direct_labels() {
        let svg = chart().svg().into_string();
        assert!(svg.contains(r#"aria-labelledby="c-title c-desc""#) && svg.contains("<desc id=\"c-desc\">"));
        assert_eq!(svg.matches("<circle").count(), 3, "a marker per value");
        for label in ["Stated 40000", "Standard 6400", "Floor 6300", "In custody 200"] {
            assert!(svg.contains(label), "{label} in {svg}");
        }
        assert!(svg.contains("<title>Mar: 200</title>"));
    }
}
