//! `timeline.html`: every client operation as a bar on its process's lane,
//! from invocation to completion, coloured by outcome, nemesis intervals
//! shaded; hovering a bar shows its value and reply, clicking it pins them
//! with a link to the messages of the same time window.
//!
//! The page carries the operations as compact JSON (one array each) and draws
//! only the lanes and times in view on a canvas, so a 60 s run at 1000 ops/s
//! (60,000 bars) opens and scrolls at once. The script writes how many
//! operations it knows and how many it drew into the page (`#known`,
//! `#drawn`), which the browser test compares with history.jsonl.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use maelstrom_check::{Op, OpType};
use maelstrom_proto::json_out::{push_i64, push_u64};

use super::data::{push_json_str, show_value};
use super::html::{esc, nemesis_intervals};

/// Characters of an operation's value or reply carried by the page.
const MAX_VALUE: usize = 120;

/// One operation: its invocation and, if it completed, its completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The client process.
    pub process: i64,
    /// The invocation's index in the history.
    pub index: u64,
    /// Invocation time, µs.
    pub start: u64,
    /// Completion time, µs; `None` if it never completed.
    pub end: Option<u64>,
    /// `Ok`, `Info` or `Fail`; `Invoke` if it never completed.
    pub kind: OpType,
    /// The function.
    pub f: String,
    /// The invocation's value, cut.
    pub value: String,
    /// The completion's value, or its error when it has one, cut.
    pub reply: String,
}

/// Pairs each client invocation with the next completion of its process.
pub fn bars(ops: &[Op]) -> Vec<Bar> {
    let mut open: HashMap<i64, usize> = HashMap::new();
    let mut out: Vec<Bar> = Vec::new();
    for op in ops.iter().filter(|o| o.is_client()) {
        if op.kind == OpType::Invoke {
            open.insert(op.process, out.len());
            out.push(Bar {
                process: op.process,
                index: op.index,
                start: op.time / 1000,
                end: None,
                kind: OpType::Invoke,
                f: op.f.clone(),
                value: show_value(&op.value, MAX_VALUE),
                reply: String::new(),
            });
        } else if let Some(i) = open.remove(&op.process) {
            let b = &mut out[i];
            b.end = Some(op.time / 1000);
            b.kind = op.kind;
            b.reply = match &op.error {
                Some(e) => format!("error {}", show_value(e, MAX_VALUE)),
                None => show_value(&op.value, MAX_VALUE),
            };
        }
    }
    out
}

/// The page's data as JSON: `end` (µs), `lanes` (process ids), `fs`,
/// `ops` as `[lane, start, end|-1, outcome, f, value, reply, index]` with
/// outcome 0 ok, 1 info, 2 fail, 3 never completed, and `nemesis` as
/// `[start, end, name]`.
pub fn data_json(ops: &[Op]) -> String {
    let bars = bars(ops);
    let lanes: BTreeSet<i64> = bars.iter().map(|b| b.process).collect();
    let lane: HashMap<i64, usize> = lanes.iter().enumerate().map(|(i, p)| (*p, i)).collect();
    let mut fs: Vec<&str> = Vec::new();
    let mut f_index: HashMap<&str, usize> = HashMap::new();
    let end = ops.iter().map(|o| o.time / 1000).max().unwrap_or(0);
    let mut s = String::with_capacity(128 + bars.len() * 64);
    let _ = write!(s, "{{\"end\":{end},\"lanes\":[");
    for (i, p) in lanes.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        push_i64(&mut s, *p);
    }
    s.push_str("],\"ops\":[");
    for (i, b) in bars.iter().enumerate() {
        let f = *f_index.entry(b.f.as_str()).or_insert_with(|| {
            fs.push(b.f.as_str());
            fs.len() - 1
        });
        let outcome = match b.kind {
            OpType::Ok => 0,
            OpType::Info => 1,
            OpType::Fail => 2,
            OpType::Invoke => 3,
        };
        if i > 0 {
            s.push(',');
        }
        // Integers pushed directly: the formatting machinery was a third
        // of the page's time.
        s.push('[');
        push_u64(&mut s, lane[&b.process] as u64);
        s.push(',');
        push_u64(&mut s, b.start);
        s.push(',');
        match b.end {
            Some(e) => push_u64(&mut s, e),
            None => s.push_str("-1"),
        }
        for n in [outcome, f] {
            s.push(',');
            push_u64(&mut s, n as u64);
        }
        s.push(',');
        push_json_str(&mut s, &b.value);
        s.push(',');
        push_json_str(&mut s, &b.reply);
        s.push(',');
        push_u64(&mut s, b.index);
        s.push(']');
    }
    s.push_str("],\"fs\":[");
    for (i, f) in fs.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        push_json_str(&mut s, f);
    }
    s.push_str("],\"nemesis\":[");
    for (i, (a, b, name)) in nemesis_intervals(ops).iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "[{},{},", a / 1000, b / 1000);
        push_json_str(&mut s, name);
        s.push(']');
    }
    s.push_str("]}");
    s
}

const TIMELINE_JS: &str = include_str!("timeline.js");
const PAGES_CSS: &str = include_str!("pages.css");

/// The whole page.
pub fn render(workload: &str, ops: &[Op]) -> String {
    let data = data_json(ops);
    let mut h = String::with_capacity(data.len() + TIMELINE_JS.len() + 4096);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{w} — timeline</title><style>{PAGES_CSS}</style></head><body>\n\
         <header><a href=\"index.html\">{w} report</a> · <b>timeline</b> · \
         <a href=\"messages.html\">messages</a> \
         <span class=\"counts\"><span id=\"known\">0</span> operations, \
         <span id=\"drawn\">0</span> drawn in view</span>\
         <div class=\"controls\"><button id=\"zin\" title=\"zoom in (+)\">+</button>\
         <button id=\"zout\" title=\"zoom out (-)\">−</button><button id=\"all\">whole test</button>\
         <span id=\"window\"></span></div>\
         <div id=\"legend\"><span class=\"sw ok\"></span>ok <span class=\"sw info\"></span>info \
         <span class=\"sw fail\"></span>fail <span class=\"sw open\"></span>never completed \
         <span class=\"sw nem\"></span>nemesis · wheel scrolls lanes, shift+wheel or drag moves in \
         time, ctrl+wheel zooms; click a bar for its messages</div></header>\n\
         <div id=\"wrap\"><canvas id=\"canvas\"></canvas></div><div id=\"tip\" hidden></div>\n\
         <noscript>This page draws with JavaScript; history.jsonl holds the same data.</noscript>\n\
         <script type=\"application/json\" id=\"data\">",
        w = esc(workload)
    );
    h.push_str(&data);
    h.push_str("</script>\n<script>");
    h.push_str(TIMELINE_JS);
    h.push_str("</script>\n</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn op(index: u64, kind: OpType, process: i64, f: &str, value: Value, ms: u64) -> Op {
        let mut o = Op::new(index, kind, process, f, value);
        o.time = ms * 1_000_000;
        o
    }

    fn history() -> Vec<Op> {
        let mut fail = op(6, OpType::Fail, 0, "read", Value::Null, 11);
        fail.error = Some(json!([11, "no </script> leader"]));
        vec![
            op(0, OpType::Invoke, 0, "read", Value::Null, 1),
            op(1, OpType::Invoke, 3, "add", json!(5), 2),
            op(2, OpType::Ok, 0, "read", json!([1, 2]), 4),
            op(3, OpType::Info, -1, "start-partition", json!({}), 5),
            op(4, OpType::Info, 3, "add", json!(5), 9),
            op(5, OpType::Invoke, 0, "read", Value::Null, 10),
            fail,
            op(7, OpType::Info, -1, "stop-partition", json!("healed"), 12),
            op(8, OpType::Invoke, 6, "add", json!(7), 12),
        ]
    }

    #[test]
    fn timeline_pairs_every_invocation() {
        let b = bars(&history());
        let got: Vec<_> = b
            .iter()
            .map(|b| (b.process, b.start, b.end, b.kind, b.reply.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, 1000, Some(4000), OpType::Ok, "[1,2]"),
                (3, 2000, Some(9000), OpType::Info, "5"),
                (
                    0,
                    10_000,
                    Some(11_000),
                    OpType::Fail,
                    "error [11,\"no </script> leader\"]"
                ),
                (6, 12_000, None, OpType::Invoke, ""),
            ]
        );
    }

    #[test]
    fn timeline_data_is_json_with_lanes_and_nemesis() {
        let data = data_json(&history());
        assert!(!data.contains("</script>"), "{data}");
        let v: Value = serde_json::from_str(&data).unwrap();
        assert_eq!(v["end"], 12_000);
        assert_eq!(v["lanes"], json!([0, 3, 6]));
        assert_eq!(v["fs"], json!(["read", "add"]));
        assert_eq!(v["ops"].as_array().unwrap().len(), 4);
        assert_eq!(
            v["ops"][0],
            json!([0, 1000, 4000, 0, 0, "null", "[1,2]", 0])
        );
        assert_eq!(v["ops"][1], json!([1, 2000, 9000, 1, 1, "5", "5", 1]));
        assert_eq!(v["ops"][2][3], 2);
        assert_eq!(v["ops"][3], json!([2, 12_000, -1, 3, 1, "7", "", 8]));
        assert_eq!(v["nemesis"], json!([[5000, 12_000, "start-partition"]]));
        let page = render("g-set", &history());
        assert!(page.contains("<title>g-set — timeline</title>"));
        assert_eq!(page.matches("</script>").count(), 2);
    }
}
