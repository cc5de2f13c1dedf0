//! Order status transitions (SPEC §5): created → complete on payment; created → cancelled on
//! DELETE or expiry; a completed order cannot be cancelled.

use common::events::OrderStatus;

pub const CANNOT_CANCEL_COMPLETED: &str = "Cannot cancel a completed order";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancellation {
    /// Cancel now: status → cancelled, version + 1, order.cancelled.
    Cancel,
    /// Already cancelled: a no-op without an event.
    AlreadyCancelled,
    /// Refused with the given message.
    Refused(&'static str),
}

/// What `DELETE /api/orders/:id` does to an order in `status`.
pub fn cancellation(status: OrderStatus) -> Cancellation {
    match status {
        OrderStatus::Created | OrderStatus::AwaitingPayment => Cancellation::Cancel,
        OrderStatus::Cancelled => Cancellation::AlreadyCancelled,
        OrderStatus::Complete => Cancellation::Refused(CANNOT_CANCEL_COMPLETED),
    }
}

/// Whether expiration.complete cancels an order in `status` (only unpaid, live orders).
pub fn expires(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::Created | OrderStatus::AwaitingPayment)
}

/// Whether payment.created completes an order in `status`. A payment for an order that was
/// cancelled meanwhile does not revive it: payments refunds it on order.cancelled.
pub fn completes_on_payment(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::Created | OrderStatus::AwaitingPayment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    #[test]
    fn transitions_follow_the_lifecycle() {
        assert_eq!(cancellation(Created), Cancellation::Cancel);
        assert_eq!(cancellation(AwaitingPayment), Cancellation::Cancel);
        assert_eq!(cancellation(Cancelled), Cancellation::AlreadyCancelled);
        assert_eq!(
            cancellation(Complete),
            Cancellation::Refused(CANNOT_CANCEL_COMPLETED)
        );
        assert!(expires(Created) && !expires(Cancelled) && !expires(Complete));
        assert!(
            completes_on_payment(Created)
                && !completes_on_payment(Cancelled)
                && !completes_on_payment(Complete)
        );
    }
}
