//! What an order's state means to its buyer.

use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// Reserved, waiting for payment, hold still running.
    AwaitingPayment,
    /// Paid.
    Complete,
    /// Cancelled because the hold ran out.
    Expired,
    /// Cancelled by the buyer, or because the listing changed.
    Cancelled,
}

/// What the buyer is told about a cancelled order.
pub fn cancel_note(reason: Option<&str>) -> &'static str {
    match reason {
        Some("listing_changed") => {
            "The seller changed this listing before your order reached it, so the order was \
             cancelled. Any payment has been refunded."
        }
        Some("buyer") => "You cancelled this order. Nothing was charged.",
        _ => "This order was cancelled. Nothing was charged.",
    }
}

impl OrderState {
    /// From the API's `status`, `cancelReason` and `expiresAt`: a `created` order whose hold
    /// has run out is expired even before the expiration service has cancelled it.
    pub fn of(
        status: &str,
        cancel_reason: Option<&str>,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Self {
        let ran_out = expires_at.is_some_and(|t| t <= now);
        match (status, cancel_reason) {
            ("complete", _) => Self::Complete,
            ("cancelled", Some("expired")) => Self::Expired,
            ("cancelled", Some(_)) => Self::Cancelled,
            ("cancelled", None) if ran_out => Self::Expired,
            ("cancelled", None) => Self::Cancelled,
            _ if ran_out => Self::Expired,
            _ => Self::AwaitingPayment,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::AwaitingPayment => "Awaiting payment",
            Self::Complete => "Complete",
            Self::Expired => "Expired",
            Self::Cancelled => "Cancelled",
        }
    }

    /// The CSS modifier of the status badge.
    pub fn class(self) -> &'static str {
        match self {
            Self::AwaitingPayment => "pending",
            Self::Complete => "complete",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn is_payable(self) -> bool {
        self == Self::AwaitingPayment
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn states_from_status_and_hold() {
        let now = datetime!(2026-11-22 10:00 UTC);
        let later = Some(datetime!(2026-11-22 10:15 UTC));
        let earlier = Some(datetime!(2026-11-22 09:45 UTC));
        let cases = [
            ("created", None, later, OrderState::AwaitingPayment),
            ("awaiting:payment", None, later, OrderState::AwaitingPayment),
            ("created", None, earlier, OrderState::Expired),
            ("cancelled", None, earlier, OrderState::Expired),
            ("cancelled", None, later, OrderState::Cancelled),
            ("cancelled", Some("expired"), later, OrderState::Expired),
            ("cancelled", Some("buyer"), earlier, OrderState::Cancelled),
            (
                "cancelled",
                Some("listing_changed"),
                earlier,
                OrderState::Cancelled,
            ),
            ("complete", None, earlier, OrderState::Complete),
            ("complete", None, later, OrderState::Complete),
        ];
        for (status, reason, expires, expected) in cases {
            assert_eq!(
                OrderState::of(status, reason, expires, now),
                expected,
                "{status} {reason:?} {expires:?}"
            );
        }
        assert!(OrderState::AwaitingPayment.is_payable());
        assert!(!OrderState::Expired.is_payable());
    }
}
