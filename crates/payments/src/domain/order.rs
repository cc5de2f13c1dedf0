//! The replica of an order and the rules deciding whether it can be paid.

use common::events::OrderStatus;
use common::{OrderId, Price, UserId};
use time::OffsetDateTime;

/// An order as the payments service knows it (from order.created / order.cancelled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaOrder {
    pub id: OrderId,
    pub user_id: UserId,
    pub status: OrderStatus,
    pub price: Price,
    pub version: i64,
    pub expires_at: OffsetDateTime,
}

/// Why an order cannot be paid, in the order the rules are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotOwner,
    AlreadyPaid,
    Expired,
    Cancelled,
}

pub const CANCELLED: &str = "Cannot pay for a cancelled order";
pub const ALREADY_PAID: &str = "Order has already been paid";
pub const EXPIRED: &str = "Order has expired";

impl Refusal {
    /// The client-facing message of a business-rule refusal (`None` for "not the owner").
    pub fn message(self) -> Option<&'static str> {
        match self {
            Self::NotOwner => None,
            Self::Cancelled => Some(CANCELLED),
            Self::AlreadyPaid => Some(ALREADY_PAID),
            Self::Expired => Some(EXPIRED),
        }
    }
}

impl ReplicaOrder {
    /// Whether `payer` may pay this order at `now`; `already_paid` says a succeeded payment exists.
    pub fn check_payable(
        &self,
        payer: UserId,
        already_paid: bool,
        now: OffsetDateTime,
    ) -> Result<(), Refusal> {
        // A paid order stays "already paid"; an order whose hold ran out is "expired" even once
        // the expiry has cancelled it, which says more than "cancelled" to the buyer who waited.
        if self.user_id != payer {
            Err(Refusal::NotOwner)
        } else if already_paid || self.status == OrderStatus::Complete {
            Err(Refusal::AlreadyPaid)
        } else if self.expires_at <= now {
            Err(Refusal::Expired)
        } else if self.status == OrderStatus::Cancelled {
            Err(Refusal::Cancelled)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn order(status: OrderStatus, expires_in: Duration) -> ReplicaOrder {
        ReplicaOrder {
            id: OrderId::new(),
            user_id: UserId(uuid::Uuid::nil()),
            status,
            price: Price::from_cents(1000).unwrap_or_else(|_| unreachable!()),
            version: 0,
            expires_at: OffsetDateTime::now_utc() + expires_in,
        }
    }

    #[test]
    fn rules_apply_in_the_spec_order() {
        let owner = UserId(uuid::Uuid::nil());
        let stranger = UserId::new();
        let now = OffsetDateTime::now_utc();
        let minute = Duration::minutes(1);
        let cases = [
            (
                "payable",
                order(OrderStatus::Created, minute),
                owner,
                false,
                Ok(()),
            ),
            (
                "awaiting payment is payable",
                order(OrderStatus::AwaitingPayment, minute),
                owner,
                false,
                Ok(()),
            ),
            (
                "someone else's order",
                order(OrderStatus::Cancelled, -minute),
                stranger,
                true,
                Err(Refusal::NotOwner),
            ),
            (
                "paid beats cancelled (a raced payment is refunded, still paid once)",
                order(OrderStatus::Cancelled, -minute),
                owner,
                true,
                Err(Refusal::AlreadyPaid),
            ),
            (
                "an expiry-cancelled order is expired",
                order(OrderStatus::Cancelled, -minute),
                owner,
                false,
                Err(Refusal::Expired),
            ),
            (
                "cancelled by the buyer before the hold ran out",
                order(OrderStatus::Cancelled, minute),
                owner,
                false,
                Err(Refusal::Cancelled),
            ),
            (
                "paid beats expired",
                order(OrderStatus::Created, -minute),
                owner,
                true,
                Err(Refusal::AlreadyPaid),
            ),
            (
                "complete counts as paid",
                order(OrderStatus::Complete, minute),
                owner,
                false,
                Err(Refusal::AlreadyPaid),
            ),
            (
                "expired",
                order(OrderStatus::Created, -minute),
                owner,
                false,
                Err(Refusal::Expired),
            ),
        ];
        for (name, order, payer, paid, expected) in cases {
            assert_eq!(order.check_payable(payer, paid, now), expected, "{name}");
        }
    }

    #[test]
    fn only_business_refusals_have_messages() {
        assert_eq!(Refusal::NotOwner.message(), None);
        assert_eq!(Refusal::Expired.message(), Some("Order has expired"));
    }
}
