//! The node's own tasks: spawned locally, counted, and aborted together.
//!
//! Every handler, timer and user task of a node is registered here, so the node can
//! wait for handlers in flight before exiting and the simulation can stop every task
//! of a crashed node at once.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

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
