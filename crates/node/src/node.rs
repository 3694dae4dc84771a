//! The trait a node implements, and the request a handler receives.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use maelstrom_proto::{Envelope, RpcError};
use serde::de::DeserializeOwned;

use crate::Context;

/// A Maelstrom node.
///
/// `Msg` is the node's message type, usually an enum with
/// `#[serde(tag = "type", rename_all = "snake_case")]` covering both client requests
/// and the node's own peer messages. Messages whose `type` is not in `Msg` go to
/// [`Node::handle_other`]; messages of a known type with bad fields are answered
/// with error 12 (malformed request).
///
/// Handlers take `self: Rc<Self>`: the node is shared by every handler in flight.
/// Everything runs on one thread, so state can live in `RefCell`s (never hold a
/// borrow across an `.await`).
pub trait Node: Sized + 'static {
    /// The messages this node handles.
    type Msg: DeserializeOwned + 'static;

    /// Builds the node once `init` has arrived; node ids are on `ctx`.
    fn from_init(ctx: &Context) -> anyhow::Result<Self>;

    /// Called once after [`Node::from_init`], before any message is handled: start
    /// periodic tasks (gossip, heartbeats, election timers) here with
    /// [`Context::every`] or [`Context::spawn`].
    fn start(self: &Rc<Self>, ctx: &Context) {
        let _ = ctx;
    }

    /// Handles one message. An `Err` becomes an `error` reply if the message was a
    /// request and was not answered yet: an [`RpcError`] (also inside an
    /// `anyhow::Error`) keeps its code, anything else is 13 (crash).
    fn handle(
        self: Rc<Self>,
        ctx: Context,
        req: Request<Self::Msg>,
    ) -> impl Future<Output = anyhow::Result<()>>;

    /// Handles a message whose `type` is not one of `Msg`'s. By default it is
    /// answered with error 10 (not supported).
    fn handle_other(
        self: Rc<Self>,
        ctx: Context,
        msg: Envelope,
    ) -> impl Future<Output = anyhow::Result<()>> {
        let _ = ctx;
        async move {
            Err(RpcError::not_supported(format!(
                "this node does not handle messages of type {:?}",
                msg.body.kind
            ))
            .into())
        }
    }
}

/// A message delivered to a handler: its sender, its typed body and the raw envelope.
#[derive(Debug)]
pub struct Request<T> {
    /// The sender.
    pub src: String,
    /// The sender's `msg_id`: `Some` when the sender expects a reply.
    pub msg_id: Option<u64>,
    /// The parsed body.
    pub body: T,
    /// The message as received.
    pub raw: Envelope,
    pub(crate) replied: Rc<Cell<bool>>,
}

impl<T> Request<T> {
    pub(crate) fn new(raw: Envelope, body: T) -> Self {
        Request {
            src: raw.src.clone(),
            msg_id: raw.body.msg_id,
            body,
            raw,
            replied: Rc::new(Cell::new(false)),
        }
    }

    /// Whether a reply (or error reply) has been sent.
    pub fn is_replied(&self) -> bool {
        self.replied.get()
    }
}
