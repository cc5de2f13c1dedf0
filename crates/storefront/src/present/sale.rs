//! Where a seller's ticket stands, as the API's `state` says.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaleState {
    OnSale,
    /// A buyer holds it while they pay.
    Reserved,
    Sold,
}

impl SaleState {
    /// From the API's `state`; an API without it only tells reserved (an order) from on sale.
    pub fn of(state: Option<&str>, reserved: bool) -> Self {
        match state {
            Some("sold") => Self::Sold,
            Some("reserved") => Self::Reserved,
            Some("on_sale") => Self::OnSale,
            _ if reserved => Self::Reserved,
            _ => Self::OnSale,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::OnSale => "On sale",
            Self::Reserved => "Reserved",
            Self::Sold => "Sold",
        }
    }

    /// The CSS modifier of the state badge.
    pub fn class(self) -> &'static str {
        match self {
            Self::OnSale => "on-sale",
            Self::Reserved => "pending",
            Self::Sold => "complete",
        }
    }

    /// Only a ticket on sale can be edited.
    pub fn is_editable(self) -> bool {
        self == Self::OnSale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_from_the_api() {
        assert_eq!(SaleState::of(Some("sold"), true), SaleState::Sold);
        assert_eq!(SaleState::of(Some("reserved"), true), SaleState::Reserved);
        assert_eq!(SaleState::of(Some("on_sale"), false), SaleState::OnSale);
        assert_eq!(SaleState::of(None, true), SaleState::Reserved);
        assert_eq!(SaleState::of(None, false), SaleState::OnSale);
        assert!(SaleState::OnSale.is_editable());
        assert!(!SaleState::Sold.is_editable());
    }
}
