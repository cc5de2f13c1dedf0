//! A handler made of a closure, for tests of the listener runner itself.

use crate::bus::{Apply, Applying, Outcome};
use crate::events::Event;

/// Applies each event by calling the closure, outside the database: for tests whose handlers
/// keep their state in memory. The runner's transaction is still begun and committed around it.
pub struct Stateless<F>(pub F);

impl<E, F, Fut> Apply<E> for Stateless<F>
where
    E: Event,
    F: Fn(E) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<Outcome>> + Send,
{
    async fn apply(&self, _: &mut Applying<'_>, event: E) -> anyhow::Result<Outcome> {
        (self.0)(event).await
    }
}
