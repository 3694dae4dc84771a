//! Client workers and the staggered main phase.
//!
//! Worker `i` talks to node `nodes[i mod n]` through one synchronous client. After
//! an indeterminate op it takes a new process number (old + concurrency) and, for
//! workloads with non-reusable clients, a fresh client id.

use std::rc::Rc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::Rng;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::client::{Client, ClientIds};
use crate::history::{Completion, History, Invocation};
use crate::net::Net;
use crate::workload::{FinalPhase, GenCtx, Generator, InvokeCtx, Workload};

/// What workers share.
#[derive(Clone)]
pub struct WorkerEnv {
    /// The network.
    pub net: Net,
    /// Client id allocation.
    pub ids: ClientIds,
    /// The history being recorded.
    pub history: History,
    /// The workload.
    pub workload: Rc<dyn Workload>,
    /// Number of workers.
    pub concurrency: usize,
    /// Client RPC timeout.
    pub timeout: Duration,
}

/// One worker thread's state.
pub struct Worker {
    /// The node this worker talks to.
    pub node: String,
    /// The current process number.
    pub process: i64,
    client: Client,
}

impl Worker {
    /// Worker `thread`, bound to `nodes[thread mod n]`.
    pub fn new(env: &WorkerEnv, thread: usize, nodes: &[String]) -> Self {
        Worker {
            node: nodes[thread % nodes.len()].clone(),
            process: thread as i64,
            client: Client::open(&env.net, &env.ids),
        }
    }

    /// The worker thread, `0..concurrency` (process numbers keep it modulo
    /// the concurrency).
    pub fn thread(&self, concurrency: usize) -> usize {
        self.process.rem_euclid(concurrency as i64) as usize
    }

    /// Runs one operation, recording its invocation and completion.
    pub async fn perform(mut self, env: &WorkerEnv, op: Invocation) -> Self {
        let completion = self.invoke(env, &op).await;
        let info = matches!(completion, Completion::Info(..));
        // Nobody looks at the completion after this: the history takes it
        // whole, without copying a read's (possibly thousands of) elements.
        env.history.complete_owned(self.process, &op, completion);
        self.after(env, info);
        self
    }

    /// Runs one operation and also returns how it ended.
    pub async fn perform_seen(mut self, env: &WorkerEnv, op: Invocation) -> (Self, Completion) {
        let completion = self.invoke(env, &op).await;
        env.history.complete(self.process, &op, &completion);
        self.after(env, matches!(completion, Completion::Info(..)));
        (self, completion)
    }

    /// Records `op`'s invocation and runs it to its completion.
    async fn invoke(&mut self, env: &WorkerEnv, op: &Invocation) -> Completion {
        env.history.invoke(self.process, op);
        let ctx = InvokeCtx {
            node: &self.node,
            timeout: env.timeout,
        };
        env.workload.invoke(&mut self.client, ctx, op).await
    }

    /// After an indeterminate completion (`info`), the worker goes on as a
    /// new process, with a new client unless the workload reuses them.
    fn after(&mut self, env: &WorkerEnv, info: bool) {
        if info {
            self.process += env.concurrency as i64;
            if !env.workload.reusable_clients() {
                let old = std::mem::replace(&mut self.client, Client::open(&env.net, &env.ids));
                old.close();
            }
        }
    }
}

/// Dispatches generator ops to free workers at staggered times (uniform in
/// `[0, 2/rate)` apart, over all workers) until `until`, then waits for every
/// in-flight op and returns the workers.
pub async fn main_phase(
    env: &WorkerEnv,
    workers: Vec<Worker>,
    gen: &mut dyn Generator,
    rate: f64,
    until: Instant,
    rng: &mut StdRng,
) -> Vec<Worker> {
    let total = workers.len();
    let (free_tx, mut free_rx) = mpsc::unbounded_channel();
    for w in workers {
        let _ = free_tx.send(w);
    }
    if rate <= 0.0 {
        tokio::time::sleep_until(until).await;
    } else {
        let mean_gap = 1.0 / rate;
        let start = Instant::now();
        let mut next_at = start;
        loop {
            next_at += Duration::from_secs_f64(mean_gap * 2.0 * rng.random::<f64>());
            if next_at >= until {
                break;
            }
            tokio::time::sleep_until(next_at).await;
            let worker = tokio::select! {
                // Biased: tokio's unbiased select draws from an rng we cannot seed.
                biased;
                w = free_rx.recv() => match w { Some(w) => w, None => break },
                _ = tokio::time::sleep_until(until) => break,
            };
            let ctx = GenCtx {
                thread: worker.thread(env.concurrency),
                process: worker.process,
                elapsed: Instant::now() - start,
            };
            let Some(op) = gen.next(rng, &ctx) else {
                let _ = free_tx.send(worker);
                break;
            };
            let (env, tx) = (env.clone(), free_tx.clone());
            tokio::task::spawn_local(async move {
                let _ = tx.send(worker.perform(&env, op).await);
            });
        }
        // Ops in flight when time runs out complete normally, as in Jepsen.
    }
    let mut back = Vec::with_capacity(total);
    while back.len() < total {
        match free_rx.recv().await {
            Some(w) => back.push(w),
            None => break,
        }
    }
    back.sort_by_key(|w| w.process % env.concurrency as i64);
    back
}

/// Every worker runs its part of the final phase concurrently; returns when
/// all are done. No op starts after the phase's time limit; ops in flight then
/// complete normally.
pub async fn final_phase(env: &WorkerEnv, workers: Vec<Worker>, phase: FinalPhase) -> Vec<Worker> {
    let deadline = phase.time_limit.map(|t| Instant::now() + t);
    let mut gens: Vec<Option<Box<dyn crate::workload::FinalGen>>> =
        phase.workers.into_iter().map(Some).collect();
    let handles: Vec<_> = workers
        .into_iter()
        .map(|mut w| {
            let env = env.clone();
            let gen = gens
                .get_mut(w.thread(env.concurrency))
                .and_then(Option::take);
            tokio::task::spawn_local(async move {
                let Some(mut gen) = gen else { return w };
                while let Some((pause, op)) = gen.next() {
                    let at = Instant::now() + pause;
                    if deadline.is_some_and(|d| at >= d) {
                        break;
                    }
                    tokio::time::sleep_until(at).await;
                    let (back, completion) = w.perform_seen(&env, op.clone()).await;
                    w = back;
                    gen.observe(&op, &completion);
                }
                w
            })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        if let Ok(w) = h.await {
            out.push(w);
        }
    }
    out
}
