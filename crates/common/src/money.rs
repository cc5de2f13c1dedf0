//! `Price`: money in integer cents. Parsed from a JSON number or a numeric string without going
//! through floating point arithmetic, rendered as a JSON number in major units (`20`, `19.99`).

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// The largest price, in cents (1,000,000.00).
pub const MAX_CENTS: i64 = 100_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type)]
#[sqlx(transparent)]
pub struct Price(i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("price is missing")]
    Missing,
    #[error("price is not a number")]
    NotANumber,
    #[error("price must be greater than 0")]
    NotPositive,
    #[error("price has more than 2 decimal places")]
    TooPrecise,
    #[error("price is over 1,000,000")]
    TooLarge,
}

impl Price {
    pub fn from_cents(cents: i64) -> Result<Self, PriceError> {
        if cents <= 0 {
            Err(PriceError::NotPositive)
        } else if cents > MAX_CENTS {
            Err(PriceError::TooLarge)
        } else {
            Ok(Self(cents))
        }
    }

    pub fn cents(self) -> i64 {
        self.0
    }

    /// Parses a decimal such as `20`, `19.9`, `"19.99"` or `1e3`.
    pub fn parse_decimal(text: &str) -> Result<Self, PriceError> {
        let text = text.trim();
        let (mantissa, exponent) = match text.find(['e', 'E']) {
            Some(i) => {
                let exp: i32 = text[i + 1..].parse().map_err(|_| PriceError::NotANumber)?;
                (&text[..i], exp)
            }
            None => (text, 0),
        };
        let negative = mantissa.starts_with('-');
        let mantissa = mantissa.trim_start_matches(['-', '+']);
        let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && frac.is_empty()) || !digits_ok(whole) || !digits_ok(frac) {
            return Err(PriceError::NotANumber);
        }
        // value = digits * 10^(exponent - frac.len()); cents = value * 100
        let digits = format!("{whole}{frac}");
        let digits = digits.trim_start_matches('0');
        let scale = exponent - frac.len() as i32 + 2;
        let cents = if digits.is_empty() {
            0
        } else if scale >= 0 {
            if digits.len() as i32 + scale > 12 {
                return Err(if negative {
                    PriceError::NotPositive
                } else {
                    PriceError::TooLarge
                });
            }
            let base: i64 = digits.parse().map_err(|_| PriceError::NotANumber)?;
            base * 10_i64.pow(scale as u32)
        } else {
            let cut = (-scale) as usize;
            let keep = digits.len().saturating_sub(cut);
            if digits[keep..].bytes().any(|b| b != b'0') {
                return Err(if negative {
                    PriceError::NotPositive
                } else {
                    PriceError::TooPrecise
                });
            }
            let head = &digits[..keep];
            if head.len() > 12 {
                return Err(if negative {
                    PriceError::NotPositive
                } else {
                    PriceError::TooLarge
                });
            }
            if head.is_empty() {
                0
            } else {
                head.parse().map_err(|_| PriceError::NotANumber)?
            }
        };
        Self::from_cents(if negative { -cents } else { cents })
    }

    /// Reads the SPEC's accepted inputs: a JSON number or a numeric string.
    pub fn from_json(value: Option<&Value>) -> Result<Self, PriceError> {
        match value {
            None | Some(Value::Null) => Err(PriceError::Missing),
            // serde_json keeps the shortest text that round-trips, so `19.99` reads back as "19.99".
            Some(Value::Number(n)) => Self::parse_decimal(&n.to_string()),
            Some(Value::String(s)) if !s.trim().is_empty() => Self::parse_decimal(s),
            Some(Value::String(_)) => Err(PriceError::Missing),
            Some(_) => Err(PriceError::NotANumber),
        }
    }

    /// The price as a JSON number in major units.
    pub fn to_json_number(self) -> serde_json::Number {
        if self.0 % 100 == 0 {
            serde_json::Number::from(self.0 / 100)
        } else {
            // cents / 100 with at most two decimals is exactly representable as the shortest
            // round-trip f64 text, e.g. 1999 -> 19.99.
            serde_json::Number::from_f64(self.0 as f64 / 100.0)
                .unwrap_or_else(|| serde_json::Number::from(self.0 / 100))
        }
    }
}

impl std::fmt::Display for Price {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl Serialize for Price {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json_number().serialize(s)
    }
}

/// In documents: a number in major units, as rendered.
impl utoipa::PartialSchema for Price {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::openapi::price_schema().into()
    }
}

impl utoipa::ToSchema for Price {}

impl schemars::JsonSchema for Price {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Price".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": MAX_CENTS / 100,
            "description": "Major units (dollars) with at most 2 decimal places.",
        })
    }
}

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Self::from_json(Some(&value)).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn accepts_numbers_and_numeric_strings() {
        let cases = [
            (json!(20), 2000),
            (json!(19.99), 1999),
            (json!(0.1), 10),
            (json!("20.00"), 2000),
            (json!(" 5.5 "), 550),
            (json!(1000000), MAX_CENTS),
            (json!(1e3), 100_000),
            (json!("0.01"), 1),
        ];
        for (input, cents) in cases {
            assert_eq!(
                Price::from_json(Some(&input)).map(Price::cents),
                Ok(cents),
                "{input}"
            );
        }
    }

    #[test]
    fn refuses_what_the_spec_refuses() {
        let cases = [
            (json!(0), PriceError::NotPositive),
            (json!(-10), PriceError::NotPositive),
            (json!("-0.5"), PriceError::NotPositive),
            (json!(19.999), PriceError::TooPrecise),
            (json!(1000000.01), PriceError::TooLarge),
            (json!(1e30), PriceError::TooLarge),
            (json!("abc"), PriceError::NotANumber),
            (json!("1.2.3"), PriceError::NotANumber),
            (json!(true), PriceError::NotANumber),
            (json!([1]), PriceError::NotANumber),
            (json!(""), PriceError::Missing),
            (json!(null), PriceError::Missing),
        ];
        for (input, error) in cases {
            assert_eq!(Price::from_json(Some(&input)), Err(error), "{input}");
        }
        assert_eq!(Price::from_json(None), Err(PriceError::Missing));
    }

    #[test]
    fn renders_major_units() {
        let render = |c| serde_json::to_string(&Price::from_cents(c).ok()).unwrap_or_default();
        assert_eq!(render(2000), "20");
        assert_eq!(render(1999), "19.99");
        assert_eq!(render(1990), "19.9");
        assert_eq!(render(1), "0.01");
        assert_eq!(
            Price::from_cents(1905).map(|p| p.to_string()),
            Ok("19.05".into())
        );
    }

    proptest! {
        #[test]
        fn every_valid_price_round_trips_through_json(cents in 1..=MAX_CENTS) {
            let price = Price::from_cents(cents).unwrap_or(Price(1));
            let text = serde_json::to_string(&price).unwrap_or_default();
            let back: Price = serde_json::from_str(&text).unwrap_or(Price(1));
            prop_assert_eq!(back, price);
            let as_string = format!("\"{}\"", price);
            let back: Price = serde_json::from_str(&as_string).unwrap_or(Price(1));
            prop_assert_eq!(back, price);
        }
    }
}
