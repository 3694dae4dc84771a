//! unique-ids: every `generate` returns an id no other call returned.

use maelstrom_check::history::Op;
use maelstrom_check::unique_ids::{self, UniqueIdsOpts};
use maelstrom_proto::Body;
use rand::rngs::StdRng;
use serde_json::Value;

use super::{call, CheckOutput, ErrorMapping, GenCtx, Generator, InvokeCtx, LocalFuture, Workload};
use crate::client::Client;
use crate::history::{Completion, Invocation};

/// The unique-ids workload.
pub struct UniqueIds;

struct GenerateGen;

impl Generator for GenerateGen {
    fn next(&mut self, _rng: &mut StdRng, _ctx: &GenCtx) -> Option<Invocation> {
        Some(Invocation::new("generate", Value::Null))
    }
}

impl Workload for UniqueIds {
    fn name(&self) -> &'static str {
        "unique-ids"
    }
    fn reusable_clients(&self) -> bool {
        true
    }
    fn generator(&self) -> Box<dyn Generator> {
        Box::new(GenerateGen)
    }
    fn invoke<'a>(
        &'a self,
        client: &'a mut Client,
        ctx: InvokeCtx<'a>,
        _op: &'a Invocation,
    ) -> LocalFuture<'a, Completion> {
        Box::pin(async move {
            let mapping = ErrorMapping::WithErrors { idempotent: false };
            match call(client, &ctx, "unique-ids", Body::new("generate"), mapping).await {
                Ok(reply) => Completion::Ok(reply.get("id").cloned().unwrap_or(Value::Null)),
                Err(c) => c,
            }
        })
    }
    fn check(&self, history: &[Op]) -> CheckOutput {
        let r = unique_ids::check(history, &UniqueIdsOpts::default());
        CheckOutput::from_result(r.valid, &r)
    }
}
