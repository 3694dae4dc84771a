//! g-counter and pn-counter: final reads must equal some reachable sum.

use maelstrom_check::counter::{self, CounterOpts};
use maelstrom_check::history::Op;
use maelstrom_proto::Body;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

use super::{
    call, coin, CheckOutput, ErrorMapping, GenCtx, Generator, InvokeCtx, LocalFuture, Workload,
};
use crate::client::Client;
use crate::history::{Completion, Invocation};

/// A counter workload; g-counter only adds non-negative deltas.
pub struct Counter {
    name: &'static str,
    grow_only: bool,
}

impl Counter {
    /// The g-counter workload.
    pub fn grow_only() -> Self {
        Counter {
            name: "g-counter",
            grow_only: true,
        }
    }

    /// The pn-counter workload.
    pub fn pn() -> Self {
        Counter {
            name: "pn-counter",
            grow_only: false,
        }
    }
}

struct CounterGen {
    grow_only: bool,
}

impl Generator for CounterGen {
    fn next(&mut self, rng: &mut StdRng, _ctx: &GenCtx) -> Option<Invocation> {
        loop {
            if !coin(rng) {
                return Some(Invocation::new("read", Value::Null));
            }
            let delta: i64 = rng.random_range(0..10) - 5;
            // g-counter filters negative adds out of pn-counter's mix, so it ends
            // up with about one add for every two reads, as upstream.
            if self.grow_only && delta < 0 {
                continue;
            }
            return Some(Invocation::new("add", json!(delta)));
        }
    }
}

impl Workload for Counter {
    fn name(&self) -> &'static str {
        self.name
    }
    fn reusable_clients(&self) -> bool {
        false
    }
    fn generator(&self) -> Box<dyn Generator> {
        Box::new(CounterGen {
            grow_only: self.grow_only,
        })
    }
    fn final_ops(&self) -> Vec<Invocation> {
        vec![Invocation::new("read", Value::Null).final_()]
    }
    fn invoke<'a>(
        &'a self,
        client: &'a mut Client,
        ctx: InvokeCtx<'a>,
        op: &'a Invocation,
    ) -> LocalFuture<'a, Completion> {
        Box::pin(async move {
            if op.f == "read" {
                match call(
                    client,
                    &ctx,
                    self.name,
                    Body::new("read"),
                    ErrorMapping::Raise,
                )
                .await
                {
                    Ok(reply) => Completion::Ok(reply.get("value").cloned().unwrap_or(Value::Null)),
                    Err(c) => c,
                }
            } else {
                let req = Body::new("add").with("delta", op.value.clone());
                match call(client, &ctx, self.name, req, ErrorMapping::Raise).await {
                    Ok(_) => Completion::Ok(op.value.clone()),
                    Err(c) => c,
                }
            }
        })
    }
    fn check(&self, history: &[Op]) -> CheckOutput {
        let r = counter::check(history, &CounterOpts::default());
        CheckOutput::from_result(r.valid, &r)
    }
}
