//! How a service applies an event: inside a transaction the listener runner owns. The runner puts
//! every message of a batch in one transaction (docs/contract.md#delivery-rules, rule 6), so a
//! handler never begins or commits one itself; work that must wait for the commit (waking a timer,
//! counting a refund) is registered with [`Applying::after_commit`].

use anyhow::Context as _;
use futures::future::BoxFuture;
use sqlx::{PgConnection, PgPool};

use super::listener::Outcome;
use crate::events::Event;

/// Applies one event type for one service.
pub trait Apply<E: Event>: Send + Sync + 'static {
    /// Applies `event` through `tx`, or decides it cannot be applied yet ([`Outcome::Retry`]: what
    /// it wrote is rolled back). An error rolls back the whole batch, whose messages are then
    /// applied one at a time.
    fn apply(
        &self,
        tx: &mut Applying<'_>,
        event: E,
    ) -> impl Future<Output = anyhow::Result<Outcome>> + Send;
}

/// The transaction an event is applied in, shared with the other events of its batch.
pub struct Applying<'c> {
    conn: &'c mut PgConnection,
    after_commit: AfterCommit,
}

/// Work to run once the transaction committed, in order.
pub type AfterCommit = Vec<Box<dyn FnOnce() + Send>>;

impl<'c> Applying<'c> {
    pub(crate) fn new(conn: &'c mut PgConnection) -> Self {
        Self {
            conn,
            after_commit: Vec::new(),
        }
    }

    /// The connection, inside the transaction.
    pub fn conn(&mut self) -> &mut PgConnection {
        self.conn
    }

    /// Runs `work` after the transaction committed; never if it rolled back, or if this event was
    /// not applied after all.
    pub fn after_commit(&mut self, work: impl FnOnce() + Send + 'static) {
        self.after_commit.push(Box::new(work));
    }

    pub(crate) fn into_after_commit(self) -> AfterCommit {
        self.after_commit
    }
}

/// Applies one event in a transaction of its own, committed unless the handler decided
/// [`Outcome::Retry`] or failed: how tests and tools apply an event directly.
pub async fn apply_one<E: Event, H: Apply<E>>(
    pool: &PgPool,
    handler: &H,
    event: E,
) -> anyhow::Result<Outcome> {
    let mut tx = pool.begin().await.context("beginning a transaction")?;
    let mut applying = Applying::new(&mut tx);
    let outcome = handler.apply(&mut applying, event).await?;
    let after_commit = applying.into_after_commit();
    if outcome == Outcome::Ack {
        tx.commit().await.context("committing")?;
        after_commit.into_iter().for_each(|work| work());
    }
    Ok(outcome)
}

/// What applying one raw message came to.
pub(crate) enum Applied {
    Undecodable(serde_json::Error),
    Handled(anyhow::Result<Outcome>, AfterCommit),
}

/// A handler with its event type erased, so one runner serves every listener.
pub(crate) trait ApplyRaw: Send + Sync {
    fn apply_raw<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        payload: &'a [u8],
    ) -> BoxFuture<'a, Applied>;
}

pub(crate) struct Typed<E, H> {
    pub handler: H,
    pub event: std::marker::PhantomData<fn() -> E>,
}

impl<E: Event, H: Apply<E>> ApplyRaw for Typed<E, H> {
    fn apply_raw<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        payload: &'a [u8],
    ) -> BoxFuture<'a, Applied> {
        Box::pin(async move {
            let event: E = match serde_json::from_slice(payload) {
                Ok(event) => event,
                Err(e) => return Applied::Undecodable(e),
            };
            let mut applying = Applying::new(conn);
            let result = self.handler.apply(&mut applying, event).await;
            Applied::Handled(result, applying.into_after_commit())
        })
    }
}
