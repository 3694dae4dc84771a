//! broadcast: messages sent to any node must reach every node.

use maelstrom_check::history::Op;
use maelstrom_check::set_full::{self, SetFullOpts};
use maelstrom_proto::Body;
use rand::rngs::StdRng;
use serde_json::{json, Value};

use super::topology::neighbours;
use super::{
    call, coin, CheckOutput, ErrorMapping, GenCtx, Generator, InvokeCtx, LocalFuture, Workload,
};
use crate::client::Client;
use crate::config::Topology;
use crate::history::{Completion, Invocation};

/// The broadcast workload.
pub struct Broadcast {
    topology: Topology,
}

impl Broadcast {
    /// A broadcast workload announcing `topology`.
    pub fn new(topology: Topology) -> Self {
        Broadcast { topology }
    }
}

/// A 50/50 mix of adds of 0, 1, 2, ... (under `add_f`) and reads: the generator
/// of broadcast and g-set.
pub struct SetGen {
    add_f: &'static str,
    next_value: u64,
}

impl SetGen {
    /// A generator whose adds are called `add_f`.
    pub fn new(add_f: &'static str) -> Self {
        SetGen {
            add_f,
            next_value: 0,
        }
    }
}

impl Generator for SetGen {
    fn next(&mut self, rng: &mut StdRng, _ctx: &GenCtx) -> Option<Invocation> {
        if coin(rng) {
            let v = self.next_value;
            self.next_value += 1;
            Some(Invocation::new(self.add_f, json!(v)))
        } else {
            Some(Invocation::new("read", Value::Null))
        }
    }
}

impl Workload for Broadcast {
    fn name(&self) -> &'static str {
        "broadcast"
    }
    fn reusable_clients(&self) -> bool {
        false
    }
    fn generator(&self) -> Box<dyn Generator> {
        Box::new(SetGen::new("broadcast"))
    }
    fn final_ops(&self) -> Vec<Invocation> {
        vec![Invocation::new("read", Value::Null).final_()]
    }
    fn setup_request(&self, _node: &str, nodes: &[String]) -> Option<Body> {
        Some(Body::new("topology").with("topology", json!(neighbours(self.topology, nodes))))
    }
    fn invoke<'a>(
        &'a self,
        client: &'a mut Client,
        ctx: InvokeCtx<'a>,
        op: &'a Invocation,
    ) -> LocalFuture<'a, Completion> {
        Box::pin(async move {
            if op.f == "read" {
                let mapping = ErrorMapping::WithErrors { idempotent: true };
                match call(client, &ctx, "broadcast", Body::new("read"), mapping).await {
                    Ok(reply) => Completion::OkElements(reply, "messages"),
                    Err(c) => c,
                }
            } else {
                let req = Body::new("broadcast").with("message", op.value.clone());
                let mapping = ErrorMapping::WithErrors { idempotent: false };
                match call(client, &ctx, "broadcast", req, mapping).await {
                    Ok(_) => Completion::Ok(op.value.clone()),
                    Err(c) => c,
                }
            }
        })
    }
    fn check(&self, history: &[Op]) -> CheckOutput {
        let r = set_full::check(history, &SetFullOpts::broadcast());
        CheckOutput::from_result(r.valid, &r)
    }
    fn checker_as_it_goes(&self) -> Option<Box<dyn super::CheckAsItGoes>> {
        let checker = set_full::SetFullChecker::new(SetFullOpts::broadcast());
        Some(Box::new(super::SetFullAsItGoes(checker)))
    }
}
