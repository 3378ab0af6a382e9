//! Prometheus metrics: requests by route and status class, a latency histogram, and the open
//! alerts the scheduler last saw (`custodia_open_alerts`, docs/alerts.md#metrics).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS_S: [f64; 10] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5];

#[derive(Debug, Default)]
struct Series {
    count: u64,
    sum_us: u64,
    buckets: [u64; BUCKETS_S.len()],
}

/// The methods counted by name; any other is `other`.
const METHODS: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"];

/// The label of a request method: a standard method's name, or `other`.
pub fn method_label(method: &str) -> &'static str {
    METHODS.into_iter().find(|m| *m == method).unwrap_or("other")
}

/// A method, a status class and its series.
type ByMethod = (String, u16, Series);

/// Request metrics, keyed by route template, then method and status class. Recording a request
/// allocates nothing once its route has been seen.
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<String, Vec<ByMethod>>>,
}

impl Metrics {
    /// Records one answered request. Methods outside the standard ones are counted as `other`;
    /// routes are templates (the router's, or `unmatched`), so made-up requests add no series.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let method = method_label(method);
        let Ok(mut series) = self.series.lock() else { return };
        let class = status / 100 * 100;
        if !series.contains_key(route) {
            series.insert(route.to_owned(), Vec::new());
        }
        let Some(by_route) = series.get_mut(route) else { return };
        let at = match by_route.iter().position(|(m, c, _)| m == method && *c == class) {
            Some(at) => at,
            None => {
                by_route.push((method.to_owned(), class, Series::default()));
                by_route.len() - 1
            }
        };
        let Some((_, _, s)) = by_route.get_mut(at) else { return };
        s.count += 1;
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        s.sum_us = s.sum_us.saturating_add(us);
        let seconds = elapsed.as_secs_f64();
        for (bound, n) in BUCKETS_S.iter().zip(s.buckets.iter_mut()) {
            if seconds <= *bound {
                *n += 1;
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP custodia_http_requests_total Answered HTTP requests.");
        let _ = writeln!(out, "# TYPE custodia_http_requests_total counter");
        let Ok(series) = self.series.lock() else { return out };
        let flat = || series.iter().flat_map(|(route, v)| v.iter().map(move |(m, c, s)| (m, route, c, s)));
        for (method, route, class, s) in flat() {
            let _ = writeln!(
                out,
                "custodia_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{}xx\"}} {}",
                class / 100,
                s.count
            );
        }
        let _ = writeln!(out, "# HELP custodia_http_request_duration_seconds Time to answer, by route.");
        let _ = writeln!(out, "# TYPE custodia_http_request_duration_seconds histogram");
        for (method, route, class, s) in flat() {
            let labels = format!("method=\"{method}\",route=\"{route}\",status=\"{}xx\"", class / 100);
            for (bound, n) in BUCKETS_S.iter().zip(s.buckets.iter()) {
                let _ = writeln!(out, "custodia_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(out, "custodia_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
            let _ = writeln!(out, "custodia_http_request_duration_seconds_sum{{{labels}}} {}", s.sum_us as f64 / 1e6);
            let _ = writeln!(out, "custodia_http_request_duration_seconds_count{{{labels}}} {}", s.count);
        }
        out
    }
}

/// A label value with `\`, `"` and line breaks escaped (the text format's rule).
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The gauge `custodia_open_alerts{agreement,severity,kind}`: alerts open as the scheduler last
/// evaluated them.
pub fn render_open_alerts(counts: &[custodia_store::notifications::OpenAlertCount]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# HELP custodia_open_alerts Open alerts as the scheduler last evaluated them.");
    let _ = writeln!(out, "# TYPE custodia_open_alerts gauge");
    for c in counts {
        let _ = writeln!(
            out,
            "custodia_open_alerts{{agreement=\"{}\",severity=\"{}\",kind=\"{}\"}} {}",
            label(&c.agreement_id),
            label(&c.severity),
            label(&c.kind),
            c.count
        );
    }
    out
}
