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
    /// Cancelled by the buyer.
    Cancelled,
}

impl OrderState {
    /// From the API's `status` and `expiresAt`: a `created` order whose hold has run out is
    /// expired even before the expiration service has cancelled it.
    pub fn of(status: &str, expires_at: Option<OffsetDateTime>, now: OffsetDateTime) -> Self {
        let ran_out = expires_at.is_some_and(|t| t <= now);
        match status {
            "complete" => Self::Complete,
            "cancelled" if ran_out => Self::Expired,
            "cancelled" => Self::Cancelled,
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
            ("created", later, OrderState::AwaitingPayment),
            ("awaiting:payment", later, OrderState::AwaitingPayment),
            ("created", earlier, OrderState::Expired),
            ("cancelled", earlier, OrderState::Expired),
            ("cancelled", later, OrderState::Cancelled),
            ("complete", earlier, OrderState::Complete),
            ("complete", later, OrderState::Complete),
        ];
        for (status, expires, expected) in cases {
            assert_eq!(
                OrderState::of(status, expires, now),
                expected,
                "{status} {expires:?}"
            );
        }
        assert!(OrderState::AwaitingPayment.is_payable());
        assert!(!OrderState::Expired.is_payable());
    }
}
