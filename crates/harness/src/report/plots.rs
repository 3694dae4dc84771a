//! The plots of index.html beyond the raw latency dots: latency quantiles
//! over time and throughput over time, each as inline SVG with the nemesis
//! intervals shaded (upstream draws both with gnuplot). Operations are put in
//! time buckets, so a plot's size does not grow with the run.

use std::fmt::Write as _;

use maelstrom_check::{Op, OpType};

use super::html::{decade_label, esc, latencies, nemesis_intervals};

/// Buckets over the run, for both plots.
const BUCKETS: usize = 60;
const W: f64 = 900.0;
const H: f64 = 260.0;
const LEFT: f64 = 60.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 30.0;
const RIGHT: f64 = 100.0;

/// One plotted series: its name, colour and one value per bucket (`None`
/// where the bucket has no data).
struct Series {
    name: &'static str,
    colour: &'static str,
    values: Vec<Option<f64>>,
}

/// Time bucket width in ns for a run ending at `t_max`.
fn bucket_ns(t_max: u64) -> u64 {
    (t_max / BUCKETS as u64).max(1)
}

/// A named series of per-bucket values (`None` for a bucket without data).
pub type Named = (&'static str, Vec<Option<f64>>);

/// Latency quantiles (0.5, 0.95, 0.99, max) of the operations completed ok
/// in each time bucket (by invocation time), in ms, and the bucket width in ns.
pub fn quantile_series(ops: &[Op]) -> (u64, Vec<Named>) {
    let t_max = ops.iter().map(|o| o.time).max().unwrap_or(0).max(1);
    let width = bucket_ns(t_max);
    let n = (t_max / width) as usize + 1;
    let mut buckets: Vec<Vec<u64>> = vec![Vec::new(); n];
    for l in latencies(ops).iter().filter(|l| l.kind == OpType::Ok) {
        buckets[((l.start / width) as usize).min(n - 1)].push(l.latency);
    }
    let qs: [(&'static str, f64); 4] = [("0.5", 0.5), ("0.95", 0.95), ("0.99", 0.99), ("max", 1.0)];
    let mut out: Vec<Named> = qs
        .iter()
        .map(|(name, _)| (*name, Vec::with_capacity(n)))
        .collect();
    for b in &mut buckets {
        b.sort_unstable();
        for (i, (_, q)) in qs.iter().enumerate() {
            let v = (!b.is_empty()).then(|| {
                let at = ((b.len() as f64 * q) as usize).min(b.len() - 1);
                b[at] as f64 / 1e6
            });
            out[i].1.push(v);
        }
    }
    (width, out)
}

/// Completions per second in each time bucket, by outcome (ok, info, fail),
/// and the bucket width in ns.
pub fn rate_series(ops: &[Op]) -> (u64, [Vec<f64>; 3]) {
    let t_max = ops.iter().map(|o| o.time).max().unwrap_or(0).max(1);
    let width = bucket_ns(t_max);
    let n = (t_max / width) as usize + 1;
    let mut out = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
    let per_sec = 1e9 / width as f64;
    for op in ops.iter().filter(|o| o.is_client()) {
        let k = match op.kind {
            OpType::Ok => 0,
            OpType::Info => 1,
            OpType::Fail => 2,
            OpType::Invoke => continue,
        };
        out[k][((op.time / width) as usize).min(n - 1)] += per_sec;
    }
    (width, out)
}

/// Latency quantiles over time (log scale).
pub fn quantiles_svg(h: &mut String, ops: &[Op]) {
    let (width, series) = quantile_series(ops);
    if series[0].1.iter().all(Option::is_none) {
        return;
    }
    let colours = ["#1e88e5", "#43a047", "#fb8c00", "#e53935"];
    let series: Vec<Series> = series
        .into_iter()
        .zip(colours)
        .map(|((name, values), colour)| Series {
            name,
            colour,
            values: values.into_iter().map(|v| v.map(|v| v.max(0.01))).collect(),
        })
        .collect();
    h.push_str("<h2>Latency quantiles</h2>\n");
    plot(h, ops, width, &series, true, "latency quantiles over time");
    h.push_str(
        "<p>Quantiles of the latency of the operations completed ok, by the time \
         they were invoked; shaded: nemesis active.</p>\n",
    );
}

/// Throughput over time by outcome.
pub fn rate_svg(h: &mut String, ops: &[Op]) {
    let (width, [ok, info, fail]) = rate_series(ops);
    if ok.iter().chain(&info).chain(&fail).all(|v| *v == 0.0) {
        return;
    }
    let series = [
        ("ok", "#43a047", ok),
        ("info", "#fb8c00", info),
        ("fail", "#e53935", fail),
    ]
    .into_iter()
    .map(|(name, colour, v)| Series {
        name,
        colour,
        values: v.into_iter().map(Some).collect(),
    })
    .collect::<Vec<_>>();
    h.push_str("<h2>Throughput</h2>\n");
    plot(h, ops, width, &series, false, "throughput over time");
    h.push_str("<p>Operations completed per second, by outcome; shaded: nemesis active.</p>\n");
}

/// A plot of `series` over buckets of `width` ns: log scale in ms, or linear
/// in operations per second.
fn plot(h: &mut String, ops: &[Op], width: u64, series: &[Series], log: bool, label: &str) {
    let t_max = ops.iter().map(|o| o.time).max().unwrap_or(1).max(1) as f64;
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let all = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied());
    let (lo, hi) = if log {
        let (mn, mx) = all.fold((f64::MAX, 0f64), |(a, b), v| (a.min(v), b.max(v)));
        let lo = mn.log10().floor();
        (lo, mx.log10().ceil().max(lo + 1.0))
    } else {
        (0.0, all.fold(0f64, f64::max).max(1.0) * 1.1)
    };
    let x = |t: f64| LEFT + t / t_max * pw;
    let y = |v: f64| {
        let f = if log {
            (v.log10() - lo) / (hi - lo)
        } else {
            v / hi
        };
        TOP + ph - f * ph
    };
    let _ = writeln!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" \
         viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{label}\">"
    );
    for (a, b, f) in nemesis_intervals(ops) {
        let _ = writeln!(
            h,
            "<rect x=\"{:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{ph}\" fill=\"#E9DCA0\" \
             fill-opacity=\"0.6\"><title>{}</title></rect>",
            x(a as f64),
            (x(b as f64) - x(a as f64)).max(1.0),
            esc(&f)
        );
    }
    let _ = writeln!(
        h,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#888\"/>"
    );
    // Gridlines: decades on a log scale, five steps on a linear one.
    let ticks: Vec<(f64, String)> = if log {
        let mut v = Vec::new();
        let mut d = lo;
        while d <= hi {
            v.push((10f64.powf(d), format!("{} ms", decade_label(d))));
            d += 1.0;
        }
        v
    } else {
        (0..=5)
            .map(|i| {
                let v = hi / 5.0 * i as f64;
                (v, format!("{v:.0}/s"))
            })
            .collect()
    };
    for (v, text) in ticks {
        let yy = y(v);
        let _ = writeln!(
            h,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#eee\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{text}</text>",
            LEFT + pw,
            LEFT - 4.0,
            yy + 4.0
        );
    }
    for i in 0..=5 {
        let t = t_max * i as f64 / 5.0;
        let _ = writeln!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{:.1} s</text>",
            x(t),
            H - 10.0,
            t / 1e9
        );
    }
    for (k, s) in series.iter().enumerate() {
        // A line through each run of buckets with data; a gap where none.
        let mut d = String::new();
        let mut pen_up = true;
        for (i, v) in s.values.iter().enumerate() {
            match v {
                Some(v) => {
                    let t = (i as f64 + 0.5) * width as f64;
                    let _ = write!(
                        d,
                        "{}{:.1},{:.1} ",
                        if pen_up { "M" } else { "L" },
                        x(t.min(t_max)),
                        y(*v)
                    );
                    pen_up = false;
                }
                None => pen_up = true,
            }
        }
        let _ = writeln!(
            h,
            "<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"><title>{}</title></path>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{}\">{}</text>",
            d.trim_end(),
            s.colour,
            s.name,
            LEFT + pw + 8.0,
            TOP + 14.0 + 16.0 * k as f64,
            s.colour,
            s.name
        );
    }
    h.push_str("</svg>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn op(kind: OpType, process: i64, f: &str, ms: u64) -> Op {
        let mut o = Op::new(0, kind, process, f, Value::Null);
        o.time = ms * 1_000_000;
        o
    }

    /// 600 ms: process 0 does ten 10 ms ops ok in the first 100 ms; process
    /// 1 one 400 ms op that times out (info); a partition from 100 to 300 ms.
    fn history() -> Vec<Op> {
        let mut h = Vec::new();
        for i in 0..10 {
            h.push(op(OpType::Invoke, 0, "read", i * 10));
            h.push(op(OpType::Ok, 0, "read", i * 10 + 10));
        }
        h.push(op(OpType::Invoke, 1, "write", 100));
        h.push(op(OpType::Info, -1, "start-partition", 100));
        h.push(op(OpType::Info, -1, "stop-partition", 300));
        h.push(op(OpType::Info, 1, "write", 500));
        h.push(op(OpType::Info, -1, "noop", 600));
        h
    }

    #[test]
    fn plots_quantiles_per_bucket() {
        let (width, s) = quantile_series(&history());
        assert_eq!(width, 10_000_000);
        assert_eq!(s[0].0, "0.5");
        // Every ok op took 10 ms; buckets past 100 ms have none.
        assert_eq!(s[0].1[0], Some(10.0));
        assert_eq!(s[3].1[9], Some(10.0));
        assert_eq!(s[0].1[10], None);
    }

    #[test]
    fn plots_rates_per_bucket_and_outcome() {
        let (width, [ok, info, fail]) = rate_series(&history());
        // One completion per 10 ms bucket is 100 per second.
        assert_eq!(ok[1], 1e9 / width as f64);
        assert_eq!(ok.iter().sum::<f64>(), 10.0 * 100.0);
        assert_eq!(info[50], 100.0);
        assert!(fail.iter().all(|v| *v == 0.0));
    }

    #[test]
    fn plots_draw_series_and_shade_nemesis() {
        let mut h = String::new();
        quantiles_svg(&mut h, &history());
        rate_svg(&mut h, &history());
        assert_eq!(h.matches("<svg").count(), 2);
        assert_eq!(h.matches("<title>start-partition</title>").count(), 2);
        assert!(h.contains("<title>0.99</title>"));
        assert!(h.contains("<title>info</title>"));
        assert!(h.contains("fill=\"#E9DCA0\""));
        let mut empty = String::new();
        quantiles_svg(&mut empty, &[]);
        rate_svg(&mut empty, &[]);
        assert!(empty.is_empty());
    }
}
