//! Which order holds a ticket, derived from the orders known to be active for it.

use common::OrderId;

/// The order that should hold the ticket. Orders guarantees at most one active order per ticket,
/// but events arrive out of order, so for a moment more than one may look active here. The
/// current holder keeps the ticket while it is still active (its cancellation has not arrived
/// yet); otherwise the newest active order takes it (order ids are time-ordered UUIDv7).
pub fn choose_holder(current: Option<OrderId>, active: &[OrderId]) -> Option<OrderId> {
    match current {
        Some(holder) if active.contains(&holder) => Some(holder),
        _ => active.iter().max().copied(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_rules() {
        let (a, b) = (OrderId::new(), OrderId::new());
        assert!(a < b, "v7 ids are time-ordered");
        assert_eq!(choose_holder(None, &[]), None, "nothing active: free");
        assert_eq!(choose_holder(Some(a), &[]), None, "holder cancelled: free");
        assert_eq!(choose_holder(None, &[a]), Some(a), "a new order reserves");
        assert_eq!(
            choose_holder(Some(a), &[a, b]),
            Some(a),
            "holder keeps it until its cancellation arrives"
        );
        assert_eq!(
            choose_holder(Some(a), &[b]),
            Some(b),
            "then the next active order takes it"
        );
        assert_eq!(
            choose_holder(None, &[b, a]),
            Some(b),
            "newest wins when nothing held"
        );
    }
}
