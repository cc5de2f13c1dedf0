//! Order status transitions (docs/contract.md#lifecycle-and-invariants): created → complete on
//! payment; created → cancelled on DELETE or expiry; a completed order cannot be cancelled by its
//! buyer. Any live order, paid or not, is cancelled when a listing edit it never saw supersedes it
//! (payments then refunds it).

use common::events::OrderStatus;

/// Why an order was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum CancelReason {
    /// `DELETE /api/orders/:id`.
    Buyer,
    /// expiration.complete: the hold ran out unpaid.
    Expired,
    /// The seller's edit reached tickets before this order did, so the listing tickets reserved
    /// differs from the one the order shows.
    ListingChanged,
}

impl CancelReason {
    pub const ALL: [Self; 3] = [Self::Buyer, Self::Expired, Self::ListingChanged];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Buyer => "buyer",
            Self::Expired => "expired",
            Self::ListingChanged => "listing_changed",
        }
    }

    /// Whether the buyer released the ticket (and so waits out the re-order cooldown).
    pub fn released_by_buyer(self) -> bool {
        matches!(self, Self::Buyer | Self::Expired)
    }
}

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
            CancelReason::Buyer.released_by_buyer() && CancelReason::Expired.released_by_buyer()
        );
        assert!(!CancelReason::ListingChanged.released_by_buyer());
        assert!(
            completes_on_payment(Created)
                && !completes_on_payment(Cancelled)
                && !completes_on_payment(Complete)
        );
    }
}
