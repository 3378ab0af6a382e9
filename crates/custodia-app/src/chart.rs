//! The geometry every SVG chart shares (docs/web.md#charts): the forecast's, drawn here for the
//! command line, the API's readers and the web page, and the web pages' line charts in the server.

/// A chart's drawing area, in SVG units: the whole image and the margins around the plot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Area {
    /// Width of the image.
    pub width: i64,
    /// Height of the image.
    pub height: i64,
    /// Margin left of the plot (the value axis' labels).
    pub left: i64,
    /// Margin right of the plot (the direct labels).
    pub right: i64,
    /// Margin above the plot.
    pub top: i64,
    /// Margin below the plot (the time axis' labels).
    pub bottom: i64,
}

impl Area {
    /// The x of point `i` of `n` evenly spaced across the plot (the middle for a single point).
    pub fn x(&self, i: usize, n: usize) -> i64 {
        let span = self.width - self.left - self.right;
        let (i, n) = (i64::try_from(i).unwrap_or(0), i64::try_from(n).unwrap_or(1));
        if n <= 1 { self.left + span / 2 } else { self.left + i * span / (n - 1) }
    }

    /// The y of `value` on an axis from 0 (the bottom of the plot) to `top`, clamped to it.
    pub fn y(&self, value: i64, top: i64) -> i64 {
        let span = self.height - self.top - self.bottom;
        self.top + span - value.clamp(0, top) * span / top.max(1)
    }
}
