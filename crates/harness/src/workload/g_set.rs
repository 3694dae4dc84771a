//! g-set: a grow-only set; every added element must eventually be read.

use maelstrom_check::history::Op;
use maelstrom_check::set_full::{self, SetFullOpts};
use maelstrom_proto::Body;
use serde_json::Value;

use super::broadcast::SetGen;
use super::{call, CheckOutput, ErrorMapping, Generator, InvokeCtx, LocalFuture, Workload};
use crate::client::Client;
use crate::history::{Completion, Invocation};

/// The g-set workload. Upstream wraps no error handling around its client, so
/// every error or timeout is an indeterminate exception.
pub struct GSet;

impl Workload for GSet {
    fn name(&self) -> &'static str {
        "g-set"
    }
    fn reusable_clients(&self) -> bool {
        false
    }
    fn generator(&self) -> Box<dyn Generator> {
        Box::new(SetGen::new("add"))
    }
    fn final_ops(&self) -> Vec<Invocation> {
        // Upstream's g-set final reads carry no `final` flag.
        vec![Invocation::new("read", Value::Null)]
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
                    "g-set",
                    Body::new("read"),
                    ErrorMapping::Raise,
                )
                .await
                {
                    Ok(reply) => Completion::OkElements(reply, "value"),
                    Err(c) => c,
                }
            } else {
                let req = Body::new("add").with("element", op.value.clone());
                match call(client, &ctx, "g-set", req, ErrorMapping::Raise).await {
                    Ok(_) => Completion::Ok(op.value.clone()),
                    Err(c) => c,
                }
            }
        })
    }
    fn check(&self, history: &[Op]) -> CheckOutput {
        let r = set_full::check(history, &SetFullOpts::g_set());
        CheckOutput::from_result(r.valid, &r)
    }
    fn checker_as_it_goes(&self) -> Option<Box<dyn super::CheckAsItGoes>> {
        let checker = set_full::SetFullChecker::new(SetFullOpts::g_set());
        Some(Box::new(super::SetFullAsItGoes(checker)))
    }
}
