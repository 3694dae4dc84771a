//! The simulated network, upstream's model.
//!
//! Each participant (node, client, service) has a queue ordered by delivery
//! deadline. [`Net::send`] stamps a global message id, draws a latency (zero when a
//! client is involved), journals the send and enqueues. [`Net::recv`] waits for the
//! earliest deadline and drops the message if a partition separates sender and
//! recipient at that moment. The network does not know what kind of host sits
//! behind an id.
//!
//! Every message is accounted for: delivered, or dropped for a [`DropReason`]
//! that is counted in [`NetStats`] and journaled. [`Net::finish`] drops what
//! is still queued when the test ends, after which sends (plus duplicate
//! copies) equal deliveries plus drops.

mod journal;
mod latency;
mod stats;

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::rc::Rc;

use maelstrom_proto::Envelope;
use thiserror::Error;
use tokio::sync::Notify;
use tokio::time::Instant;

use rand::rngs::StdRng;
use rand::Rng;

use crate::clock::Clock;
use crate::fnv::IdMap;
pub use journal::{Journal, MsgRef};
pub use latency::Latency;
pub use stats::{is_client, Counts, DropReason, NetStats};

/// How early a receiver wakes before a delayed message's deadline, to spin the
/// rest of the way. tokio's timers have 1 ms granularity and round up, and the
/// driver's own park can add another: 2 ms covers both (measured: the median
/// added delay at 10 ms latency drops from ~190 µs with 1 ms to ~15-30 µs).
///
/// Why the delayed-hop p99 can still be milliseconds (issue 3): not this code.
/// The runtime thread is woken on time and then waits for a CPU that other
/// processes hold: the thread's run-queue wait (`/proc/thread-self/schedstat`)
/// accounts for the lateness, a whole burst of due messages is late together,
/// and with the thread under `chrt -f` (no competition) the p99 is ~0.1 ms.
/// Spinning longer does not help (the spinning thread burns its CPU share and
/// is preempted), nor did a sub-millisecond helper-thread timer or a shorter
/// scheduler slice (`sched_attr.sched_runtime`). See maelstrom-bin/BENCH.md.
const TIMER_GRANULARITY: std::time::Duration = std::time::Duration::from_millis(2);

/// Why a message could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NetError {
    /// The source is not a registered participant.
    #[error("invalid source {0:?}: no node, client or service has that id")]
    UnknownSource(String),
    /// The destination is not a registered participant.
    #[error("invalid destination {0:?}: no node, client or service has that id")]
    UnknownDest(String),
}

/// A message waiting in a queue; ordered by deadline, then by send order.
/// The envelope waits in [`Parked`]: a queue's heap moves its entries on
/// every push and pop, and an entry this small moves cheaply.
struct Pending {
    deadline: Instant,
    id: u64,
    slot: u32,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    // Reversed so that BinaryHeap (a max-heap) pops the earliest deadline first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.deadline, other.id).cmp(&(self.deadline, self.id))
    }
}

/// The envelopes of queued messages, by slot; freed slots are reused.
#[derive(Default)]
struct Parked {
    slots: Vec<Option<Envelope>>,
    free: Vec<u32>,
}

impl Parked {
    /// Parks `env` until it is taken back, and queues it to arrive at `deadline`.
    fn park(&mut self, deadline: Instant, env: Envelope) -> Pending {
        let id = env.id.unwrap_or_default();
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(env);
                slot
            }
            None => {
                self.slots.push(Some(env));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 messages in flight")
            }
        };
        Pending { deadline, id, slot }
    }

    /// Takes a queued message's envelope back, freeing its slot.
    fn take(&mut self, p: &Pending) -> Envelope {
        self.free.push(p.slot);
        self.slots[p.slot as usize]
            .take()
            .expect("a queued message is parked")
    }
}

#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Pending>,
    notify: Rc<Notify>,
}

impl Queue {
    /// The (deadline, message id) of the message delivered next, if any.
    fn head(&self) -> Option<(Instant, u64)> {
        self.heap.peek().map(|p| (p.deadline, p.id))
    }
}

/// The message a journal line or a count is about.
fn msg_ref(env: &Envelope) -> MsgRef<'_> {
    MsgRef {
        id: env.id.unwrap_or_default(),
        src: &env.src,
        dest: &env.dest,
    }
}

struct State {
    clock: Clock,
    next_id: u64,
    // Looked up by id only, never iterated, so a HashMap cannot shape output.
    queues: IdMap<String, Queue>,
    /// The envelopes of every queue's messages.
    parked: Parked,
    retired: BTreeSet<String>,
    /// dest -> sources whose messages it drops.
    partitions: BTreeMap<String, BTreeSet<String>>,
    latency: Latency,
    journal: Journal,
    stats: NetStats,
    precise: bool,
    /// Nodes that are crashed: messages reaching them are dropped.
    down: BTreeSet<String>,
    faults: Option<MessageFaults>,
    /// Mirror sends / deliveries to stderr (`--log-net-send`, `--log-net-recv`).
    log_send: bool,
    log_recv: bool,
}

impl State {
    /// Whether a message from `src` to `dest` may be sent: both must be, or
    /// have been, participants of the test.
    fn check_route(&self, src: &str, dest: &str) -> Result<(), NetError> {
        let known = |id: &str| self.queues.contains_key(id) || self.retired.contains(id);
        if !known(src) {
            return Err(NetError::UnknownSource(src.to_string()));
        }
        if !known(dest) {
            return Err(NetError::UnknownDest(dest.to_string()));
        }
        Ok(())
    }

    /// Counts and journals a copy of a message that will never be delivered.
    fn drop_msg(&mut self, m: MsgRef, reason: DropReason) {
        self.journal
            .drop_msg(self.clock.now_ns(), m.id, reason.name());
        self.stats.record_drop(m.src, m.dest, reason);
    }
}

/// Random loss and duplication of messages between test nodes, beyond upstream.
pub struct MessageFaults {
    /// Probability that a node-to-node message is lost.
    pub loss: f64,
    /// Probability that a node-to-node message is delivered twice.
    pub duplication: f64,
    /// The test nodes: only messages between two of them are affected, so
    /// clients and services always get through.
    pub nodes: BTreeSet<String>,
    /// Draws for both.
    pub rng: StdRng,
}

/// A handle to the network; cheap to clone, single-threaded.
#[derive(Clone)]
pub struct Net {
    state: Rc<RefCell<State>>,
}

impl Net {
    /// A network with no participants.
    pub fn new(clock: Clock, latency: Latency, journal: Journal) -> Self {
        Net {
            state: Rc::new(RefCell::new(State {
                clock,
                next_id: 0,
                queues: IdMap::default(),
                parked: Parked::default(),
                retired: BTreeSet::new(),
                partitions: BTreeMap::new(),
                latency,
                journal,
                stats: NetStats::default(),
                precise: false,
                down: BTreeSet::new(),
                faults: None,
                log_send: false,
                log_recv: false,
            })),
        }
    }

    /// Sub-millisecond delivery on the real clock. tokio's timers have 1 ms
    /// granularity and round deadlines up, adding about 1 ms to every delayed
    /// hop; with this on, the receiver wakes 1 ms early and yields until the
    /// exact deadline. Leave it off on a paused (virtual) clock, where yielding
    /// would not advance time.
    pub fn set_precise_delivery(&self, on: bool) {
        self.state.borrow_mut().precise = on;
    }

    /// Adds a participant with an empty queue.
    pub fn register(&self, id: &str) {
        let mut s = self.state.borrow_mut();
        s.retired.remove(id);
        s.queues.entry(id.to_string()).or_default();
    }

    /// Removes a participant. Later messages to it (say, a late reply to a closed
    /// client) are journaled as sent and dropped, rather than treated as errors.
    pub fn retire(&self, id: &str) {
        let mut s = self.state.borrow_mut();
        if let Some(q) = s.queues.remove(id) {
            // Wake a receiver still waiting so it sees the id is gone.
            q.notify.notify_one();
            // Sorted, so the journal does not depend on the heap's layout.
            for p in q.heap.into_sorted_vec().iter().rev() {
                let env = s.parked.take(p);
                s.drop_msg(msg_ref(&env), DropReason::RecipientGone);
            }
        }
        s.retired.insert(id.to_string());
    }

    /// Whether `id` is a current participant.
    pub fn is_registered(&self, id: &str) -> bool {
        self.state.borrow().queues.contains_key(id)
    }

    /// Sends a message: assigns its id, journals it and queues it for delivery.
    pub fn send(&self, env: Envelope) -> Result<(), NetError> {
        self.send_or_refuse(env).map_err(|refused| refused.0)
    }

    /// [`Net::send`], handing a refused message back with the reason, so a
    /// host can keep it for its report without copying every message it sends
    /// or checking each route twice. (Boxed: refusals are rare.)
    pub fn send_or_refuse(&self, mut env: Envelope) -> Result<(), Box<(NetError, Envelope)>> {
        let mut guard = self.state.borrow_mut();
        let s = &mut *guard;
        if let Err(e) = s.check_route(&env.src, &env.dest) {
            return Err(Box::new((e, env)));
        }
        env.id = Some(s.next_id);
        s.next_id += 1;
        let latency = if is_client(&env.src) || is_client(&env.dest) {
            std::time::Duration::ZERO
        } else {
            s.latency.draw()
        };
        s.journal.send(s.clock.now_ns(), &env);
        s.stats.record_send(&env.src, &env.dest);
        if s.log_send {
            tracing::info!(target: "maelstrom::net", "[net] :send {}", env.to_line());
        }
        let (lost, duplicated) = match &mut s.faults {
            Some(f) if f.nodes.contains(&env.src) && f.nodes.contains(&env.dest) => {
                (f.rng.random_bool(f.loss), f.rng.random_bool(f.duplication))
            }
            _ => (false, false),
        };
        let m = msg_ref(&env);
        if lost {
            s.drop_msg(m, DropReason::Lost);
            return Ok(());
        }
        if !s.queues.contains_key(&env.dest) {
            // A retired recipient: nothing will ever read it, copy or not.
            s.drop_msg(m, DropReason::RecipientGone);
            return Ok(());
        }
        if duplicated {
            s.journal.duplicate(s.clock.now_ns(), m.id);
            s.stats.record_duplicate(m.src, m.dest);
        }
        let copy = duplicated.then(|| (s.latency.draw(), env.clone()));
        let now = Instant::now();
        if let Some(q) = s.queues.get_mut(&env.dest) {
            let head_before = q.head();
            q.heap.push(s.parked.park(now + latency, env));
            // The duplicate keeps the message id: it is the same message,
            // delivered twice, each copy with its own delay.
            if let Some((latency, env)) = copy {
                q.heap.push(s.parked.park(now + latency, env));
            }
            // The receiver sleeps until its head's deadline and re-reads the
            // queue whenever it wakes, so it needs waking only when the head
            // changed (an empty queue, or a message due sooner). With a
            // constant latency that is rare: waking on every send would have
            // it re-arm the same timer for nothing.
            if q.head() != head_before {
                q.notify.notify_one();
            }
        }
        Ok(())
    }

    /// Mirrors every send and/or delivery to stderr, as upstream's
    /// `--log-net-send` and `--log-net-recv` do.
    pub fn set_logging(&self, send: bool, recv: bool) {
        let mut s = self.state.borrow_mut();
        s.log_send = send;
        s.log_recv = recv;
    }

    /// Whether sends are mirrored to stderr (`--log-net-send`): the only
    /// events a send emits but the journal's, which go to the harness's log
    /// wherever the send comes from.
    pub fn logs_send(&self) -> bool {
        self.state.borrow().log_send
    }

    /// Whether deliveries are mirrored to stderr (`--log-net-recv`): the
    /// only events [`Net::recv`] emits.
    pub fn logs_recv(&self) -> bool {
        self.state.borrow().log_recv
    }

    /// Turns on random message loss and duplication between test nodes.
    pub fn set_message_faults(&self, faults: MessageFaults) {
        let faults = (faults.loss > 0.0 || faults.duplication > 0.0).then_some(faults);
        self.state.borrow_mut().faults = faults;
    }

    /// Marks a node crashed (`true`) or back (`false`). A crashed node's
    /// messages are dropped when they come due, as a real network would fail to
    /// deliver them; its restart does not receive what was sent meanwhile.
    pub fn set_down(&self, id: &str, down: bool) {
        let mut s = self.state.borrow_mut();
        if down {
            s.down.insert(id.to_string());
        } else {
            s.down.remove(id);
        }
    }

    /// Waits for the next message to `id`. Returns `None` once `id` is retired or
    /// was never registered.
    pub async fn recv(&self, id: &str) -> Option<Envelope> {
        loop {
            let (notify, head, precise) = {
                let s = self.state.borrow();
                let q = s.queues.get(id)?;
                (
                    q.notify.clone(),
                    q.heap.peek().map(|p| p.deadline),
                    s.precise,
                )
            };
            let now = Instant::now();
            match head {
                Some(deadline) if deadline <= now => {
                    if let Some(env) = self.deliver_head(id) {
                        return Some(env);
                    }
                }
                Some(deadline) if precise && deadline - now <= TIMER_GRANULARITY => {
                    tokio::task::yield_now().await;
                }
                Some(deadline) => {
                    let wake = if precise {
                        deadline - TIMER_GRANULARITY
                    } else {
                        deadline
                    };
                    tokio::select! {
                        // Biased: unbiased select draws from an rng we cannot seed.
                        biased;
                        _ = tokio::time::sleep_until(wake) => {}
                        _ = notify.notified() => {}
                    }
                }
                None => notify.notified().await,
            }
        }
    }

    /// Pops the head of `id`'s queue; `None` if a partition drops it.
    fn deliver_head(&self, id: &str) -> Option<Envelope> {
        let mut guard = self.state.borrow_mut();
        let s = &mut *guard;
        let p = s.queues.get_mut(id)?.heap.pop()?;
        let env = s.parked.take(&p);
        let cut = s
            .partitions
            .get(&env.dest)
            .is_some_and(|srcs| srcs.contains(&env.src));
        if cut {
            s.drop_msg(msg_ref(&env), DropReason::Partitioned);
            return None;
        }
        if s.down.contains(&env.dest) {
            s.drop_msg(msg_ref(&env), DropReason::Crashed);
            return None;
        }
        s.journal.deliver(s.clock.now_ns(), p.id);
        if s.log_recv {
            tracing::info!(target: "maelstrom::net", "[net] :recv {}", env.to_line());
        }
        s.stats.record_recv(&env.src, &env.dest);
        Some(env)
    }

    /// Installs a partition: each `(dest, srcs)` drops messages from `srcs`.
    pub fn partition(&self, grudge: BTreeMap<String, BTreeSet<String>>) {
        self.state.borrow_mut().partitions = grudge;
    }

    /// Removes every partition.
    pub fn heal(&self) {
        self.state.borrow_mut().partitions.clear();
    }

    /// The traffic counters so far.
    pub fn stats(&self) -> NetStats {
        self.state.borrow().stats
    }

    /// Flushes the journal to disk.
    pub fn flush_journal(&self) {
        self.state.borrow_mut().journal.flush();
    }

    /// The Lamport diagram the journal built while writing, if it was asked
    /// to ([`Journal::to_file_with_diagram`]); call after [`Net::finish`].
    pub fn take_diagram(&self) -> Option<crate::lamport::Diagram> {
        self.state.borrow_mut().journal.take_diagram()
    }

    /// Ends the test's traffic: every message still queued is dropped as
    /// [`DropReason::InFlightAtEnd`] (in message-id order, so the journal is
    /// deterministic), and the journal is written out (its writer thread
    /// stopped: later events are written on this thread). Call it once every
    /// participant has stopped; later sends are still accounted for.
    pub fn finish(&self) {
        let mut guard = self.state.borrow_mut();
        let s = &mut *guard;
        let mut left: Vec<Pending> = s
            .queues
            .values_mut()
            .flat_map(|q| std::mem::take(&mut q.heap).into_vec())
            .collect();
        left.sort_by_key(|p| (p.id, p.deadline));
        for p in &left {
            let env = s.parked.take(p);
            s.drop_msg(msg_ref(&env), DropReason::InFlightAtEnd);
        }
        s.journal.finish();
    }
}

#[cfg(test)]
mod tests;
