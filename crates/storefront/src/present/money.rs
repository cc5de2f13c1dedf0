//! Money as people read it: two decimals and the currency (`$20.00 USD`).

use common::Price;
use serde_json::Value;

/// The only currency the marketplace charges in (docs/contract.md#payments-and-providers: Stripe
/// `usd`).
pub const CURRENCY: &str = "USD";

/// `$1,234.50 USD` for an API price (a JSON number or numeric string in major units).
pub fn format_price(value: &Value) -> String {
    match Price::from_json(Some(value)) {
        Ok(price) => format_cents(price.cents()),
        Err(_) => "Price unavailable".to_owned(),
    }
}

pub fn format_cents(cents: i64) -> String {
    let whole = (cents / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("${grouped}.{:02} {CURRENCY}", cents % 100)
}

/// The price as the sell/edit form shows it back: `19.99`, `20.00`.
pub fn form_value(value: &Value) -> String {
    match Price::from_json(Some(value)) {
        Ok(price) => price.to_string(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn two_decimals_grouping_and_currency() {
        let cases = [
            (json!(20), "$20.00 USD"),
            (json!(19.99), "$19.99 USD"),
            (json!(0.5), "$0.50 USD"),
            (json!("1234.5"), "$1,234.50 USD"),
            (json!(1000000), "$1,000,000.00 USD"),
            (json!("abc"), "Price unavailable"),
            (json!(null), "Price unavailable"),
        ];
        for (input, expected) in cases {
            assert_eq!(format_price(&input), expected, "{input}");
        }
        assert_eq!(form_value(&json!(20)), "20.00");
    }
}
