//! The node's own tasks: spawned locally, counted, and aborted together.
//!
//! Every handler, timer and user task of a node is registered here, so the node can
//! wait for handlers in flight before exiting and the simulation can stop every task
//! of a crashed node at once.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use tokio::sync::Notify;
use tokio::task::AbortHandle;

/// The tasks of one node.
#[derive(Default)]
pub(crate) struct Tasks {
    handles: RefCell<Vec<AbortHandle>>,
    prune_at: Cell<usize>,
    handlers_in_flight: Rc<Cell<usize>>,
    idle: Rc<Notify>,
}

/// Decrements the in-flight count when a handler ends, however it ends.
struct InFlight(Rc<Cell<usize>>, Rc<Notify>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
        if self.0.get() == 0 {
            self.1.notify_waiters();
        }
    }
}

impl Tasks {
    /// Spawns a task on the current `LocalSet`.
    pub(crate) fn spawn<F: Future<Output = ()> + 'static>(&self, fut: F) {
        let handle = tokio::task::spawn_local(fut);
        let mut handles = self.handles.borrow_mut();
        handles.push(handle.abort_handle());
        // Forget finished tasks now and then, so the list stays proportional to the
        // tasks alive rather than to every task ever spawned.
        if handles.len() >= self.prune_at.get().max(64) {
            handles.retain(|h| !h.is_finished());
            self.prune_at.set(handles.len() * 2);
        }
    }

    /// Runs a request handler: polled once right here, and spawned as a task,
    /// counted until it ends, only if it has to wait. Most handlers answer
    /// without awaiting anything, and a task per message (allocation, queueing,
    /// a poll from the scheduler) cost more than the handler itself.
    ///
    /// A handler that panics on that first poll is dropped, as a spawned one
    /// is: the panic hook has reported it, and the node serves on.
    pub(crate) fn run_handler<F: Future<Output = ()> + 'static>(&self, fut: F) {
        let mut fut = Box::pin(fut);
        // A waker that does nothing is enough for this poll: a handler still
        // pending is spawned, and its task polls it again at once with the
        // task's own waker, which replaces this one wherever it was left.
        let mut cx = Context::from_waker(Waker::noop());
        match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(&mut cx))) {
            Ok(Poll::Ready(())) | Err(_) => {}
            Ok(Poll::Pending) => self.spawn_handler(fut),
        }
    }

    /// Spawns a request handler, counted until it ends.
    pub(crate) fn spawn_handler<F: Future<Output = ()> + 'static>(&self, fut: F) {
        let count = self.handlers_in_flight.clone();
        count.set(count.get() + 1);
        let guard = InFlight(count, self.idle.clone());
        self.spawn(async move {
            let _guard = guard;
            fut.await;
        });
    }

    /// Waits until no handler is in flight.
    pub(crate) async fn handlers_idle(&self) {
        loop {
            let idle = self.idle.notified();
            if self.handlers_in_flight.get() == 0 {
                return;
            }
            idle.await;
        }
    }

    /// Aborts every task.
    pub(crate) fn abort_all(&self) {
        for handle in self.handles.borrow_mut().drain(..) {
            handle.abort();
        }
    }
}
