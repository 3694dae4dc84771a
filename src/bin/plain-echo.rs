//! The limit for the echo benchmark: read a line, parse it as JSON, build the
//! reply, write it. No protocol library, no runtime, no concurrency.

use std::io::{BufRead, BufWriter, Write};

use serde_json::{json, Value};

fn main() -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut next_id = 0u64;
    for line in stdin.lock().lines() {
        let msg: Value = serde_json::from_str(&line?)?;
        let body = &msg["body"];
        next_id += 1;
        let mut reply_body = json!({"msg_id": next_id, "in_reply_to": body["msg_id"]});
        match body["type"].as_str() {
            Some("init") => reply_body["type"] = "init_ok".into(),
            _ => {
                reply_body["type"] = "echo_ok".into();
                reply_body["echo"] = body["echo"].clone();
            }
        }
        let reply = json!({"src": msg["dest"], "dest": msg["src"], "body": reply_body});
        serde_json::to_writer(&mut out, &reply)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
