//! echo: every request comes back unchanged.

use maelstrom_check::echo::{self, EchoOpts};
use maelstrom_check::history::Op;
use maelstrom_proto::Body;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::json;

use super::{
    body_value, call, CheckOutput, ErrorMapping, GenCtx, Generator, InvokeCtx, LocalFuture,
    Workload,
};
use crate::client::Client;
use crate::history::{Completion, Invocation};

/// The echo workload.
pub struct Echo;

struct EchoGen;

impl Generator for EchoGen {
    fn next(&mut self, rng: &mut StdRng, _ctx: &GenCtx) -> Option<Invocation> {
        let n: u32 = rng.random_range(0..128);
        Some(Invocation::new("echo", json!(format!("Please echo {n}"))))
    }
}

impl Workload for Echo {
    fn name(&self) -> &'static str {
        "echo"
    }
    fn reusable_clients(&self) -> bool {
        false
    }
    fn generator(&self) -> Box<dyn Generator> {
        Box::new(EchoGen)
    }
    fn invoke<'a>(
        &'a self,
        client: &'a mut Client,
        ctx: InvokeCtx<'a>,
        op: &'a Invocation,
    ) -> LocalFuture<'a, Completion> {
        Box::pin(async move {
            let req = Body::new("echo").with("echo", op.value.clone());
            match call(
                client,
                &ctx,
                "echo",
                req,
                ErrorMapping::WithErrors { idempotent: false },
            )
            .await
            {
                Ok(reply) => Completion::Ok(body_value(&reply)),
                Err(c) => c,
            }
        })
    }
    fn check(&self, history: &[Op]) -> CheckOutput {
        let r = echo::check(history, &EchoOpts::default());
        CheckOutput::from_result(r.valid, &r)
    }
}
