//! What a seller submits when listing or editing a ticket, parsed into valid values.

use common::input::{Sent, Validation};
use common::{FieldError, Price};
use serde_json::Value;

pub const TITLE_REQUIRED: &str = "Title is required";
pub const TITLE_TOO_LONG: &str = "Title must be at most 200 characters";
/// Postgres text cannot hold U+0000 (found by the API fuzzer: it used to be a 500).
pub const TITLE_HAS_NUL: &str = "Title must not contain NUL characters";
/// Bidirectional overrides and isolates reorder what is displayed: a title could read as one
/// thing and be another (`"Seat 12 \u{202E}1W"` shows as "Seat 12 W1").
pub const TITLE_HAS_BIDI_CONTROL: &str = "Title must not contain bidirectional control characters";
pub const PRICE_ON_CREATE: &str = "Price must be greater than 0";
pub const PRICE_ON_UPDATE: &str = "Price must be provided and must be greater than 0";
const MAX_TITLE_CHARS: usize = 200;

/// A title with something visible in it, of at most 200 characters, without NUL or
/// bidirectional controls, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketTitle(String);

impl TryFrom<Sent<String>> for TicketTitle {
    type Error = FieldError;

    fn try_from(sent: Sent<String>) -> Result<Self, FieldError> {
        let text = sent.valid().unwrap_or_default();
        let text = text.trim();
        if text.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
            Err(FieldError::new("title", TITLE_REQUIRED))
        } else if text.chars().count() > MAX_TITLE_CHARS {
            Err(FieldError::new("title", TITLE_TOO_LONG))
        } else if text.contains('\0') {
            Err(FieldError::new("title", TITLE_HAS_NUL))
        } else if text.chars().any(is_bidi_control) {
            Err(FieldError::new("title", TITLE_HAS_BIDI_CONTROL))
        } else {
            Ok(Self(text.to_owned()))
        }
    }
}

impl TicketTitle {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Characters that change the order text is displayed in (Unicode's bidi control characters).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that take no room on screen (format and default-ignorable ones): a title of only
/// these looks blank.
fn is_invisible(c: char) -> bool {
    is_bidi_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{206A}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketInput {
    pub title: TicketTitle,
    pub price: Price,
}

impl TicketInput {
    /// Checks a request's fields, reporting every failing one at once. Creating and editing
    /// word the price rule differently (docs/contract.md#ticket-routes), hence `price_message`.
    pub fn check(
        title: Sent<String>,
        price: Sent<Value>,
        price_message: &'static str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut fields = Validation::new();
        let title = fields.check(TicketTitle::try_from(title));
        let price = fields.check(
            Price::from_json(price.as_valid()).map_err(|_| FieldError::new("price", price_message)),
        );
        fields.finish(|| {
            Some(Self {
                title: title?,
                price: price?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The fields of a request body, as the route reads them.
    fn parse(body: &Value, price_message: &'static str) -> Result<TicketInput, Vec<FieldError>> {
        fn sent<T: serde::de::DeserializeOwned>(body: &Value, key: &str) -> Sent<T> {
            body.get(key)
                .map(|v| serde_json::from_value(v.clone()).unwrap_or(Sent::Missing))
                .unwrap_or_default()
        }
        TicketInput::check(sent(body, "title"), sent(body, "price"), price_message)
    }

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
                json!({"title": "\u{200B}\u{200D}\u{FEFF} \u{2060}", "price": 10}),
                vec![("title", TITLE_REQUIRED)],
            ),
            (
                json!({"title": "Row 1 \u{202E}seat 12", "price": 10}),
                vec![("title", TITLE_HAS_BIDI_CONTROL)],
            ),
            (
                json!({"title": "\u{2067}concert\u{2069}", "price": 10}),
                vec![("title", TITLE_HAS_BIDI_CONTROL)],
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
            let errors = parse(&body, PRICE_ON_CREATE).err().unwrap_or_default();
            let got: Vec<_> = errors.iter().map(|e| (e.field, e.message)).collect();
            assert_eq!(got, expected, "{body}");
        }
    }

    #[test]
    fn real_titles_in_any_script_are_kept() {
        for title in [
            "Konzert in Köln",
            "コンサート",
            "حفل موسيقي",
            "👩‍🎤 live",
            "Кон\u{AD}церт",
        ] {
            let input = parse(&json!({"title": title, "price": 5}), PRICE_ON_CREATE);
            assert_eq!(
                input.as_ref().map(|i| i.title.as_str()),
                Ok(title),
                "{title}"
            );
        }
    }

    #[test]
    fn trims_the_title_and_reads_string_prices() {
        let input = parse(
            &json!({"title": " concert ", "price": "20.00"}),
            PRICE_ON_UPDATE,
        );
        assert_eq!(input.as_ref().map(|i| i.title.as_str()), Ok("concert"));
        assert_eq!(input.map(|i| i.price.cents()), Ok(2000));
    }
}
