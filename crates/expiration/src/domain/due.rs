//! An expiration the sweeper has claimed: its order expires now.

use common::OrderId;
use common::events::ExpirationComplete;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub order_id: OrderId,
    /// When it was due: how late it fires is measured from here.
    pub expires_at: OffsetDateTime,
    /// The trace of the purchase that scheduled it.
    pub traceparent: Option<String>,
}

impl Due {
    /// The expiration.complete event announcing it.
    pub fn complete_event(&self) -> ExpirationComplete {
        ExpirationComplete {
            order_id: self.order_id,
        }
    }
}
