//! What a seller submits when listing or editing a ticket, parsed into valid values.

use common::{FieldError, Price};
use serde_json::Value;

pub const TITLE_REQUIRED: &str = "Title is required";
pub const TITLE_TOO_LONG: &str = "Title must be at most 200 characters";
/// Postgres text cannot hold U+0000 (found by the API fuzzer: it used to be a 500).
pub const TITLE_HAS_NUL: &str = "Title must not contain NUL characters";
pub const PRICE_ON_CREATE: &str = "Price must be greater than 0";
pub const PRICE_ON_UPDATE: &str = "Price must be provided and must be greater than 0";
const MAX_TITLE_CHARS: usize = 200;

/// A non-blank title of at most 200 characters without NUL, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketTitle(String);

impl TicketTitle {
    pub fn parse(value: Option<&Value>) -> Result<Self, FieldError> {
        let text = value
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default();
        if text.is_empty() {
            Err(FieldError::new("title", TITLE_REQUIRED))
        } else if text.chars().count() > MAX_TITLE_CHARS {
            Err(FieldError::new("title", TITLE_TOO_LONG))
        } else if text.contains('\0') {
            Err(FieldError::new("title", TITLE_HAS_NUL))
        } else {
            Ok(Self(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketInput {
    pub title: TicketTitle,
    pub price: Price,
}

impl TicketInput {
    /// Parses a request body, reporting every failing field at once. Creating and editing word
    /// the price rule differently (SPEC §3), hence `price_message`.
    pub fn parse(body: &Value, price_message: &'static str) -> Result<Self, Vec<FieldError>> {
        let title = TicketTitle::parse(body.get("title"));
        let price = Price::from_json(body.get("price"))
            .map_err(|_| FieldError::new("price", price_message));
        match (title, price) {
            (Ok(title), Ok(price)) => Ok(Self { title, price }),
            (title, price) => Err([title.err(), price.err()].into_iter().flatten().collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_every_failing_field() {
        let cases = [
            (
                json!({}),
                vec![("title", TITLE_REQUIRED), ("price", PRICE_ON_CREATE)],
            ),
            (
                json!({"title": "  ", "price": 10}),
                vec![("title", TITLE_REQUIRED)],
            ),
            (
                json!({"title": 5, "price": 10}),
                vec![("title", TITLE_REQUIRED)],
            ),
            (
                json!({"title": "x".repeat(201), "price": 10}),
                vec![("title", TITLE_TOO_LONG)],
            ),
            (
                json!({"title": "a\u{0}b", "price": 10}),
                vec![("title", TITLE_HAS_NUL)],
            ),
            (
                json!({"title": "a", "price": -10}),
                vec![("price", PRICE_ON_CREATE)],
            ),
            (
                json!({"title": "a", "price": "ten"}),
                vec![("price", PRICE_ON_CREATE)],
            ),
            (
                json!([1, 2]),
                vec![("title", TITLE_REQUIRED), ("price", PRICE_ON_CREATE)],
            ),
        ];
        for (body, expected) in cases {
            let errors = TicketInput::parse(&body, PRICE_ON_CREATE)
                .err()
                .unwrap_or_default();
            let got: Vec<_> = errors.iter().map(|e| (e.field, e.message)).collect();
            assert_eq!(got, expected, "{body}");
        }
    }

    #[test]
    fn trims_the_title_and_reads_string_prices() {
        let input = TicketInput::parse(
            &json!({"title": " concert ", "price": "20.00"}),
            PRICE_ON_UPDATE,
        );
        assert_eq!(input.as_ref().map(|i| i.title.as_str()), Ok("concert"));
        assert_eq!(input.map(|i| i.price.cents()), Ok(2000));
    }
}
