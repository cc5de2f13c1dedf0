//! Where a ticket stands for its seller: on sale, held by an order until a moment, or sold.

use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SaleState {
    /// Free: listed and orderable.
    OnSale,
    /// An unpaid order holds it until `heldUntil`.
    Reserved,
    /// The order holding it was paid.
    Sold,
}

/// The state of a ticket held by `holder` (if any), whose order's hold ends at `expires_at` and
/// was `paid` (as far as tickets has heard).
pub fn sale_state(
    held: bool,
    expires_at: Option<OffsetDateTime>,
    paid: bool,
) -> (SaleState, Option<OffsetDateTime>) {
    match (held, paid) {
        (false, _) => (SaleState::OnSale, None),
        (true, true) => (SaleState::Sold, None),
        (true, false) => (SaleState::Reserved, expires_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_is_on_sale_held_or_sold() {
        let until = OffsetDateTime::now_utc();
        assert_eq!(sale_state(false, None, false), (SaleState::OnSale, None));
        assert_eq!(
            sale_state(true, Some(until), false),
            (SaleState::Reserved, Some(until))
        );
        assert_eq!(sale_state(true, Some(until), true), (SaleState::Sold, None));
    }
}
