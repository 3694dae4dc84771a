//! `maelstrom doc [WORKLOAD]`: the RPCs of each workload and service, with
//! their request and reply schemas, printed from the table the harness checks
//! replies with ([`maelstrom_proto::schema`]), so the two cannot disagree.

use clap::Args;
use maelstrom_proto::schema::{self, Api};

use super::EXIT_BAD_ARGS;

/// `maelstrom doc` options.
#[derive(Debug, Args)]
pub struct DocArgs {
    /// A workload or service to show (default: every workload, then every service).
    #[arg(value_name = "WORKLOAD")]
    pub name: Option<String>,
}

/// One workload's or service's section.
fn section(api: &Api, what: &str) -> String {
    let mut out = format!("## {what} {}\n\n{}\n", api.name, api.doc);
    for rpc in api.rpcs {
        out.push_str(&format!(
            "\n### {} {}\n\n{}\n\nRequest: {}\nReply:   {}\n",
            api.name,
            rpc.request,
            rpc.doc,
            rpc.describe_request(),
            rpc.reply.describe()
        ));
    }
    out
}

/// The text `maelstrom doc` prints for `name` (every workload and service
/// when `None`), or why there is none.
pub fn text(name: Option<&str>) -> Result<String, String> {
    const INTRO: &str = "Every reply must carry in_reply_to (the request's msg_id) and may \
                         carry its own msg_id. Replies to clients are checked against these \
                         closed schemas: a missing key, a key of the wrong shape or a key not \
                         listed fails the operation. An error reply {type: \"error\", code, \
                         text} is always accepted.\n";
    let workloads = || schema::WORKLOADS.iter().map(|a| section(a, "Workload"));
    let services = || schema::SERVICES.iter().map(|a| section(a, "Service"));
    match name {
        None => {
            let mut parts = vec![format!("# Workloads and services\n\n{INTRO}")];
            parts.extend(workloads());
            parts.extend(services());
            Ok(parts.join("\n"))
        }
        Some(n) => {
            let mut parts: Vec<String> = Vec::new();
            if let Some(w) = schema::workload(n) {
                parts.push(section(w, "Workload"));
            }
            if let Some(s) = schema::service(n) {
                parts.push(section(s, "Service"));
            }
            if parts.is_empty() {
                let names: Vec<&str> = schema::WORKLOADS
                    .iter()
                    .chain(schema::SERVICES)
                    .map(|a| a.name)
                    .collect();
                return Err(format!(
                    "no workload or service is called {n:?}: try one of {}",
                    names.join(", ")
                ));
            }
            Ok(parts.join("\n"))
        }
    }
}

/// `maelstrom doc`.
pub fn command(args: &DocArgs) -> i32 {
    match text(args.name.as_deref()) {
        Ok(t) => {
            print!("{t}");
            0
        }
        Err(e) => {
            eprintln!("{e}");
            EXIT_BAD_ARGS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maelstrom_harness::workload::{by_name, WORKLOAD_NAMES};
    use maelstrom_harness::{NodeProgram, TestConfig};

    #[test]
    fn every_workload_the_harness_runs_is_documented() {
        let all = text(None).unwrap();
        for name in WORKLOAD_NAMES {
            assert!(
                all.contains(&format!("## Workload {name}\n")),
                "{name} missing"
            );
            assert!(text(Some(name)).is_ok(), "{name}");
        }
        // And nothing documented is a workload the harness would refuse.
        for api in schema::WORKLOADS {
            let mut cfg = TestConfig::new(api.name, NodeProgram::default());
            cfg.concurrency = 10;
            assert!(by_name(api.name, &cfg).is_ok(), "{}", api.name);
            assert!(WORKLOAD_NAMES.contains(&api.name), "{}", api.name);
        }
        for service in ["lin-kv", "seq-kv", "lww-kv", "lin-tso"] {
            assert!(
                all.contains(&format!("## Service {service}\n")),
                "{service}"
            );
        }
    }

    #[test]
    fn echo_s_reply_schema_names_echo() {
        let echo = text(Some("echo")).unwrap();
        assert!(
            echo.contains(
                "Reply:   {type: \"echo_ok\", echo: any value, msg_id (optional): an integer, \
                 in_reply_to: an integer}"
            ),
            "{echo}"
        );
        assert!(echo.contains("Request: {type: \"echo\", msg_id: an integer, echo: any value}"));
        // lin-kv is a workload and a service: both are shown.
        let kv = text(Some("lin-kv")).unwrap();
        assert!(kv.contains("## Workload lin-kv") && kv.contains("## Service lin-kv"));
        assert!(text(Some("nope")).unwrap_err().contains("echo"));
    }
}
